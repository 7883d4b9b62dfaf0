import { PeerBeeError } from '../errors.js'
import type { Indexer } from '../indexer/indexer.js'
import { keyId, writerId } from '../model/ids.js'
import { refId, type KeyRecord, type KeyVersion } from '../model/version.js'
import { applyVersions, compareVersions } from '../merge/heads.js'
import type { Entry, Key, Range, Snapshot, Version } from '../types.js'
import type { IndexReader, IndexView } from '../view/index-view.js'
import type { KeyRange } from '../view/keys.js'
import type { Encodings } from './encoding.js'
import { FairTurns } from './fair-turns.js'
import { deferred, notIndexed, overlaid, type Overlay } from './overlay.js'

export interface ReadPathOptions {
  view: IndexView
  overlay: Overlay
  indexer: Indexer
  /** This peer's writer log key. */
  writerKey: Uint8Array
  /** Rejects when the db starts closing or indexing fails: what every wait races against. */
  failure: Promise<never>
  /**
   * What a range read or snapshot read that failed part way reports: the db rebuilds a
   * damaged index, and a read its rebuild cut short says so.
   */
  interrupted(err: unknown): unknown
  /** The db is encrypted and this peer holds no key of it: reads reject. */
  keyless(): boolean
}

/**
 * The read path: every read pairs a state of the index with this peer's writes pending at the
 * same moment (the overlay), so no read misses an acknowledged write and none applies a
 * pending version on top of a state that already holds (and may supersede) it. The moment is
 * told by the index's step counter: a read that overlapped a step is retried. Keys and values
 * are encoded by the `Encodings` each call names: the db's, or a sub-database's.
 */
export class ReadPath {
  private readonly opts: ReadPathOptions
  private readonly writer: string
  private readonly turns = new FairTurns()

  constructor(opts: ReadPathOptions) {
    this.opts = opts
    this.writer = writerId(opts.writerKey)
  }

  /** Throws `ENCRYPTION_KEY_REQUIRED` on a peer that only follows an encrypted db. */
  requireKey(): void {
    if (this.opts.keyless()) throw PeerBeeError.ENCRYPTION_KEY_REQUIRED()
  }

  /** Resolves once the index step being written is written (or the db fails). */
  private stepWritten(): Promise<void> {
    return Promise.race([this.opts.view.stepWritten(), this.opts.failure])
  }

  /**
   * Runs index reads of one key (by `keyId`) and returns them with this peer's pending versions
   * of it at the same moment: retried if an index step was written meanwhile (rare: steps are
   * milliseconds apart). The versions are taken as the overlay holds them (it replaces them,
   * never changes them) instead of pinning a view of it, which would make the next write copy
   * every pending key.
   */
  private async consistent<T>(
    id: string,
    read: () => Promise<T>
  ): Promise<{ value: T; mine: readonly KeyVersion[] | undefined }> {
    const { view, overlay } = this.opts
    for (;;) {
      const step = view.step
      if (step % 2 === 1) {
        await this.stepWritten()
        continue
      }
      const mine = overlay.versionsOf(id)
      const value = await read()
      if (view.step === step) return { value, mine }
    }
  }

  /** A frozen view: an index snapshot plus the writes pending at this moment. */
  frozen(): IndexReader {
    const { view, overlay, indexer } = this.opts
    const pending = overlay.view()
    if (view.step % 2 === 0) return overlaid(view.snapshot(), pending)
    // A step is being written: pin the index once it is, minus what that step indexed. Writes
    // resolved after this call are in neither part.
    return deferred(
      this.stepWritten().then(() => overlaid(view.snapshot(), notIndexed(pending, indexer.committed(this.writer))))
    )
  }

  async get<K extends Key, V>(enc: Encodings<K, V>, key: K): Promise<Entry<K, V> | null> {
    this.requireKey()
    const turn = this.turns.turn()
    if (turn !== null) await turn
    const encoded = enc.encodeKey(key)
    const id = keyId(encoded)
    const { value: record, mine } = await this.consistent(id, () => this.opts.view.getRecord(encoded, id))
    return toEntry(enc, encoded, mine === undefined ? record : applyVersions(record, mine))
  }

  /** A consistent read-only view: it sees every write resolved before the call and none after. */
  snapshot<K extends Key, V>(enc: Encodings<K, V>): Snapshot<K, V> {
    const reader = this.frozen()
    return {
      get: async (key: K) => {
        this.requireKey()
        const turn = this.turns.turn()
        if (turn !== null) await turn
        const encoded = enc.encodeKey(key)
        try {
          return toEntry(enc, encoded, await reader.getRecord(encoded))
        } catch (err) {
          throw this.opts.interrupted(err)
        }
      },
      list: (range: Range<K> = {}) => this.iterate(enc, reader, range, false),
      close: () => reader.close()
    }
  }

  /**
   * Entries of a range in key order, deleted keys skipped. `owned`: the reader is closed when
   * the iteration ends.
   */
  async *iterate<K extends Key, V>(
    enc: Encodings<K, V>,
    reader: IndexReader,
    range: Range<K>,
    owned = true
  ): AsyncIterable<Entry<K, V>> {
    const keyRange = enc.encodeRange(range)
    const limit = range.limit ?? Infinity
    let count = 0
    try {
      this.requireKey()
      if (limit <= 0) return
      for await (const { key, record } of reader.records(keyRange)) {
        const entry = toEntry(enc, key, record)
        if (entry === null) continue
        yield entry
        if (++count >= limit) return
      }
    } catch (err) {
      throw this.opts.interrupted(err)
    } finally {
      if (owned) await reader.close()
    }
  }

  /**
   * The keys of a range (encoded) that reads see, in range order, over a view of this moment:
   * those whose winner is not a delete, at most `limit` of them.
   */
  async visibleKeys(range: KeyRange, limit: number): Promise<Uint8Array[]> {
    this.requireKey()
    const reader = this.frozen()
    const out: Uint8Array[] = []
    try {
      if (limit <= 0) return out
      for await (const { key, record } of reader.records(range)) {
        if (record.heads[0]?.deleted !== false) continue
        out.push(key)
        if (out.length >= limit) break
      }
      return out
    } catch (err) {
      throw this.opts.interrupted(err)
    } finally {
      await reader.close()
    }
  }

  /** Every valid version of a key, oldest first by clock. */
  async history<K extends Key, V>(enc: Encodings<K, V>, key: K): Promise<Array<Version<K, V>>> {
    this.requireKey()
    const encoded = enc.encodeKey(key)
    const { view } = this.opts
    // Heads the pending writes supersede are still heads in the index: they count too.
    const all = new Map<string, KeyVersion>()
    const { mine } = await this.consistent(keyId(encoded), async () => {
      all.clear()
      const heads = (await view.getRecord(encoded))?.heads ?? []
      for (const v of heads) all.set(refId(v), v)
      for (const v of await view.versionsOf(encoded, heads)) all.set(refId(v), v)
    })
    for (const v of mine ?? []) all.set(refId(v), v)
    return [...all.values()].sort(compareVersions).map((v) => ({
      key: enc.decodeKey(encoded),
      value: v.deleted ? null : enc.decodeValue(v.value!),
      deleted: v.deleted,
      writer: v.writer,
      seq: v.seq,
      clock: v.clock.wall
    }))
  }
}

/** A key's record as the entry reads return: null when it has no winner or its winner is a delete. */
function toEntry<K extends Key, V>(
  enc: Encodings<K, V>,
  key: Uint8Array,
  record: KeyRecord | null
): Entry<K, V> | null {
  if (record === null) return null
  const [winner, ...others] = record.heads
  if (winner === undefined || winner.deleted) return null
  return {
    key: enc.decodeKey(key),
    value: enc.decodeValue(winner.value!),
    writer: winner.writer,
    seq: winner.seq,
    clock: winner.clock.wall,
    conflicts: others.map((h) => ({
      value: h.deleted ? null : enc.decodeValue(h.value!),
      deleted: h.deleted,
      writer: h.writer,
      seq: h.seq,
      clock: h.clock.wall
    }))
  }
}

/** A snapshot of a db still opening: each call waits for the snapshot taken once it is open. */
export function deferredSnapshot<K extends Key, V>(source: Promise<Snapshot<K, V>>): Snapshot<K, V> {
  // Reported through the calls that use it, never as an unhandled rejection.
  source.catch(() => {})
  return {
    get: async (key) => (await source).get(key),
    list: async function* (range) {
      yield* (await source).list(range)
    },
    close: async () => (await source).close()
  }
}
