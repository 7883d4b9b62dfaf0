import b4a from 'b4a'
import c from 'compact-encoding'
import { compareClocks, type Clock } from '../model/clock.js'
import { clockEncoding } from '../model/codecs.js'
import { writerId, writerKeyOf } from '../model/ids.js'
import type { KeyShare, PastKey } from '../model/keys.js'
import { KEY_BYTES, KEY_ID_BYTES, blockKeyOf, keyIdOf } from './block-cipher.js'
import { openSealedKey, unlockPast, type BoxKeyPair } from './sealing.js'

/** What a `keys` op says: a key by its id, sealed to members, with older keys under it. */
export interface KeysAnnouncement {
  id: Uint8Array
  shares: KeyShare[]
  past: PastKey[]
}

/** Where a valid `keys` op stands among the others: the merge's order of facts. */
export interface KeyOrder {
  clock: Clock
  writer: string
  seq: number
}

/** What this peer knows of one key, by its id (it may know the id without the key). */
interface KeyState {
  key: Uint8Array | null
  /** The first valid `keys` op that names it; null when none was seen. */
  intro: KeyOrder | null
  /** Given to this peer (or made here): the later given, the higher. 0: only learnt from logs. */
  given: number
  /** A valid `keys` op lists it among its past keys: a newer key replaces it. */
  superseded: boolean
  /** Members a valid `keys` op sealed it to. */
  sharedWith: Set<string>
}

/** Block keys derived at most (a key per writer log and db key). */
const BLOCK_KEYS = 1024
const FORMAT = 1

function compareOrders(a: KeyOrder, b: KeyOrder): number {
  return compareClocks(a.clock, b.clock) || (a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : a.seq - b.seq)
}

/**
 * The db encryption keys this peer holds, and which one it writes with (`current`).
 *
 * Keys are learnt from anything that proves itself: a key sealed to this peer, or an older key
 * encrypted under one it holds, must match the id it is announced under, so holding it is
 * never wrong whoever wrote the op. Which key is current is decided by valid ops only (an
 * admin's, as the merge decides): among the keys given to this peer or named by a valid op, one
 * no valid op has replaced, the most recently introduced (a key given here and not yet seen in
 * an op counts as the newest). So a removed writer, which can still append ops that nobody
 * counts, cannot make members write under a key of its choosing.
 */
export class Keyring {
  private readonly states = new Map<string, KeyState>()
  private givenCount = 0
  private readonly blockKeys = new Map<string, Uint8Array>()
  /** The current key and its id, until the keyring changes. */
  private chosen: { key: Uint8Array; id: Uint8Array } | null = null
  private readonly save: (bytes: Uint8Array) => Promise<void>

  private constructor(save: (bytes: Uint8Array) => Promise<void>) {
    this.save = save
  }

  /** A keyring holding `keys`, given in this order (the last one current), saved through `save`. */
  static async create(keys: Uint8Array[], save: (bytes: Uint8Array) => Promise<void>): Promise<Keyring> {
    const ring = new Keyring(save)
    for (const key of keys) ring.give(key)
    await ring.persist()
    return ring
  }

  /** A keyring as `encode()` left it; null for bytes of another format. */
  static decode(bytes: Uint8Array, save: (bytes: Uint8Array) => Promise<void>): Keyring | null {
    const ring = new Keyring(save)
    try {
      const state = c.state(0, bytes.byteLength, bytes)
      if (c.uint.decode(state) !== FORMAT) return null
      ring.givenCount = c.uint.decode(state)
      const count = c.uint.decode(state)
      for (let i = 0; i < count; i++) {
        const id = c.fixed(KEY_ID_BYTES).decode(state)
        const key = c.bool.decode(state) ? c.fixed32.decode(state) : null
        const intro = c.bool.decode(state)
          ? { clock: clockEncoding.decode(state), writer: writerId(c.fixed32.decode(state)), seq: c.uint.decode(state) }
          : null
        const given = c.uint.decode(state)
        const superseded = c.bool.decode(state)
        const sharedWith = new Set(c.array(c.fixed32).decode(state).map(writerId))
        ring.states.set(b4a.toString(id, 'hex'), { key, intro, given, superseded, sharedWith })
      }
    } catch {
      return null
    }
    return ring
  }

  encode(): Uint8Array {
    const state = c.state()
    const parts = [...this.states]
    const write = (enc: 'preencode' | 'encode') => {
      c.uint[enc](state, FORMAT)
      c.uint[enc](state, this.givenCount)
      c.uint[enc](state, parts.length)
      for (const [id, s] of parts) {
        c.fixed(KEY_ID_BYTES)[enc](state, b4a.from(id, 'hex'))
        c.bool[enc](state, s.key !== null)
        if (s.key !== null) c.fixed32[enc](state, s.key)
        c.bool[enc](state, s.intro !== null)
        if (s.intro !== null) {
          clockEncoding[enc](state, s.intro.clock)
          c.fixed32[enc](state, writerKeyOf(s.intro.writer))
          c.uint[enc](state, s.intro.seq)
        }
        c.uint[enc](state, s.given)
        c.bool[enc](state, s.superseded)
        c.array(c.fixed32)[enc](state, [...s.sharedWith].map(writerKeyOf))
      }
    }
    write('preencode')
    state.buffer = b4a.alloc(state.end)
    write('encode')
    return state.buffer
  }

  private persist(): Promise<void> {
    this.chosen = null
    return this.save(this.encode())
  }

  private stateOf(id: string): KeyState {
    let s = this.states.get(id)
    if (s === undefined) {
      s = { key: null, intro: null, given: 0, superseded: false, sharedWith: new Set() }
      this.states.set(id, s)
    }
    return s
  }

  private give(key: Uint8Array): void {
    const s = this.stateOf(b4a.toString(keyIdOf(key), 'hex'))
    s.key = key
    s.given = ++this.givenCount
  }

  /** Keys given to this peer (opened with a newer key, or made by a rotation here). */
  async add(key: Uint8Array): Promise<void> {
    if (key.byteLength !== KEY_BYTES) throw new RangeError(`A db encryption key is ${KEY_BYTES} bytes`)
    this.give(key)
    await this.persist()
  }

  /** The key this peer writes with: see the class comment. */
  get current(): Uint8Array {
    return this.choose().key
  }

  /** The id of the current key. */
  get currentId(): Uint8Array {
    return this.choose().id
  }

  private choose(): { key: Uint8Array; id: Uint8Array } {
    if (this.chosen !== null) return this.chosen
    let best: KeyState | null = null
    for (const s of this.states.values()) {
      if (s.key === null || (s.intro === null && s.given === 0)) continue
      if (best === null || this.ranksAbove(s, best)) best = s
    }
    // A keyring always holds a key given to it.
    const key = best!.key!
    this.chosen = { key, id: keyIdOf(key) }
    return this.chosen
  }

  private ranksAbove(a: KeyState, b: KeyState): boolean {
    if (a.superseded !== b.superseded) return !a.superseded
    if ((a.intro === null) !== (b.intro === null)) return a.intro === null
    if (a.intro === null || b.intro === null) return a.given > b.given
    return compareOrders(a.intro, b.intro) > 0
  }

  /** Every key held, current last. */
  all(): Uint8Array[] {
    const current = this.current
    const others = [...this.states.values()].flatMap((s) => (s.key === null || s.key === current ? [] : [s.key]))
    return [...others, current]
  }

  /**
   * A key made here for a `keys` op about to be written: held now (a crash after the append
   * must not lose it), written with only once that op counts, as on every member.
   */
  async hold(key: Uint8Array): Promise<void> {
    this.stateOf(b4a.toString(keyIdOf(key), 'hex')).key = key
    await this.persist()
  }

  /** Whether this keyring holds `key`. */
  holds(key: Uint8Array): boolean {
    return this.key(keyIdOf(key)) !== null
  }

  /** The key named by `id`, if held. */
  key(id: Uint8Array): Uint8Array | null {
    return this.states.get(b4a.toString(id, 'hex'))?.key ?? null
  }

  /** The key that encrypts blocks of the log `logKey` under the key named `id`, if held. */
  blockKey(id: Uint8Array, logKey: Uint8Array): Uint8Array | null {
    const name = b4a.toString(id, 'hex') + b4a.toString(logKey, 'hex')
    const known = this.blockKeys.get(name)
    if (known !== undefined) return known
    const key = this.key(id)
    if (key === null) return null
    const derived = blockKeyOf(key, logKey)
    if (this.blockKeys.size >= BLOCK_KEYS) this.blockKeys.delete(this.blockKeys.keys().next().value!)
    this.blockKeys.set(name, derived)
    return derived
  }

  /** Members that valid ops sealed the key `id` to. */
  sharedWith(id: Uint8Array): ReadonlySet<string> {
    return this.states.get(b4a.toString(id, 'hex'))?.sharedWith ?? new Set()
  }

  /**
   * Takes the keys an op proves: the key sealed to this peer's writer log (`me`: its id and box
   * key pair), and older keys under a key held. Returns whether it learnt one.
   */
  async learn(op: KeysAnnouncement, me: { id: string; pair: BoxKeyPair } | null): Promise<boolean> {
    if (!this.takeKeys(op, me)) return false
    await this.persist()
    return true
  }

  private takeKeys(op: KeysAnnouncement, me: { id: string; pair: BoxKeyPair } | null): boolean {
    let learnt = false
    const s = this.stateOf(b4a.toString(op.id, 'hex'))
    if (s.key === null && me !== null) {
      for (const share of op.shares) {
        if (writerId(share.writer) !== me.id) continue
        const key = openSealedKey(share.box, me.pair)
        if (key !== null && b4a.equals(keyIdOf(key), op.id)) {
          s.key = key
          learnt = true
          break
        }
      }
    }
    if (s.key === null) return learnt
    for (const past of op.past) {
      const p = this.stateOf(b4a.toString(past.id, 'hex'))
      if (p.key !== null) continue
      p.key = unlockPast(past.id, past.box, s.key)
      if (p.key !== null) learnt = true
    }
    return learnt
  }

  /**
   * Forgets what valid ops said (introductions, replacements, shares), keeping the keys: the
   * index is being re-derived from the logs, and an op that counted may count no more (its
   * admin was removed below it). The ops that still count are adopted again.
   */
  async forget(): Promise<void> {
    for (const s of this.states.values()) {
      s.intro = null
      s.superseded = false
      s.sharedWith.clear()
    }
    await this.persist()
  }

  /**
   * A valid op (an admin's, at `order`): learns what it proves, and records that it introduces
   * its key, replaces its past keys and shares its key with its members.
   */
  async adopt(op: KeysAnnouncement, order: KeyOrder, me: { id: string; pair: BoxKeyPair } | null): Promise<void> {
    this.takeKeys(op, me)
    const s = this.stateOf(b4a.toString(op.id, 'hex'))
    if (s.intro === null || compareOrders(order, s.intro) < 0) s.intro = order
    for (const share of op.shares) s.sharedWith.add(writerId(share.writer))
    for (const past of op.past) this.stateOf(b4a.toString(past.id, 'hex')).superseded = true
    await this.persist()
  }
}
