import b4a from 'b4a'
import type Corestore from 'corestore'
import type Hypercore from 'hypercore'
import * as ids from 'hypercore-id-encoding'
import type Protomux from 'protomux'
import { PeerBeeError } from '../errors.js'
import { writerId } from '../model/ids.js'
import { BindingExchange } from '../net/binding-exchange.js'
import type { AccessPolicy, Standing } from '../net/connection-gate.js'
import { peerId } from '../net/connection.js'
import type { KeyPair } from '../net/create-swarm.js'
import { Invitees } from '../net/invitees.js'
import {
  bindingId,
  checkBinding,
  decodeBindings,
  encodeBindings,
  signBinding,
  type PeerBinding
} from '../net/peer-binding.js'
import { PeerLists, type ListName } from '../net/peer-lists.js'
import type { SessionConnection } from '../net/swarm-session.js'
import type { PeerConnection } from '../types.js'
import { swarmKeyPair } from './db-network.js'
import { decodePeerKey } from './key-input.js'
import type { LocalSettings } from './local-settings.js'
import type { PeerBeeOptions } from './options.js'
import type { OpenedStorage } from './storage.js'

const BINDINGS = 'peers/bindings'
/** Checked bindings of writers that are not members (yet) kept in memory, at most. */
const MAX_PENDING = 1024

export interface PeerAccessOptions {
  local: LocalSettings
  dbKey: Uint8Array
  discoveryKey: Uint8Array
  /** This peer's swarm identity; without a secret key (an app's swarm) it binds no key. */
  keyPair: { publicKey: Uint8Array; secretKey?: Uint8Array }
  /** This peer's writer log now (a recovery moves it to a new one). */
  writerLog(): Hypercore
  /** Whether a writer is a current member (not removed, not cut by a fork); null while unknown. */
  member(writer: string): boolean | null
  allow: Uint8Array[]
  deny: Uint8Array[]
  membersOnly: boolean
}

/**
 * Who may connect to this db, from the peer's lists, the swarm keys its members bound to
 * their writer keys, and the invites it serves. It keeps the bindings it learns (members'
 * ones in the storage, others in memory until their writer becomes a member) and passes them
 * on over the peers protocol.
 */
export class PeerAccess implements AccessPolicy {
  readonly membersOnly: boolean
  readonly publicKey: Uint8Array
  readonly invitees: Invitees
  private readonly opts: PeerAccessOptions
  private readonly lists: PeerLists
  private readonly kept = new Map<string, PeerBinding>()
  private readonly pending = new Map<string, PeerBinding>()
  /** Swarm keys of current members (hex) and their writer keys. */
  private memberPeers = new Map<string, Uint8Array>()
  private readonly exchange: BindingExchange
  private own: PeerBinding | null = null
  /** Called when who may connect changed. */
  changed: () => void = () => {}

  private constructor(opts: PeerAccessOptions, lists: PeerLists, invitees: Invitees, kept: PeerBinding[]) {
    this.opts = opts
    this.membersOnly = opts.membersOnly
    this.publicKey = opts.keyPair.publicKey
    this.lists = lists
    this.invitees = invitees
    for (const b of kept) this.kept.set(bindingId(b), b)
    this.exchange = new BindingExchange({
      discoveryKey: opts.discoveryKey,
      known: () => this.known(),
      received: (list) => this.received(list)
    })
  }

  static async open(opts: PeerAccessOptions): Promise<PeerAccess> {
    const lists = await PeerLists.open(opts.local, { allow: opts.allow, deny: opts.deny })
    const invitees = await Invitees.open(opts.local)
    const kept = decodeBindings((await opts.local.get(BINDINGS)) ?? encodeBindings([])) ?? []
    const access = new PeerAccess(opts, lists, invitees, kept)
    access.membersChanged()
    return access
  }

  standing(publicKey: Uint8Array): Standing {
    if (this.lists.has('deny', publicKey)) return 'denied'
    if (this.memberPeers.has(peerId(publicKey))) return 'member'
    if (this.lists.has('allow', publicKey)) return 'allowed'
    if (this.invitees.has(publicKey)) return 'invited'
    return 'stranger'
  }

  dialable(): Uint8Array[] {
    const keys = new Map<string, Uint8Array>()
    for (const key of this.lists.keys('allow')) keys.set(peerId(key), key)
    for (const id of this.memberPeers.keys()) keys.set(id, b4a.from(id, 'hex'))
    keys.delete(peerId(this.publicKey))
    return [...keys.values()]
  }

  /** The writer key a swarm key is bound to, if that writer is a current member. */
  writerOf(publicKey: Uint8Array): Uint8Array | null {
    return this.memberPeers.get(peerId(publicKey)) ?? null
  }

  listed(): { allow: Uint8Array[]; deny: Uint8Array[] } {
    return { allow: this.lists.keys('allow'), deny: this.lists.keys('deny') }
  }

  /** Puts a key on a list (off the other) and keeps it in the storage. */
  async list(name: ListName, publicKey: Uint8Array): Promise<void> {
    await this.lists.put(name, publicKey)
    this.changed()
  }

  async unlist(publicKey: Uint8Array): Promise<void> {
    await this.lists.unlist(publicKey)
    this.changed()
  }

  /** Opens the peers protocol on a connection to a peer that holds the db key. */
  attach(mux: Protomux): void {
    this.exchange.attach(mux)
  }

  /** This peer's binding of its swarm key to its writer log; null with a swarm of the app's that has no secret key. */
  ownBinding(): PeerBinding | null {
    const { secretKey } = this.opts.keyPair
    const log = this.opts.writerLog()
    if (secretKey === undefined) return null
    if (this.own === null || !b4a.equals(this.own.writer, log.key)) {
      this.own = signBinding(this.opts.dbKey, log, { publicKey: this.publicKey, secretKey })
    }
    return this.own
  }

  /**
   * The members changed (or may have: called after every index step): swarm keys bound to
   * writers that left stop counting, those of new members start to.
   */
  membersChanged(): void {
    const own = this.own
    if (this.ownBinding() !== own && own !== null) this.exchange.broadcast([this.own!])
    const promoted: PeerBinding[] = []
    for (const [id, b] of this.pending) {
      if (this.opts.member(writerId(b.writer)) !== true) continue
      this.pending.delete(id)
      this.kept.set(id, b)
      promoted.push(b)
    }
    if (promoted.length > 0) this.save()
    const next = new Map<string, Uint8Array>()
    for (const b of this.kept.values()) {
      const member = this.opts.member(writerId(b.writer))
      // Unknown for now (the index is being rebuilt): keep what was known.
      if (member === null) return
      if (member) next.set(peerId(b.peer), b.writer)
    }
    if (sameKeys(next, this.memberPeers)) return
    this.memberPeers = next
    this.changed()
  }

  close(): void {
    this.exchange.close()
  }

  private known(): PeerBinding[] {
    const own = this.ownBinding()
    const list = [...this.kept.values()].filter((b) => this.opts.member(writerId(b.writer)) === true)
    return own === null ? list : [own, ...list.filter((b) => bindingId(b) !== bindingId(own))]
  }

  /** Bindings a peer sent: checked, kept (a member's) or held (anyone else's), passed on if new. */
  received(list: PeerBinding[]): void {
    const fresh: PeerBinding[] = []
    for (const b of list) {
      const id = bindingId(b)
      if (this.kept.has(id) || this.pending.has(id) || !checkBinding(b, this.opts.dbKey)) continue
      if (this.opts.member(writerId(b.writer)) === true) {
        this.kept.set(id, b)
        fresh.push(b)
      } else if (this.pending.size < MAX_PENDING) {
        this.pending.set(id, b)
      }
    }
    if (fresh.length === 0) return
    this.save()
    this.exchange.broadcast(fresh)
    this.membersChanged()
  }

  private save(): void {
    // Bindings are rare and small: the whole list is one setting. A write that fails (the db
    // closing) loses nothing a peer will not send again.
    this.opts.local.set(BINDINGS, encodeBindings([...this.kept.values()])).catch(() => {})
  }
}

function sameKeys(a: Map<string, unknown>, b: Map<string, unknown>): boolean {
  if (a.size !== b.size) return false
  for (const key of a.keys()) if (!b.has(key)) return false
  return true
}

/** The options of who may connect, checked. */
export interface PeerOptions {
  allow: Uint8Array[]
  deny: Uint8Array[]
  membersOnly: boolean
  maxInbound: number | undefined
  maxOutbound: number | undefined
  lan: boolean
}

/** Checks the options of who may connect; a bad one throws `INVALID_ARGUMENT`. */
export function peerOptions(opts: PeerBeeOptions): PeerOptions {
  const cap = (name: string, value: unknown) => {
    if (value === undefined) return undefined
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw PeerBeeError.INVALID_ARGUMENT(`${name} is a number of connections (an integer, 0 or more)`)
    }
    return value
  }
  const keys = (name: string, value: unknown) => {
    if (value === undefined) return []
    if (!Array.isArray(value)) throw PeerBeeError.INVALID_ARGUMENT(`${name} is a list of peer keys`)
    return value.map(decodePeerKey)
  }
  return {
    allow: keys('allow', opts.allow),
    deny: keys('deny', opts.deny),
    membersOnly: opts.membersOnly === true,
    maxInbound: cap('maxInbound', opts.maxInbound),
    maxOutbound: cap('maxOutbound', opts.maxOutbound),
    lan: opts.lan !== false
  }
}

/**
 * The access of a db open on `storage`, and the swarm key pair its own swarm will use (null
 * when the app passed its swarm: that swarm's key is this peer's).
 */
export async function openAccess(
  store: Corestore,
  storage: OpenedStorage,
  opts: PeerOptions & { swarm: { keyPair: { publicKey: Uint8Array } } | undefined },
  member: (writer: string) => boolean | null
): Promise<{ access: PeerAccess; keyPair: KeyPair | null }> {
  const keyPair = opts.swarm ? null : await swarmKeyPair(store, storage.local, ids.encode(storage.dbKey))
  const access = await PeerAccess.open({
    local: storage.local,
    dbKey: storage.dbKey,
    discoveryKey: storage.rootLog.discoveryKey,
    keyPair: keyPair ?? (opts.swarm!.keyPair as PeerAccessOptions['keyPair']),
    writerLog: () => storage.writerLog,
    member,
    allow: opts.allow,
    deny: opts.deny,
    membersOnly: opts.membersOnly
  })
  return { access, keyPair }
}

/** A connection of the session as the API lists it. */
export function publicConnection(c: SessionConnection, access: PeerAccess): PeerConnection {
  return {
    publicKey: c.publicKey,
    writer: access.writerOf(c.publicKey),
    standing: c.standing === 'denied' ? 'stranger' : c.standing,
    direction: c.direction,
    address: c.address,
    bytesRead: c.bytesRead,
    bytesWritten: c.bytesWritten,
    lan: c.lan
  }
}
