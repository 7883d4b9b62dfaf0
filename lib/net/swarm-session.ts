import { EventEmitter } from 'node:events'
import { PeerBeeError } from '../errors.js'
import type { HyperswarmLike, JoinOptions, PeerInfo, SwarmConnection, SwarmDiscovery } from '../types.js'
import { Backoff } from './backoff.js'
import { parseBootstrap } from './bootstrap.js'
import type Hyperswarm from 'hyperswarm'
import { createSwarm, type CreateSwarmOptions, type KeyPair } from './create-swarm.js'
import { hasOpenChannel, peerId } from './connection.js'

export interface SwarmSessionOptions {
  /** The topic: the db's discovery key, never the db key itself. */
  discoveryKey: Uint8Array
  /** Called once per connection; the db runs `store.replicate(conn)` here. */
  replicate: (conn: SwarmConnection) => void
  /** `'host:port'` DHT bootstrap nodes. Default: the public DHT. */
  bootstrap?: string[]
  /** Use this swarm instead of making one. It is never destroyed by the session. */
  swarm?: HyperswarmLike
  /** Swarm identity when the session makes its swarm. A stable one keeps invites valid across restarts. */
  keyPair?: KeyPair
  /** Connections kept at most; extra inbound ones are closed. Default 64. */
  maxPeers?: number
  /** A connection with no open channel after this many ms is closed; 0 keeps it. Default 10 s. */
  idleTimeout?: number
  /** First and longest wait between lookups while short of peers. Default 1 s and 30 s. */
  refreshMin?: number
  refreshMax?: number
}

const DEFAULT_MAX_PEERS = 64
const DEFAULT_IDLE_TIMEOUT = 10_000
/** How long join() waits for the dials of its first lookup. */
const JOIN_CONNECT_WAIT_MS = 2_000
/** How long destroy() lets the DHT unannounce this peer before tearing it down. */
const DESTROY_GRACE_MS = 500

/**
 * The db's presence on Hyperswarm: joins the discovery key, replicates over each
 * connection, counts peers and keeps looking while short of them.
 *
 * The swarm is made at the first `join()` (so opening a db binds no socket) and
 * lives until `destroy()`. With a swarm passed in, the app owns its connections:
 * the session neither caps them, nor closes idle ones, nor closes them on `leave()`.
 *
 * Events: `'peer-add'` and `'peer-remove'` with a {@link PeerInfo}, once per remote
 * public key (a duplicate connection to the same peer does not count twice).
 */
export class SwarmSession extends EventEmitter {
  readonly discoveryKey: Uint8Array
  private readonly replicateConnection: (conn: SwarmConnection) => void
  private readonly bootstrap: string[] | undefined
  private readonly keyPair: KeyPair | undefined
  private readonly ownsSwarm: boolean
  private readonly maxPeers: number
  private readonly idleTimeout: number
  private readonly backoff: Backoff

  private hyperswarm: HyperswarmLike | null
  /** The swarm this session made (and so destroys), with its DHT. */
  private made: Hyperswarm | null = null
  private discovery: SwarmDiscovery | null = null
  private refreshTimer: NodeJS.Timeout | null = null
  private destroyed = false
  /** The connection listener stays on from the first join until destroy. */
  private listening = false
  /** Open connections by remote public key. */
  private readonly byPeer = new Map<string, Set<SwarmConnection>>()
  private readonly idleTimers = new Map<SwarmConnection, NodeJS.Timeout>()
  /** Connections already handed to `replicate`, across leave/join cycles of a shared swarm. */
  private readonly replicated = new WeakSet<SwarmConnection>()
  private readonly onConnectionBound = this.onConnection.bind(this)

  constructor(opts: SwarmSessionOptions) {
    super()
    this.discoveryKey = opts.discoveryKey
    this.replicateConnection = opts.replicate
    this.bootstrap = opts.bootstrap
    this.keyPair = opts.keyPair
    this.hyperswarm = opts.swarm ?? null
    this.ownsSwarm = opts.swarm === undefined
    this.maxPeers = opts.maxPeers ?? DEFAULT_MAX_PEERS
    this.idleTimeout = opts.idleTimeout ?? DEFAULT_IDLE_TIMEOUT
    this.backoff = new Backoff({ min: opts.refreshMin ?? 1000, max: opts.refreshMax ?? 30_000 })
    if (this.bootstrap) this.bootstrap.forEach(parseBootstrap)
  }

  /** The swarm in use: null until the first `join()` when the session makes its own. */
  get swarm(): HyperswarmLike | null {
    return this.hyperswarm
  }

  /** True between `join()` and `leave()`. */
  get joined(): boolean {
    return this.discovery !== null
  }

  /** Number of distinct peers connected. */
  get peers(): number {
    return this.byPeer.size
  }

  /** The connected peers. */
  peerList(): PeerInfo[] {
    const list: PeerInfo[] = []
    for (const conns of this.byPeer.values()) {
      const [conn] = conns
      if (conn) list.push({ publicKey: conn.remotePublicKey })
    }
    return list
  }

  /**
   * Announce (server) and look up (client) the discovery key. Resolves once the
   * announce and the first lookup are done and the peers it found were tried.
   * Joining again only changes the server/client mode.
   */
  async join({ server = true, client = true }: JoinOptions = {}): Promise<void> {
    if (this.destroyed) throw PeerBeeError.CLOSED()
    if (!server && !client) throw PeerBeeError.INVALID_ARGUMENT('join needs server or client')
    const swarm = this.ensureSwarm()

    if (this.discovery) {
      await this.discovery.refresh({ server, client })
    } else {
      this.discovery = swarm.join(this.discoveryKey, { server, client })
      // A shared swarm may already be connected to peers of this topic.
      for (const conn of swarm.connections) this.onConnection(conn)
      this.backoff.reset()
      this.scheduleRefresh()
    }

    const discovery = this.discovery
    await discovery.flushed()
    if (this.discovery !== discovery) return
    // Let the connections to what the lookup found open, so join() then update() syncs; but
    // a dead peer still listed in the DHT costs a ~10 s dial: past the bound, dials go on
    // in the background.
    let timer: NodeJS.Timeout | undefined
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, JOIN_CONNECT_WAIT_MS)))
    try {
      await Promise.race([swarm.flush(), bound])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Stop announcing and looking up; with its own swarm, close every connection too. */
  async leave(): Promise<void> {
    const discovery = this.discovery
    if (!discovery || !this.hyperswarm) return
    this.discovery = null
    this.stopRefresh()
    await discovery.destroy()

    const closed: Array<Promise<void>> = []
    for (const conns of this.byPeer.values()) {
      for (const conn of conns) {
        if (this.ownsSwarm) closed.push(closeConnection(conn))
        else this.untrack(conn)
      }
    }
    await Promise.all(closed)
  }

  /**
   * Leave, and destroy the swarm if the session made it. Idempotent. Leaving unannounces this
   * peer, which waits for DHT timeouts (seconds) when the DHT is unreachable: an own swarm
   * gets {@link DESTROY_GRACE_MS} for it, then its DHT is torn down at once.
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    const swarm = this.made
    const graceful = this.leaveAndDestroy()
    if (swarm === null) return graceful
    let timer: NodeJS.Timeout | undefined
    const grace = new Promise<false>((resolve) => (timer = setTimeout(resolve, DESTROY_GRACE_MS, false)))
    try {
      if (!(await Promise.race([graceful.then(() => true), grace]))) await swarm.dht.destroy({ force: true })
    } finally {
      clearTimeout(timer)
    }
    await graceful
  }

  private async leaveAndDestroy(): Promise<void> {
    await this.leave()
    for (const timer of this.idleTimers.values()) clearTimeout(timer)
    this.idleTimers.clear()
    if (!this.hyperswarm) return
    this.hyperswarm.off('connection', this.onConnectionBound)
    if (this.ownsSwarm) await this.hyperswarm.destroy()
  }

  private ensureSwarm(): HyperswarmLike {
    if (this.hyperswarm) {
      if (!this.listening) this.hyperswarm.on('connection', this.onConnectionBound)
      this.listening = true
      return this.hyperswarm
    }
    const opts: CreateSwarmOptions = { maxPeers: this.maxPeers }
    if (this.bootstrap) opts.bootstrap = this.bootstrap
    if (this.keyPair) opts.keyPair = this.keyPair
    this.made = createSwarm(opts)
    this.hyperswarm = this.made
    return this.ensureSwarm()
  }

  private onConnection(conn: SwarmConnection): void {
    // Errors surface as 'close'; without a listener they would crash the process.
    conn.on('error', noop)
    if (!this.discovery) {
      // Left the topic: a peer that still knows our address is turned away.
      if (this.ownsSwarm) conn.destroy()
      return
    }
    if (this.ownsSwarm && this.connectionCount() >= this.maxPeers) {
      conn.destroy()
      return
    }

    const id = peerId(conn.remotePublicKey)
    let conns = this.byPeer.get(id)
    const isNewPeer = conns === undefined
    if (!conns) this.byPeer.set(id, (conns = new Set()))
    conns.add(conn)
    conn.once('close', () => this.untrack(conn))

    if (!this.replicated.has(conn)) {
      this.replicated.add(conn)
      this.replicateConnection(conn)
    }
    if (this.ownsSwarm && this.idleTimeout > 0) this.watchIdle(conn)
    if (isNewPeer) this.emit('peer-add', { publicKey: conn.remotePublicKey } satisfies PeerInfo)
  }

  private untrack(conn: SwarmConnection): void {
    const timer = this.idleTimers.get(conn)
    if (timer) clearTimeout(timer)
    this.idleTimers.delete(conn)

    const id = peerId(conn.remotePublicKey)
    const conns = this.byPeer.get(id)
    if (!conns || !conns.delete(conn) || conns.size > 0) return
    this.byPeer.delete(id)
    this.emit('peer-remove', { publicKey: conn.remotePublicKey } satisfies PeerInfo)
    if (this.discovery) {
      // A lost peer may have been our only link: look again soon.
      this.backoff.reset()
      this.scheduleRefresh()
    }
  }

  private watchIdle(conn: SwarmConnection): void {
    const timer = setTimeout(() => {
      this.idleTimers.delete(conn)
      if (!hasOpenChannel(conn)) conn.destroy()
    }, this.idleTimeout)
    timer.unref()
    this.idleTimers.set(conn, timer)
  }

  private connectionCount(): number {
    let count = 0
    for (const conns of this.byPeer.values()) count += conns.size
    return count
  }

  /**
   * Hyperswarm looks a topic up once at join (then every ~10 min), so peers that
   * join at the same moment can miss each other. Look again while short of peers.
   */
  private scheduleRefresh(): void {
    this.stopRefresh()
    const timer = setTimeout(() => {
      this.refreshTimer = null
      const discovery = this.discovery
      if (!discovery || this.peers >= this.maxPeers) return
      discovery.refresh().then(
        () => {
          if (this.discovery === discovery) this.scheduleRefresh()
        },
        () => {
          if (this.discovery === discovery) this.scheduleRefresh()
        }
      )
    }, this.backoff.next())
    timer.unref()
    this.refreshTimer = timer
  }

  private stopRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer)
    this.refreshTimer = null
  }
}

function closeConnection(conn: SwarmConnection): Promise<void> {
  if (conn.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    conn.once('close', () => resolve())
    conn.destroy()
  })
}

function noop(): void {}
