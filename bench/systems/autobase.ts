import Autobase from 'autobase'
import Corestore from 'corestore'
import type Hyperbee from 'hyperbee'
import type Hyperswarm from 'hyperswarm'
import { join } from 'node:path'
import { until, withinLimit } from '../harness.js'
import { getFrom, openBee, scanBee } from './bee.js'
import { encodeKey, encodeRecord } from './codec.js'
import { joinTopic, linkedPairs, pipeStreams } from './replicate.js'
import type { Db, Follower, Group, Record, Row, ScanRange, SwarmDb, SwarmFollower, System } from './types.js'

/** Autobase 7 with a Hyperbee view: what a multi-writer Hyperbee looks like today. */
export const autobase: System = {
  name: 'autobase',
  async open(dir) {
    const db = new AutobaseDb(join(dir, 'store'), null)
    await db.ready()
    return db
  },
  async openGroup(dir, size, opts) {
    const root = new AutobaseDb(join(dir, 'peer-0'), null)
    await root.ready()
    const peers = [root]
    for (let i = 1; i < size; i++) {
      const peer = new AutobaseDb(join(dir, 'peer-' + i), root.base.key)
      await peer.ready()
      peers.push(peer)
    }
    for (const [i, j] of linkedPairs(size, opts.chain))
      pipeStreams(peers[i].base.replicate(true), peers[j].base.replicate(false))
    for (const peer of peers.slice(1)) await root.base.append(addWriterOp(peer.base.local.key))
    // Until a peer has applied its own addWriter it cannot append.
    await until(
      async () => {
        await Promise.all(peers.map((peer) => peer.base.update()))
        return peers.every((peer) => peer.base.writable)
      },
      opts.limitMs,
      'writers added'
    )
    return new AutobaseGroup(peers)
  },
  async openOnSwarm(dir, swarm) {
    const db = new AutobaseSwarmDb(join(dir, 'store'), null, swarm)
    await db.ready()
    return db
  }
}

type Op = { type: 'put'; key: string; value: Record } | { type: 'add-writer'; key: string }

function putOp(key: string, value: Record): Op {
  return { type: 'put', key, value }
}

function addWriterOp(key: Uint8Array): Op {
  return { type: 'add-writer', key: Buffer.from(key).toString('hex') }
}

function isOp(value: unknown): value is Op {
  if (typeof value !== 'object' || value === null || !('type' in value) || !('key' in value)) return false
  if (typeof value.key !== 'string') return false
  return value.type === 'add-writer' || (value.type === 'put' && 'value' in value)
}

// The view is one Hyperbee batch per apply call, the cheapest way to apply many nodes.
async function apply(nodes: Autobase.ApplyNode[], view: Hyperbee, host: Autobase.Host): Promise<void> {
  const batch = view.batch()
  for (const node of nodes) {
    const op = node.value
    if (!isOp(op)) continue
    if (op.type === 'put') {
      await batch.put(encodeKey(op.key), encodeRecord(op.value))
    } else {
      // Membership changes apply between the batch's writes, in node order. Added writers are
      // not indexers: with the root as the only indexer W6 converged in 38 s instead of 68 s.
      await batch.flush()
      await host.addWriter(Buffer.from(op.key, 'hex'), { indexer: false })
    }
  }
  await batch.flush()
}

class AutobaseDb implements Db {
  readonly store: Corestore
  readonly base: Autobase<Hyperbee>

  constructor(storage: string, bootstrap: Uint8Array | null) {
    this.store = new Corestore(storage)
    this.base = new Autobase(this.store, bootstrap, {
      open: (store) => openBee(store.get('view')),
      apply,
      valueEncoding: 'json'
    })
  }

  ready(): Promise<void> {
    return this.base.ready()
  }

  // append resolves once the node is applied to the local view, so the write is readable.
  async put(key: string, value: Record): Promise<void> {
    await this.base.append(putOp(key, value))
  }

  async putBatch(rows: Row[]): Promise<void> {
    await this.base.append(rows.map((row) => putOp(row.key, row.value)))
  }

  get(key: string): Promise<Record | null> {
    return getFrom(this.base.view, key)
  }

  scan(range?: ScanRange): AsyncIterable<Row> {
    return scanBee(this.base.view, range)
  }

  async settle(): Promise<void> {
    await this.base.update()
  }

  async follow(dir: string): Promise<Follower> {
    const follower = new AutobaseDb(join(dir, 'store'), this.base.key)
    await follower.ready()
    return new AutobaseFollower(this, follower)
  }

  async close(): Promise<void> {
    await this.base.close()
    await this.store.close()
  }
}

class AutobaseFollower implements Follower {
  readonly db: Pick<Db, 'get' | 'scan'>

  constructor(
    private readonly source: AutobaseDb,
    private readonly peer: AutobaseDb
  ) {
    this.db = peer
  }

  connect(): void {
    pipeStreams(this.source.base.replicate(true), this.peer.base.replicate(false))
  }

  catchUp(): Promise<void> {
    return reach(this.peer, this.source.base.length)
  }

  close(): Promise<void> {
    return this.peer.close()
  }
}

class AutobaseGroup implements Group {
  constructor(readonly writers: AutobaseDb[]) {}

  async sync(): Promise<void> {
    await Promise.all(this.writers.map((writer) => writer.base.update()))
  }

  async close(): Promise<void> {
    for (const writer of this.writers) await writer.close()
  }
}

// update() returns at once while the connection is still opening; wait for the system core
// to reach the source's length, then the view is (fast-forwarded to) the source's view.
async function reach(peer: AutobaseDb, length: number): Promise<void> {
  await peer.base.update()
  while (peer.base.length < length) {
    await new Promise<void>((resolve) => peer.base.once('update', resolve))
    await peer.base.update()
  }
}

class AutobaseSwarmDb extends AutobaseDb implements SwarmDb {
  constructor(
    storage: string,
    bootstrap: Uint8Array | null,
    private readonly swarm: Hyperswarm
  ) {
    super(storage, bootstrap)
  }

  join(): Promise<void> {
    return joinTopic(this.swarm, this.base.discoveryKey, (conn) => this.base.replicate(conn))
  }

  async followOnSwarm(dir: string, swarm: Hyperswarm): Promise<SwarmFollower> {
    const peer = new AutobaseSwarmDb(join(dir, 'store'), this.base.key, swarm)
    await peer.ready()
    return new AutobaseSwarmFollower(peer, this.base.length)
  }
}

class AutobaseSwarmFollower implements SwarmFollower {
  readonly db: Pick<Db, 'get'>

  constructor(
    private readonly peer: AutobaseSwarmDb,
    private readonly length: number
  ) {
    this.db = peer
  }

  join(): Promise<void> {
    return this.peer.join()
  }

  // A fast-forwarded view is sparse: it holds everything once its blocks are downloaded too.
  catchUp(limitMs: number): Promise<void> {
    const fetch = async () => {
      await reach(this.peer, this.length)
      const view = this.peer.base.view.core
      await view.download({ start: 0, end: view.length }).done()
    }
    return withinLimit(fetch(), limitMs, 'swarm catch-up')
  }

  close(): Promise<void> {
    return this.peer.close()
  }
}
