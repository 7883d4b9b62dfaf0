import b4a from 'b4a'
import Protomux from 'protomux'
import type { SwarmConnection } from '../types.js'

/**
 * True when some protocol on the connection has a channel that both ends opened.
 * A hypercore channel opens on both ends only when both hold that core, so a peer
 * of this db opens at least the root log's channel; a stranger opens none.
 */
export function hasOpenChannel(conn: SwarmConnection): boolean {
  if (!Protomux.isProtomux(conn.userData)) return false
  for (const channel of conn.userData) {
    if (channel.opened) return true
  }
  return false
}

/** Map key of a peer: its public key in hex. */
export function peerId(publicKey: Uint8Array): string {
  return b4a.toString(publicKey, 'hex')
}
