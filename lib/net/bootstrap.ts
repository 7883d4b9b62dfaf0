import { isIP } from 'node:net'
import { PeerBeeError } from '../errors.js'

/** A DHT bootstrap node. */
export interface BootstrapNode {
  host: string
  port: number
}

/** Parses `'host:port'` (IPv6 hosts in brackets: `'[::1]:49737'`). */
export function parseBootstrap(address: string): BootstrapNode {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim())
  const port = match ? Number(match[3]) : NaN
  if (!match || port < 1 || port > 65535) {
    throw PeerBeeError.INVALID_ARGUMENT(`Bootstrap address must be host:port, got '${address}'`)
  }
  return { host: (match[1] ?? match[2]) as string, port }
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}

/**
 * True when there is at least one bootstrap node and every one is on this machine.
 * Then the DHT must bind 127.0.0.1 and call itself reachable: bound to 0.0.0.0,
 * peers announce an address they cannot reach each other on.
 */
export function isLoopbackNetwork(nodes: BootstrapNode[]): boolean {
  return nodes.length > 0 && nodes.every((n) => isLoopbackHost(n.host))
}
