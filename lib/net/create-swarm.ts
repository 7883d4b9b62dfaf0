import Hyperswarm from 'hyperswarm'
import HyperDHT from 'hyperdht'
import { isLoopbackNetwork, parseBootstrap } from './bootstrap.js'

/** A swarm identity. */
export type KeyPair = Hyperswarm.KeyPair

export interface CreateSwarmOptions {
  /** `'host:port'` DHT bootstrap nodes. Default: the public DHT. */
  bootstrap?: string[]
  keyPair?: KeyPair
  /** Cap on outgoing connections. */
  maxPeers?: number
}

/**
 * A Hyperswarm on the public DHT or on the private one `bootstrap` names. When every
 * bootstrap node is on this machine, the DHT binds 127.0.0.1 and calls itself
 * reachable: bound to 0.0.0.0 peers announce an address they cannot reach, and
 * firewalled about a third of first connections between processes stayed half-open.
 */
export function createSwarm(opts: CreateSwarmOptions = {}): Hyperswarm {
  const swarmOpts: Hyperswarm.Options = {}
  if (opts.keyPair) swarmOpts.keyPair = opts.keyPair
  if (opts.maxPeers !== undefined) swarmOpts.maxPeers = opts.maxPeers
  const { bootstrap } = opts
  if (bootstrap && isLoopbackNetwork(bootstrap.map(parseBootstrap))) {
    swarmOpts.dht = new HyperDHT({ bootstrap, host: '127.0.0.1', firewalled: false })
  } else if (bootstrap) {
    swarmOpts.bootstrap = bootstrap
  }
  return new Hyperswarm(swarmOpts)
}
