import type { SwarmConnection } from '../types.js'
import { hasOpenCore, peerId } from './connection.js'

/** Who a peer is to this db, by its swarm key. */
export type Standing = 'denied' | 'member' | 'allowed' | 'invited' | 'stranger'
export type Direction = 'inbound' | 'outbound'
/** Why a peer was refused or dropped. */
export type Refusal = 'denied' | 'not-member' | 'full' | 'idle'

/** What the db says of a peer: its lists, its members' swarm keys, the invites it serves. */
export interface AccessPolicy {
  standing(publicKey: Uint8Array): Standing
  /** Only members, allowed peers and invitees may connect. */
  readonly membersOnly: boolean
  /** Peers to dial by key (members, allowed peers), found on the topic or not. */
  dialable(): Uint8Array[]
}

export const DEFAULT_MAX_INBOUND = 48
export const DEFAULT_MAX_OUTBOUND = 16
/** How long a stranger may hold a connection without opening a core of the db. */
export const DEFAULT_GRACE_MS = 5000
/** How long a stranger dropped for holding a connection idle is refused. */
const COOLDOWN_MS = 60_000
/** How long an admitted handshake or dial holds its slot before the connection opens. */
const RESERVATION_MS = 20_000
const SWEEP_MS = 5000

export interface GateOptions {
  policy: AccessPolicy
  maxInbound?: number
  maxOutbound?: number
  /** 0: strangers are never dropped for holding a connection idle. */
  grace?: number
  /** Lets a peer the swarm banned (its firewall refused it) be tried again. */
  unban(publicKey: Uint8Array): void
}

/** A connection the gate admitted. */
export interface Held {
  conn: SwarmConnection
  publicKey: Uint8Array
  direction: Direction
  standing: Standing
  /** When it was admitted (ms). */
  since: number
}

interface Tracked extends Held {
  id: string
  timer: NodeJS.Timeout | null
}

/** A peer the swarm's firewall refused (so banned), kept until it may come back. */
interface Refused {
  publicKey: Uint8Array
  reason: Refusal
  until: number
}

/** Why a peer of this standing is refused whatever the room, or null. */
export function refusalOf(standing: Standing, membersOnly: boolean): 'denied' | 'not-member' | null {
  if (standing === 'denied') return 'denied'
  if (membersOnly && standing === 'stranger') return 'not-member'
  return null
}

function trusted(standing: Standing): boolean {
  return standing === 'member' || standing === 'allowed' || standing === 'invited'
}

/**
 * Decides who may connect, and holds the connection caps, for a swarm peerbee made.
 *
 * Its firewall runs in Hyperswarm's, before the handshake completes: a denied peer, or a
 * stranger when only members may connect, gets no answer, so it learns neither a block nor
 * this peer's address from it. The caps hold per direction (inbound: peers that dialled this
 * one; outbound: those it dialled), counting handshakes under way; Hyperswarm 4.17 does not
 * enforce `maxServerConnections`, so the gate does. At a cap, a member, an allowed peer or an
 * invitee takes the slot of a stranger, which is closed; a stranger is refused. A stranger
 * that opens no core of the db within the grace is dropped, and refused for a while.
 *
 * Hyperswarm bans whoever its firewall refuses, for the life of the swarm: the gate lifts the
 * ban once the peer may come back (a slot freed, the lists or the members changed, its
 * cool-down over).
 */
export class ConnectionGate {
  readonly refusals: Record<Refusal, number> = { denied: 0, 'not-member': 0, full: 0, idle: 0 }
  /** Strangers closed to make room for a member or an allowed peer. */
  evicted = 0
  readonly maxInbound: number
  readonly maxOutbound: number
  private readonly policy: AccessPolicy
  private readonly grace: number
  private readonly unban: (publicKey: Uint8Array) => void
  private readonly held = new Map<SwarmConnection, Tracked>()
  private readonly reserved = new Map<string, { direction: Direction; until: number }>()
  private readonly refused = new Map<string, Refused>()
  private readonly sweeper: NodeJS.Timeout

  constructor(opts: GateOptions) {
    this.policy = opts.policy
    this.maxInbound = opts.maxInbound ?? DEFAULT_MAX_INBOUND
    this.maxOutbound = opts.maxOutbound ?? DEFAULT_MAX_OUTBOUND
    this.grace = opts.grace ?? DEFAULT_GRACE_MS
    this.unban = opts.unban
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS)
    this.sweeper.unref()
  }

  /** The connections held, oldest first. */
  connections(): Held[] {
    return [...this.held.values()]
  }

  /** Connections held and handshakes admitted in one direction. */
  count(direction: Direction): number {
    let n = 0
    for (const h of this.held.values()) if (h.direction === direction) n++
    for (const r of this.reserved.values()) if (r.direction === direction) n++
    return n
  }

  /** Hyperswarm's firewall: true refuses the peer, before any replication message. */
  firewall(publicKey: Uint8Array, direction: Direction): boolean {
    const id = peerId(publicKey)
    const standing = this.policy.standing(publicKey)
    let refusal: Refusal | null = refusalOf(standing, this.policy.membersOnly)
    const cooling = this.refused.get(id)
    if (refusal === null && !trusted(standing) && cooling?.reason === 'idle' && cooling.until > Date.now()) {
      refusal = 'idle'
    }
    if (refusal === null && !this.makeRoom(direction, standing)) refusal = 'full'
    if (refusal !== null) {
      this.refusals[refusal]++
      const until = refusal === 'idle' ? this.refused.get(id)!.until : Infinity
      this.refused.set(id, { publicKey, reason: refusal, until })
      return true
    }
    this.reserved.set(id, { direction, until: Date.now() + RESERVATION_MS })
    return false
  }

  /** A dial this peer made ended without a connection: its slot is free again. */
  dialEnded(publicKey: Uint8Array): void {
    const id = peerId(publicKey)
    if (this.reserved.get(id)?.direction === 'outbound') this.reserved.delete(id)
  }

  /** A connection opened: true if it is held, false if the caller must close it. */
  admit(conn: SwarmConnection): boolean {
    const publicKey = conn.remotePublicKey
    const id = peerId(publicKey)
    const direction: Direction = conn.isInitiator ? 'outbound' : 'inbound'
    this.reserved.delete(id)
    const standing = this.policy.standing(publicKey)
    // The lists or the members may have changed during the handshake.
    const refusal = refusalOf(standing, this.policy.membersOnly) ?? (this.makeRoom(direction, standing) ? null : 'full')
    if (refusal !== null) {
      this.refusals[refusal]++
      return false
    }
    const tracked: Tracked = { conn, publicKey, id, direction, standing, since: Date.now(), timer: null }
    this.held.set(conn, tracked)
    if (standing === 'stranger') this.watch(tracked)
    return true
  }

  /** A held connection closed. */
  release(conn: SwarmConnection): void {
    const tracked = this.held.get(conn)
    if (tracked === undefined) return
    this.untrack(tracked)
    // Peers refused for want of room may try again.
    for (const [id, r] of this.refused) {
      if (r.reason === 'full') this.lift(id, r)
    }
  }

  /**
   * The lists or the members changed: connections no longer admitted close, and peers now
   * admitted are no longer banned.
   */
  recheck(): void {
    for (const tracked of [...this.held.values()]) {
      let standing = this.policy.standing(tracked.publicKey)
      // A candidate's connection outlives its invite, used on it: the reply must reach it.
      if (tracked.standing === 'invited' && standing !== 'denied') standing = 'invited'
      tracked.standing = standing
      const refusal = refusalOf(standing, this.policy.membersOnly)
      if (refusal !== null) {
        this.refusals[refusal]++
        this.refused.set(tracked.id, { publicKey: tracked.publicKey, reason: refusal, until: Infinity })
        this.untrack(tracked)
        tracked.conn.destroy()
      } else if (standing !== 'stranger' && tracked.timer !== null) {
        clearTimeout(tracked.timer)
        tracked.timer = null
      }
    }
    for (const [id, r] of this.refused) {
      const standing = this.policy.standing(r.publicKey)
      if (refusalOf(standing, this.policy.membersOnly) !== null) continue
      if (r.reason === 'denied' || r.reason === 'not-member' || trusted(standing)) this.lift(id, r)
    }
  }

  close(): void {
    clearInterval(this.sweeper)
    for (const tracked of this.held.values()) if (tracked.timer !== null) clearTimeout(tracked.timer)
    this.held.clear()
  }

  private cap(direction: Direction): number {
    return direction === 'inbound' ? this.maxInbound : this.maxOutbound
  }

  /** True if a connection of this standing fits in `direction`, after closing a stranger if need be. */
  private makeRoom(direction: Direction, standing: Standing): boolean {
    if (this.count(direction) < this.cap(direction)) return true
    if (!trusted(standing)) return false
    const victim = this.victim(direction)
    if (victim === null) return false
    this.evicted++
    this.untrack(victim)
    victim.conn.destroy()
    return true
  }

  /** The stranger to close for a trusted peer: one that opened no core first, then the oldest. */
  private victim(direction: Direction): Tracked | null {
    let best: Tracked | null = null
    for (const t of this.held.values()) {
      if (t.direction !== direction || t.standing !== 'stranger') continue
      if (!hasOpenCore(t.conn)) return t
      best ??= t
    }
    return best
  }

  private watch(tracked: Tracked): void {
    if (this.grace <= 0) return
    tracked.timer = setTimeout(() => {
      tracked.timer = null
      if (this.held.get(tracked.conn) !== tracked || tracked.standing !== 'stranger' || hasOpenCore(tracked.conn))
        return
      this.refusals.idle++
      this.refused.set(tracked.id, { publicKey: tracked.publicKey, reason: 'idle', until: Date.now() + COOLDOWN_MS })
      this.untrack(tracked)
      tracked.conn.destroy()
    }, this.grace)
    tracked.timer.unref()
  }

  private untrack(tracked: Tracked): void {
    if (tracked.timer !== null) clearTimeout(tracked.timer)
    tracked.timer = null
    this.held.delete(tracked.conn)
  }

  private lift(id: string, r: Refused): void {
    this.refused.delete(id)
    this.unban(r.publicKey)
  }

  private sweep(): void {
    const now = Date.now()
    for (const [id, r] of this.reserved) if (r.until <= now) this.reserved.delete(id)
    for (const [id, r] of this.refused) if (r.until <= now) this.lift(id, r)
  }
}
