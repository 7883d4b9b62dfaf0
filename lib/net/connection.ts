import b4a from 'b4a'
import Protomux from 'protomux'
import type { SwarmConnection } from '../types.js'

/** The protocol of Hypercore's replication channels. */
const HYPERCORE_PROTOCOL = 'hypercore/alpha'

/**
 * True when a Hypercore channel on the connection is open on both ends. Hypercore closes a
 * channel whose remote cannot prove it holds the core's key, so a peer of this db opens at
 * least the root log's; a stranger that knows only the discovery key opens none (any other
 * channel it can open, knowing the topic).
 */
export function hasOpenCore(conn: SwarmConnection): boolean {
  // Protomux.isProtomux reads a property of what it is given: null has none.
  if (conn.userData === null || !Protomux.isProtomux(conn.userData)) return false
  for (const channel of conn.userData) {
    if (channel.protocol === HYPERCORE_PROTOCOL && channel.opened && !channel.closed) return true
  }
  return false
}

/** Map key of a peer: its public key in hex. */
export function peerId(publicKey: Uint8Array): string {
  return b4a.toString(publicKey, 'hex')
}
