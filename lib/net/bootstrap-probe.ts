import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import HyperDHT from 'hyperdht'
import { isLoopbackNetwork, parseBootstrap, type BootstrapNode } from './bootstrap.js'

/** Whether one DHT bootstrap node answered a ping. */
export interface BootstrapAnswer {
  /** The node as given (`'host:port'`). */
  address: string
  answered: boolean
  /** Round trip of the ping in ms; null when it did not answer. */
  rtt: number | null
}

export interface ProbeOptions {
  /** How long to wait for answers, in ms. Default 3 s. */
  timeout?: number
  /** Stops the probe: it then rejects with the signal's reason. */
  signal?: AbortSignal
}

const DEFAULT_PROBE_TIMEOUT_MS = 3000

/**
 * Pings each DHT bootstrap node (default: the public DHT's) and tells which answered. When
 * none does, `join()` can find no peer: a wait for one can say why instead of timing out.
 * The probe runs its own short-lived DHT node, which joins no network.
 */
export async function probeBootstrap(bootstrap?: string[], opts: ProbeOptions = {}): Promise<BootstrapAnswer[]> {
  const addresses = bootstrap !== undefined && bootstrap.length > 0 ? bootstrap : HyperDHT.BOOTSTRAP
  const nodes = addresses.map(parseAddress)
  const { signal } = opts
  signal?.throwIfAborted()
  // Bound like the swarm's DHT, so a node on 127.0.0.1 answers to the address it was sent from.
  const dht = new HyperDHT({ bootstrap: [], ...(isLoopbackNetwork(nodes) ? { host: '127.0.0.1' } : {}) })
  let timer: NodeJS.Timeout | undefined
  let onAbort = () => {}
  const cutoff = new Promise<null>((resolve, reject) => {
    timer = setTimeout(resolve, opts.timeout ?? DEFAULT_PROBE_TIMEOUT_MS, null)
    onAbort = () => reject(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
  try {
    const rtts = await Promise.all(nodes.map((node) => Promise.race([roundTrip(dht, node), cutoff])))
    return addresses.map((address, i) => ({ address, answered: rtts[i] !== null, rtt: rtts[i] ?? null }))
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
    await dht.destroy({ force: true })
  }
}

/** A node as `'host:port'`, or as the public list names them: `'ip@host:port'`. */
interface ProbedNode extends BootstrapNode {
  /** The address to try first, before resolving `host`. */
  ip: string | null
}

function parseAddress(address: string): ProbedNode {
  const at = address.indexOf('@')
  const { host, port } = parseBootstrap(at === -1 ? address : address.slice(at + 1))
  return { host, port, ip: at === -1 ? null : address.slice(0, at) }
}

/** The round trip of a ping to the node in ms, or null when it does not answer. */
async function roundTrip(dht: HyperDHT, node: ProbedNode): Promise<number | null> {
  try {
    const host = node.ip ?? (isIP(node.host) !== 0 ? node.host : (await lookup(node.host, { family: 4 })).address)
    const started = performance.now()
    await dht.ping({ host, port: node.port })
    return Math.round(performance.now() - started)
  } catch {
    // Unresolvable, refused or timed out: it did not answer.
    return null
  }
}
