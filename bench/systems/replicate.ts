import type Hyperswarm from 'hyperswarm'
import type { Duplex } from 'node:stream'

/** Two replication streams joined in-process, as two peers over a connection would be. */
export function pipeStreams(initiator: Duplex, responder: Duplex): void {
  initiator.pipe(responder).pipe(initiator)
}

/** The pairs of peers that replicate with each other: neighbours in a chain, else every pair. */
export function linkedPairs(size: number, chain: boolean): Array<[number, number]> {
  const pairs: Array<[number, number]> = []
  for (let i = 0; i < size; i++) {
    for (let j = i + 1; j < size; j++) if (!chain || j === i + 1) pairs.push([i, j])
  }
  return pairs
}

/** Announces and looks up `topic` on `swarm`, replicating over every connection. */
export async function joinTopic(
  swarm: Hyperswarm,
  topic: Uint8Array,
  replicate: (conn: Duplex) => void
): Promise<void> {
  swarm.on('connection', replicate)
  await swarm.join(topic).flushed()
}
