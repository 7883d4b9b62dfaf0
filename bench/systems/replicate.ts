import type { Duplex } from 'node:stream'

/** Two replication streams joined in-process, as two peers over a connection would be. */
export function pipeStreams(initiator: Duplex, responder: Duplex): void {
  initiator.pipe(responder).pipe(initiator)
}
