import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import type Hyperswarm from 'hyperswarm'
import { PeerBeeError } from '../errors.js'
import type { Diagnosis, HyperswarmLike, JoinOptions, PeerInfo, SwarmConnection, SwarmDiscovery } from '../types.js'
import { Backoff } from './backoff.js'
import { parseBootstrap } from './bootstrap.js'
import { peerId } from './connection.js'
import {
  ConnectionGate,
  refusalOf,
  type AccessPolicy,
  type Direction,
  type Held,
  type Refusal,
  type Standing
} from './connection-gate.js'
import { makeSwarm, offerPeer, type KeyPair } from './create-swarm.js'
import { dialFailure, type DialFailure } from './dial-failure.js'
import { LanDiscovery, type LanPeer } from './lan-discovery.js'

export interface SwarmSessionOptions {
  /** The topic: the db's discovery key, never the db key itself. */
  discoveryKey: Uint8Array
  /** Called once per connection admitted; the db runs `store.replicate(conn)` here. */
  replicate: (conn: SwarmConnection) => void
  /** `'host:port'` DHT bootstrap nodes. Default: the public DHT. */
  bootstrap?: string[] | undefined
  /** Use this swarm instead of making one. It is never destroyed by the session. */
  swarm?: HyperswarmLike | undefined
  /** Swarm identity when the session makes its swarm. A stable one keeps invites valid across restarts. */
  keyPair?: KeyPair
  /** Who may connect. Default: anyone. */
  policy?: AccessPolicy
  /** Caps on connections a swarm the session made accepts and dials. */
  maxInbound?: number | undefined
  maxOutbound?: number | undefined
  /** A stranger that opens no core within this many ms is dropped; 0 keeps it. */
  grace?: number
  /** Announce and listen on the LAN (a swarm the session made, not bound to 127.0.0.1). Default true. */
  lan?: boolean | undefined
  /** The LAN group's UDP port (tests run their own). */
  lanPort?: number
  /** First and longest wait between lookups while short of peers. Default 1 s and 30 s. */
  refreshMin?: number
  refreshMax?: number
}

/** Anyone may connect; nobody is preferred. */
const OPEN_POLICY: AccessPolicy = { standing: () => 'stranger', membersOnly: false, dialable: () => [] }

/** How long join() waits for the dials of its first lookup. */
const JOIN_CONNECT_WAIT_MS = 2_000
/** How long destroy() lets the DHT unannounce this peer before tearing it down. */
const DESTROY_GRACE_MS = 500

/** A connection of this session, as `connections()` lists it. */
export interface SessionConnection {
  publicKey: Uint8Array
  direction: Direction
  standing: Standing
  /** `host:port` of the remote end, once known. */
  address: string | null
  bytesRead: number
  bytesWritten: number
  /** Found through a LAN announcement rather than the DHT. */
  lan: boolean
}

/** What the session knows of its own state, for diagnostics (the counts as `Diagnosis` names them). */
export interface SessionState extends Pick<
  Diagnosis,
  'joined' | 'announced' | 'found' | 'inbound' | 'outbound' | 'maxInbound' | 'maxOutbound'
> {
  refused: Record<Refusal, number>
  evicted: number
  /** Dials that ended without a connection, by why. */
  failed: Record<DialFailure, number>
  /** The DHT of the swarm, once made. */
  dht: Hyperswarm['dht'] | null
  lan: { enabled: boolean; active: boolean; heard: number; why: string | null }
}

/**
 * The db's presence on Hyperswarm: joins the discovery key, replicates over each admitted
 * connection, counts peers and keeps looking while short of them.
 *
 * The swarm is made at the first `join()` (so opening a db binds no socket) and lives until
 * `destroy()`. Who may connect and how many is the {@link ConnectionGate}'s to decide, in the
 * swarm's firewall. With a swarm passed in, the app owns its connections: the session
 * neither caps them, nor closes them, nor announces on the LAN; it only replicates with peers
 * its policy admits.
 *
 * Events: `'peer-add'` and `'peer-remove'` with a {@link PeerInfo}, once per remote public key
 * (a duplicate connection to the same peer does not count twice).
 */
export class SwarmSession extends EventEmitter {
  readonly discoveryKey: Uint8Array
  private readonly opts: SwarmSessionOptions
  private readonly policy: AccessPolicy
  private readonly ownsSwarm: boolean
  private readonly backoff: Backoff
  /** Holds the caps and the lists; null with an app's swarm. */
  readonly gate: ConnectionGate | null

  private hyperswarm: HyperswarmLike | null
  /** The swarm this session made (and so destroys), with its DHT. */
  private made: Hyperswarm | null = null
  private loopback = false
  private discovery: SwarmDiscovery | null = null
  private announced = false
  private refreshTimer: NodeJS.Timeout | null = null
  private destroyed = false
  /** The connection listener stays on from the first join until destroy. */
  private listening = false
  /** Open connections by remote public key. */
  private readonly byPeer = new Map<string, Set<SwarmConnection>>()
  /** Connections already handed to `replicate`, across leave/join cycles of a shared swarm. */
  private readonly replicated = new WeakSet<SwarmConnection>()
  private readonly onConnectionBound = this.onConnection.bind(this)
  private readonly found = new Set<string>()
  private readonly foundOnLan = new Set<string>()
  /** Keys handed to `joinPeer`. */
  private readonly dialling = new Map<string, Uint8Array>()
  private readonly failed: Record<DialFailure, number> = { timeout: 0, holepunch: 0, 'not-found': 0, other: 0 }
  private lan: LanDiscovery | null = null
  private lanWhy: string | null = null

  constructor(opts: SwarmSessionOptions) {
    super()
    this.opts = opts
    this.discoveryKey = opts.discoveryKey
    this.policy = opts.policy ?? OPEN_POLICY
    this.hyperswarm = opts.swarm ?? null
    this.ownsSwarm = opts.swarm === undefined
    this.backoff = new Backoff({ min: opts.refreshMin ?? 1000, max: opts.refreshMax ?? 30_000 })
    if (opts.bootstrap) opts.bootstrap.forEach(parseBootstrap)
    this.gate = this.ownsSwarm
      ? new ConnectionGate({
          policy: this.policy,
          maxInbound: opts.maxInbound,
          maxOutbound: opts.maxOutbound,
          grace: opts.grace,
          unban: (key) => this.made?.peers.get(peerId(key))?.ban(false)
        })
      : null
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

  /** Every connection replicating this db. */
  connections(): SessionConnection[] {
    const held = new Map<SwarmConnection, Held>()
    for (const h of this.gate?.connections() ?? []) held.set(h.conn, h)
    const list: SessionConnection[] = []
    for (const conns of this.byPeer.values()) {
      for (const conn of conns) {
        const raw = conn as unknown as Partial<Hyperswarm.Connection>
        const remote = raw.rawStream ?? null
        list.push({
          publicKey: conn.remotePublicKey,
          direction: conn.isInitiator ? 'outbound' : 'inbound',
          standing: held.get(conn)?.standing ?? this.policy.standing(conn.remotePublicKey),
          address: remote !== null && remote.remoteHost ? `${remote.remoteHost}:${remote.remotePort}` : null,
          bytesRead: raw.rawBytesRead ?? 0,
          bytesWritten: raw.rawBytesWritten ?? 0,
          lan: this.foundOnLan.has(peerId(conn.remotePublicKey))
        })
      }
    }
    return list
  }

  state(): SessionState {
    const count = (direction: Direction) => this.connections().filter((c) => c.direction === direction).length
    return {
      joined: this.joined,
      announced: this.announced,
      found: this.found.size,
      inbound: count('inbound'),
      outbound: count('outbound'),
      maxInbound: this.gate?.maxInbound ?? null,
      maxOutbound: this.gate?.maxOutbound ?? null,
      refused: { ...(this.gate?.refusals ?? { denied: 0, 'not-member': 0, full: 0, idle: 0 }) },
      evicted: this.gate?.evicted ?? 0,
      failed: { ...this.failed },
      dht: this.made?.dht ?? null,
      lan: {
        enabled: this.opts.lan !== false,
        active: this.lan !== null,
        heard: this.lan?.heard ?? 0,
        why: this.lan?.error?.message ?? this.lanWhy
      }
    }
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
      this.announced = false
      // A shared swarm may already be connected to peers of this topic.
      for (const conn of swarm.connections) this.onConnection(conn)
      this.backoff.reset()
      this.scheduleRefresh()
      this.dialTrusted()
      await this.startLan()
    }

    const discovery = this.discovery
    await discovery.flushed()
    if (this.discovery !== discovery) return
    this.announced = true
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
    this.announced = false
    this.stopRefresh()
    for (const key of this.dialling.values()) this.made?.leavePeer(key)
    this.dialling.clear()
    this.lan?.stop()
    this.lan = null
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
   * Who may connect changed (the lists, the members): connections no longer admitted close,
   * peers now admitted may come back, and members and allowed peers are dialled.
   */
  recheck(): void {
    if (this.gate !== null) {
      this.gate.recheck()
      this.dialTrusted()
    }
  }

  /**
   * Leave, and destroy the swarm if the session made it. Idempotent. Leaving unannounces this
   * peer, which waits for DHT timeouts (seconds) when the DHT is unreachable: an own swarm
   * gets {@link DESTROY_GRACE_MS} for it, then its DHT is torn down at once.
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    this.gate?.close()
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
    const gate = this.gate!
    const made = makeSwarm({
      bootstrap: this.opts.bootstrap,
      ...(this.opts.keyPair ? { keyPair: this.opts.keyPair } : {}),
      maxInbound: gate.maxInbound,
      maxOutbound: gate.maxOutbound,
      firewall: (key, inbound) => {
        this.found.add(peerId(key))
        return gate.firewall(key, inbound ? 'inbound' : 'outbound')
      },
      dialed: (key, stream) => this.onDial(key, stream)
    })
    this.made = made.swarm
    this.loopback = made.loopback
    this.hyperswarm = made.swarm
    return this.ensureSwarm()
  }

  /** Counts why dials fail, and frees the slot of one that ended without a connection. */
  private onDial(publicKey: Uint8Array, stream: Duplex): void {
    this.found.add(peerId(publicKey))
    let opened = false
    stream.once('open', () => (opened = true))
    stream.on('error', (err: Error & { code?: string }) => {
      if (!opened) this.failed[dialFailure(err)]++
    })
    stream.once('close', () => {
      if (!opened) this.gate?.dialEnded(publicKey)
    })
  }

  /**
   * Members' and allowed peers' keys are dialled directly, so a crowd on the topic cannot hide
   * them; a key no longer among them is no longer dialled.
   */
  private dialTrusted(): void {
    const swarm = this.made
    if (swarm === null || this.discovery === null) return
    const own = peerId(swarm.keyPair.publicKey)
    const keys = new Map(this.policy.dialable().map((key) => [peerId(key), key]))
    keys.delete(own)
    for (const [id, key] of this.dialling) {
      if (!keys.has(id)) {
        swarm.leavePeer(key)
        this.dialling.delete(id)
      }
    }
    for (const [id, key] of keys) {
      if (this.dialling.has(id)) continue
      this.dialling.set(id, key)
      swarm.joinPeer(key)
    }
  }

  private async startLan(): Promise<void> {
    const swarm = this.made
    if (this.opts.lan === false) return void (this.lanWhy = 'turned off')
    if (swarm === null) return void (this.lanWhy = "the app's own swarm is in use")
    if (this.loopback) return void (this.lanWhy = 'the DHT is bound to 127.0.0.1')
    try {
      await swarm.dht.bind()
      const address = swarm.dht.localAddress()
      if (address === null || this.discovery === null || this.lan !== null) return
      this.lan = await LanDiscovery.start({
        discoveryKey: this.discoveryKey,
        publicKey: swarm.keyPair.publicKey,
        port: address.port,
        found: (peer) => this.onLanPeer(peer),
        ...(this.opts.lanPort !== undefined ? { lanPort: this.opts.lanPort } : {})
      })
      if (this.discovery === null) {
        this.lan.stop()
        this.lan = null
      }
    } catch (err) {
      // A machine without multicast still has the DHT.
      this.lanWhy = err instanceof Error ? err.message : String(err)
    }
  }

  private onLanPeer(peer: LanPeer): void {
    const id = peerId(peer.publicKey)
    this.found.add(id)
    this.foundOnLan.add(id)
    if (this.made === null || this.byPeer.has(id)) return
    offerPeer(this.made, this.discoveryKey, peer)
  }

  private onConnection(conn: SwarmConnection): void {
    // Errors surface as 'close'; without a listener they would crash the process.
    conn.on('error', noop)
    if (!this.discovery) {
      // Left the topic: a peer that still knows our address is turned away.
      if (this.ownsSwarm) conn.destroy()
      return
    }
    if (this.gate !== null) {
      if (!this.gate.admit(conn)) return void conn.destroy()
      conn.once('close', () => this.gate?.release(conn))
    } else if (refusalOf(this.policy.standing(conn.remotePublicKey), this.policy.membersOnly) !== null) {
      // An app's swarm: its connection is its own, but this db does not replicate over it.
      return
    }

    const id = peerId(conn.remotePublicKey)
    this.found.add(id)
    let conns = this.byPeer.get(id)
    const isNewPeer = conns === undefined
    if (!conns) this.byPeer.set(id, (conns = new Set()))
    conns.add(conn)
    conn.once('close', () => this.untrack(conn))

    if (!this.replicated.has(conn)) {
      this.replicated.add(conn)
      this.opts.replicate(conn)
    }
    if (isNewPeer) this.emit('peer-add', { publicKey: conn.remotePublicKey } satisfies PeerInfo)
  }

  private untrack(conn: SwarmConnection): void {
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

  /** Short of peers: fewer dialled than the cap allows (or none at all, on an app's swarm). */
  private shortOfPeers(): boolean {
    if (this.gate === null) return this.peers === 0
    return this.gate.count('outbound') < this.gate.maxOutbound
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
      if (!discovery || !this.shortOfPeers()) return
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
