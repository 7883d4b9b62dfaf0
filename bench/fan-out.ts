import HyperDHT from 'hyperdht'
import Hyperswarm from 'hyperswarm'
import { join } from 'node:path'
import { localTestnet } from '../test/integration/net-helpers.js'
import { measure, type Measurement } from './harness.js'
import type { SwarmFollower, System } from './systems/types.js'
import { getEach, load, type Sizes, type Workload } from './workload.js'

/**
 * A swarm on the local testnet. Bound to 127.0.0.1 and not firewalled, as peerbee makes its own
 * for a loopback bootstrap: otherwise peers announce addresses they cannot reach.
 */
function localSwarm(bootstrap: string[]): Hyperswarm {
  return new Hyperswarm({ dht: new HyperDHT({ bootstrap, host: '127.0.0.1', firewalled: false }) })
}

/** The UDX stream under a connection: it counts what it sent and received. */
interface CountingStream {
  readonly bytesTransmitted: number
  readonly bytesReceived: number
}

type Direction = 'bytesTransmitted' | 'bytesReceived'

function rawStreamOf(conn: Hyperswarm.Connection): CountingStream {
  // The public Connection type does not name its transport; udx-native's stream keeps the counts.
  const raw = (conn as Hyperswarm.Connection & { rawStream?: Partial<CountingStream> }).rawStream
  if (typeof raw?.bytesTransmitted !== 'number' || typeof raw.bytesReceived !== 'number') {
    throw new Error('connection without a UDX stream')
  }
  return raw as CountingStream
}

/**
 * Bytes the swarms moved in `direction` on all their connections (encrypted frames,
 * retransmissions included) since this was called; a closed connection keeps its count.
 */
function byteCounter(swarms: Hyperswarm[], direction: Direction): () => number {
  const streams: CountingStream[] = []
  const before = new Map<CountingStream, number>()
  for (const swarm of swarms) {
    for (const conn of swarm.connections) {
      const stream = rawStreamOf(conn)
      streams.push(stream)
      before.set(stream, stream[direction])
    }
    swarm.on('connection', (conn: Hyperswarm.Connection) => streams.push(rawStreamOf(conn)))
  }
  return () => streams.reduce((sum, stream) => sum + stream[direction] - (before.get(stream) ?? 0), 0)
}

/** Joins every follower at once; resolves when each holds everything the writer had. */
function fetchAll(followers: SwarmFollower[], limitMs: number): Promise<void> {
  return Promise.all(
    followers.map(async (follower) => {
      await follower.join()
      await follower.catchUp(limitMs)
    })
  ).then(() => undefined)
}

async function run(system: System, dir: string, s: Sizes): Promise<Measurement> {
  if (system.openOnSwarm === undefined) throw new Error(`${system.name} does not replicate over Hyperswarm`)
  const net = await localTestnet()
  const swarms: Hyperswarm[] = []
  const swarm = () => {
    swarms.push(localSwarm(net.bootstrap))
    return swarms[swarms.length - 1]
  }
  try {
    const writerSwarm = swarm()
    const source = await system.openOnSwarm(join(dir, 'writer'), writerSwarm)
    const followers: SwarmFollower[] = []
    try {
      await load(source, s.fanOutOps, s.batch)
      await source.join()
      for (let i = 0; i < s.fanOutPeers; i++)
        followers.push(await source.followOnSwarm(join(dir, 'peer-' + i), swarm()))
      const uploaded = byteCounter([writerSwarm], 'bytesTransmitted')
      const downloaded = byteCounter(swarms.slice(1), 'bytesReceived')
      const measured = await measure(() => fetchAll(followers, s.limitMs))
      measured.uploadBytes = uploaded()
      measured.downloadBytes = downloaded()
      for (const follower of followers) await getEach(follower.db, [0, s.fanOutOps - 1])
      return measured
    } finally {
      for (const follower of followers) await follower.close()
      await source.close()
    }
  } finally {
    for (const sw of swarms) await sw.destroy()
    await net.destroy()
  }
}

/** Peers that join together should fetch from each other, not all from the writer. */
export const fanOut: Workload = {
  id: 'W10',
  title: 'swarm fan-out',
  scale: true,
  systems: ['peerbee', 'autobase', 'hyperbee'],
  ops: (s) => s.fanOutOps,
  run
}
