/**
 * `peerbee/level`: an abstract-level database over a PeerBee, so the Level ecosystem (sublevels,
 * encodings, anything written against abstract-level) runs on a peer-to-peer db.
 */
import { AbstractIterator, AbstractLevel, AbstractSnapshot, type AbstractDatabaseOptions } from 'abstract-level'
import { PeerBee } from './db.js'
import type { PeerBeeOptions } from './db/options.js'
import type { Entry, Key, Range, Snapshot, SubDatabase, SubOptions } from './types.js'
import { inBounds } from './view/bounds.js'

type Bytes = Uint8Array
type Space = SubDatabase<Bytes, Bytes>

/** Ops of one batch when `clear()` deletes what an explicit snapshot sees (a batch holds at most 10,000). */
const CLEAR_BATCH_OPS = 4096

/** What a PeerBeeLevel can live in: a PeerBee or a sub-database (each has `sub()`). */
export interface PeerBeeLevelHost {
  sub<K2 extends Key, V2>(name: string | Uint8Array, opts?: SubOptions): SubDatabase<K2, V2>
}

/** Options of `new PeerBeeLevel()`: abstract-level's, and where in the PeerBee the Level keys live. */
export interface PeerBeeLevelOptions<K, V> extends AbstractDatabaseOptions<K, V> {
  /**
   * The sub-database of the PeerBee that holds the Level keys (so the empty key, which Level
   * allows, is a key too). Default `'level'`: `db.sub('level')` reads the same entries.
   */
  prefix?: string
  /** Options of the PeerBee opened when `location` is a storage path. */
  peerbee?: PeerBeeOptions
}

/** A range as abstract-level hands it to the private API, keys encoded. */
interface LevelRange {
  gt?: Bytes | null
  gte?: Bytes | null
  lt?: Bytes | null
  lte?: Bytes | null
  reverse?: boolean
  limit?: number
  snapshot?: PeerBeeLevelSnapshot
}

/**
 * An abstract-level database whose entries live in a PeerBee: writes go to this peer's writer
 * log (a batch is one entry, atomic on every peer), reads see the merged state of every
 * writer, and other peers' writes arrive by replication as they do for the PeerBee.
 *
 * `location` is a storage path (a PeerBee is opened there on `open()` and closed on `close()`),
 * or a PeerBee or sub-database the app opened (and closes itself). Keys and values are bytes
 * underneath; abstract-level encodes them (`keyEncoding`, `valueEncoding`, default utf8).
 * Iterators and `get`/`getMany`/`has` read from a snapshot (implicit snapshots); explicit
 * snapshots (`db.snapshot()`), `seek()`, `clear()` and sublevels are supported.
 */
export class PeerBeeLevel<K = string, V = string> extends AbstractLevel<Bytes, K, V> {
  // ES private fields: abstract-level's own properties (`prefix`, `location`...) must not be shadowed.
  readonly #location: string | PeerBeeLevelHost
  readonly #prefix: string
  readonly #peerbee: PeerBeeOptions
  #open: { space: Space; owned: PeerBee<Bytes, Bytes> | null } | null = null

  constructor(location: string | PeerBeeLevelHost, options: PeerBeeLevelOptions<K, V> = {}) {
    const { prefix, peerbee, ...levelOptions } = options
    super(
      {
        encodings: { view: true },
        implicitSnapshots: true,
        explicitSnapshots: true,
        has: true,
        seek: true,
        permanence: true,
        createIfMissing: false,
        errorIfExists: false
      },
      levelOptions
    )
    this.#location = location
    this.#prefix = prefix ?? 'level'
    this.#peerbee = peerbee ?? {}
  }

  /** The sub-database the Level entries live in; set once open. */
  get space(): Space {
    if (this.#open === null) throw new Error('PeerBeeLevel is not open')
    return this.#open.space
  }

  async _open(): Promise<void> {
    const binary = { keyEncoding: 'binary', valueEncoding: 'binary' } as const
    if (typeof this.#location === 'string') {
      const db = new PeerBee<Bytes, Bytes>(this.#location, this.#peerbee)
      try {
        await db.ready()
      } catch (err) {
        await db.close()
        throw err
      }
      this.#open = { space: db.sub(this.#prefix, binary), owned: db }
      return
    }
    if (this.#location instanceof PeerBee) await this.#location.ready()
    this.#open = { space: this.#location.sub(this.#prefix, binary), owned: null }
  }

  async _close(): Promise<void> {
    const owned = this.#open?.owned ?? null
    this.#open = null
    if (owned !== null) await owned.close()
  }

  /**
   * Without an explicit snapshot, a read of the moment of the call, as `PeerBee.get` reads
   * (it pairs the index with this peer's pending writes of that moment).
   */
  async _get(key: Bytes, options: { snapshot?: PeerBeeLevelSnapshot }): Promise<Bytes | undefined> {
    if (options.snapshot !== undefined) return (await options.snapshot.peer.get(key))?.value
    return (await this.space.get(key))?.value
  }

  /** Several keys are read from one snapshot: their values are of one moment. */
  async _getMany(keys: Bytes[], options: { snapshot?: PeerBeeLevelSnapshot }): Promise<Array<Bytes | undefined>> {
    if (keys.length < 2) return Promise.all(keys.map((key) => this._get(key, options)))
    return this.reading(options.snapshot, async (snap) => {
      const out: Array<Bytes | undefined> = []
      for (const key of keys) out.push((await snap.get(key))?.value)
      return out
    })
  }

  async _has(key: Bytes, options: { snapshot?: PeerBeeLevelSnapshot }): Promise<boolean> {
    return (await this._get(key, options)) !== undefined
  }

  async _hasMany(keys: Bytes[], options: { snapshot?: PeerBeeLevelSnapshot }): Promise<boolean[]> {
    return (await this._getMany(keys, options)).map((value) => value !== undefined)
  }

  async _put(key: Bytes, value: Bytes): Promise<void> {
    await this.space.put(key, value)
  }

  async _del(key: Bytes): Promise<void> {
    await this.space.del(key)
  }

  /** One entry of the writer log: atomic on every peer. */
  async _batch(operations: Array<{ type: 'put' | 'del'; key: Bytes; value?: Bytes }>): Promise<void> {
    const batch = this.space.batch()
    for (const op of operations) {
      if (op.type === 'put') batch.put(op.key, op.value!)
      else batch.del(op.key)
    }
    await batch.flush()
  }

  /**
   * Without a snapshot, `PeerBee.clear`: the keys of the range this peer sees, deleted as one
   * entry (several past the batch limit). With one, the keys that snapshot sees, deleted in
   * batches of `CLEAR_BATCH_OPS`.
   */
  async _clear(options: LevelRange): Promise<void> {
    const range = toRange(options, true)
    if (options.snapshot === undefined) {
      await this.space.clear(range)
      return
    }
    const keys: Bytes[] = []
    for await (const entry of options.snapshot.peer.list(range)) keys.push(entry.key)
    for (let i = 0; i < keys.length; i += CLEAR_BATCH_OPS) {
      const batch = this.space.batch()
      for (const key of keys.slice(i, i + CLEAR_BATCH_OPS)) batch.del(key)
      await batch.flush()
    }
  }

  _iterator(options: LevelRange & { keys?: boolean; values?: boolean }): PeerBeeLevelIterator<K, V> {
    return new PeerBeeLevelIterator<K, V>(this, options)
  }

  _snapshot(options: { owner: unknown }): PeerBeeLevelSnapshot {
    return new PeerBeeLevelSnapshot(options, this.space.snapshot())
  }

  /** Runs reads on an explicit snapshot, or on one taken now and closed after. */
  private async reading<T>(
    explicit: PeerBeeLevelSnapshot | undefined,
    read: (snap: Snapshot<Bytes, Bytes>) => Promise<T>
  ): Promise<T> {
    if (explicit !== undefined) return read(explicit.peer)
    const snap = this.space.snapshot()
    try {
      return await read(snap)
    } finally {
      await snap.close()
    }
  }
}

/** abstract-level's snapshot class is declared without its constructor's options. */
const SnapshotBase = AbstractSnapshot as unknown as new (options: { owner: unknown }) => AbstractSnapshot

/** An explicit snapshot: a PeerBee snapshot of the Level's sub-database. */
export class PeerBeeLevelSnapshot extends SnapshotBase {
  readonly peer: Snapshot<Bytes, Bytes>

  constructor(options: { owner: unknown }, peer: Snapshot<Bytes, Bytes>) {
    super(options)
    this.peer = peer
  }

  async _close(): Promise<void> {
    await this.peer.close()
  }
}

/** Entries of a range over a snapshot (the explicit one, or one taken when the iterator is made). */
export class PeerBeeLevelIterator<K, V> extends AbstractIterator<PeerBeeLevel<K, V>, K, V> {
  private readonly snap: Snapshot<Bytes, Bytes>
  private readonly owned: boolean
  private readonly range: Range<Bytes>
  private entries: AsyncIterator<Entry<Bytes, Bytes>>

  constructor(db: PeerBeeLevel<K, V>, options: LevelRange) {
    super(db, options as never)
    this.owned = options.snapshot === undefined
    this.snap = options.snapshot?.peer ?? db.space.snapshot()
    this.range = toRange(options)
    this.entries = this.snap.list(this.range)[Symbol.asyncIterator]()
  }

  async _next(): Promise<[Bytes, Bytes] | undefined> {
    const next = await this.entries.next()
    return next.done === true ? undefined : [next.value.key, next.value.value]
  }

  async _nextv(size: number): Promise<Array<[Bytes, Bytes]>> {
    const out: Array<[Bytes, Bytes]> = []
    while (out.length < size) {
      const entry = await this._next()
      if (entry === undefined) break
      out.push(entry)
    }
    return out
  }

  /** abstract-level caps `_nextv` by the limit, not `_all`. */
  async _all(): Promise<Array<[Bytes, Bytes]>> {
    return this._nextv(this.limit - this.count)
  }

  /**
   * Starts over at `target` (inclusive) in the iterator's direction, on the same snapshot; a
   * target outside the range leaves nothing to iterate, as abstract-level has it.
   */
  _seek(target: Bytes): void {
    void this.entries.return?.()
    const range: Range<Bytes> = { ...this.range }
    if (range.reverse === true) {
      delete range.lt
      range.lte = target
    } else {
      delete range.gt
      range.gte = target
    }
    const source = inBounds(target, this.range) ? this.snap.list(range) : nothing()
    this.entries = source[Symbol.asyncIterator]()
  }

  async _close(): Promise<void> {
    await this.entries.return?.()
    if (this.owned) await this.snap.close()
  }
}

/**
 * A Level range as a PeerBee range. Level lets `gte` win over `gt` and `lte` over `lt` (PeerBee
 * takes the tightest of all bounds), and ignores nullish bounds. Iterators leave the limit to
 * abstract-level, which counts it across `seek()`s.
 */
function toRange(options: LevelRange, withLimit = false): Range<Bytes> {
  const range: Range<Bytes> = { reverse: options.reverse === true }
  if (options.gte != null) range.gte = options.gte
  else if (options.gt != null) range.gt = options.gt
  if (options.lte != null) range.lte = options.lte
  else if (options.lt != null) range.lt = options.lt
  if (withLimit && options.limit !== undefined && options.limit >= 0) range.limit = options.limit
  return range
}

async function* nothing(): AsyncIterable<Entry<Bytes, Bytes>> {}
