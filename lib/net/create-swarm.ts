import type { Duplex } from 'node:stream'
import Hyperswarm from 'hyperswarm'
import HyperDHT from 'hyperdht'
import { isLoopbackNetwork, parseBootstrap } from './bootstrap.js'

/** A swarm identity. */
export type KeyPair = Hyperswarm.KeyPair

export interface CreateSwarmOptions {
  /** `'host:port'` DHT bootstrap nodes. Default: the public DHT. */
  bootstrap?: string[] | undefined
  keyPair?: KeyPair
  /** Caps on connections this peer accepts and dials; the firewall holds them, Hyperswarm helps with dials. */
  maxInbound?: number
  maxOutbound?: number
  /** True refuses the peer: before a dial (`inbound` false) or on an inbound handshake. */
  firewall?: (remotePublicKey: Uint8Array, inbound: boolean) => boolean
  /** Each dial the swarm makes, with its stream, so the caller sees how it ends. */
  dialed?: (remotePublicKey: Uint8Array, stream: Duplex) => void
}

/** A swarm and whether its DHT is bound to this machine only. */
export interface MadeSwarm {
  swarm: Hyperswarm
  /** The DHT binds 127.0.0.1: nothing on the LAN can reach this peer. */
  loopback: boolean
}

/**
 * A Hyperswarm on the public DHT or on the private one `bootstrap` names. When every
 * bootstrap node is on this machine, the DHT binds 127.0.0.1 and calls itself
 * reachable: bound to 0.0.0.0 peers announce an address they cannot reach, and
 * firewalled about a third of first connections between processes stayed half-open.
 */
export function createSwarm(opts: CreateSwarmOptions = {}): Hyperswarm {
  return makeSwarm(opts).swarm
}

export function makeSwarm(opts: CreateSwarmOptions = {}): MadeSwarm {
  const { bootstrap, firewall, dialed } = opts
  const loopback = bootstrap !== undefined && isLoopbackNetwork(bootstrap.map(parseBootstrap))
  const dht = loopback
    ? new HyperDHT({ bootstrap, host: '127.0.0.1', firewalled: false })
    : new HyperDHT(bootstrap ? { bootstrap } : {})
  if (dialed) {
    const connect = dht.connect.bind(dht)
    dht.connect = (publicKey, connectOpts) => {
      const stream = connect(publicKey, connectOpts)
      dialed(publicKey, stream)
      return stream
    }
  }
  const swarmOpts: Hyperswarm.Options = { dht }
  if (opts.keyPair) swarmOpts.keyPair = opts.keyPair
  if (opts.maxOutbound !== undefined) {
    swarmOpts.maxClientConnections = opts.maxOutbound
    swarmOpts.maxPeers = opts.maxOutbound + (opts.maxInbound ?? 0)
  }
  if (firewall) swarmOpts.firewall = (remotePublicKey, payload) => firewall(remotePublicKey, payload !== null)
  return { swarm: new Hyperswarm(swarmOpts), loopback }
}

/** What Hyperswarm does with a peer a topic lookup found (not part of its public API). */
interface DiscoveringSwarm {
  _handlePeer(
    peer: { publicKey: Uint8Array; relayAddresses: Array<{ host: string; port: number }> },
    topic: Uint8Array
  ): void
}

/**
 * Hands Hyperswarm a peer of `topic` found at `host:port` (its DHT node's socket, which
 * answers handshakes for it directly), as its own lookups hand it a peer and the DHT nodes
 * that relay to it. False when this Hyperswarm cannot take one.
 */
export function offerPeer(
  swarm: Hyperswarm,
  topic: Uint8Array,
  peer: { publicKey: Uint8Array; host: string; port: number }
): boolean {
  const discovering = swarm as unknown as Partial<DiscoveringSwarm>
  if (typeof discovering._handlePeer !== 'function') return false
  discovering._handlePeer({ publicKey: peer.publicKey, relayAddresses: [{ host: peer.host, port: peer.port }] }, topic)
  return true
}
