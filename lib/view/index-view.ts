import b4a from 'b4a'
import type Corestore from 'corestore'
import type Hypercore from 'hypercore'
import Hyperbee from 'hyperbee2'
import { PeerBeeError } from '../errors.js'
import { lastLoggedStep, readChangeLog, type ChangeChunk, type ChangePosition } from './change-log.js'
import { corruption, guarded } from './corruption.js'
import type { WriterCursor } from '../model/cursor.js'
import { keyId, type IdentifiedKey } from '../model/ids.js'
import type { MembershipFact } from '../model/membership.js'
import type { KeyRecord, KeyVersion, Ref } from '../model/version.js'
import * as keys from './keys.js'
import { RecordCache } from './record-cache.js'
import { trimTreeMemory } from './tree-memory.js'
import { versionsBelow } from './versions.js'
import {
  INDEX_FORMAT,
  decodeCursor,
  decodeFact,
  decodeFormat,
  decodeKeyRecord,
  decodeVersionRecord,
  encodeFormat
} from './records.js'
import type { Bounds } from './bounds.js'

/**
 * `cacheSize` when none is given: 256 MiB, records for about a million keys of small values.
 * It is a bound, not an allocation: memory is taken as records come in.
 */
export const DEFAULT_CACHE_SIZE = 256 * 2 ** 20
/**
 * The share of `cacheSize` that records take; decoded tree nodes the rest. A cached record
 * answers a read with no tree walk and costs its bytes; a decoded node costs about 64 KB of
 * heap and saves a decode of a block only when the record cache misses, or in a scan or
 * write batch that passes it. On a million keys (W8), 240 MiB of records and 256 nodes answered
 * ~80,000 random gets/s at a peak RSS of ~570 MB; 512 nodes took ~25 MB more, 1,024 ~110 MB.
 */
const RECORD_SHARE = 15 / 16
/**
 * What a decoded tree node holds, by estimate: Hyperbee2 bounds its node cache by count, so
 * `cacheSize` becomes a count of nodes. A node holds up to 255 keys; leaves (most nodes) hold
 * their keys' values inline, about 200 bytes a key in a db of small values. On a million keys
 * of ~150-byte records a cached node held 69 KB (21 KB of keys and values, the rest V8's
 * objects for each key), and the garbage its decoding leaves takes as much again.
 */
const NODE_BYTES = 64 * 1024
/**
 * Nodes the tree keeps decoded however small `cacheSize` is: Hyperbee2 drops a node's decoding
 * as it leaves its cache, and a walk or a write batch needs the path it is on.
 */
const MIN_NODES = 8
/** Below this many uncached keys, point lookups beat a range scan. */
const PREFETCH_MIN = 16
/** Above this many keys, one scan's records would crowd the record cache: each is looked up instead. */
const PREFETCH_MAX = 8192

/** A read-only, point-in-time view of the data space. */
export interface IndexReader {
  getRecord(key: Uint8Array): Promise<KeyRecord | null>
  /** The valid versions of a key that are no longer heads. */
  versionsOf(key: Uint8Array): Promise<KeyVersion[]>
  records(range: keys.KeyRange): AsyncIterable<{ key: Uint8Array; record: KeyRecord }>
  close(): Promise<void>
}

/** What an index core can be found in when it is opened. */
export type IndexHealth = 'empty' | 'current' | 'outdated' | 'damaged'

/** An entry of the tree: its key and value. */
type TreeEntry = Hyperbee.Node

function readRecord(bee: Hyperbee, key: Uint8Array): Promise<KeyRecord | null> {
  return guarded(async () => {
    const node = await bee.get(keys.dataKey(key))
    return node === null ? null : decodeKeyRecord(node.value)
  })
}

function readVersion(bee: Hyperbee, key: Uint8Array, ref: Ref): Promise<KeyVersion | null> {
  return guarded(async () => {
    const node = await bee.get(keys.versionKey(key, ref.writer, ref.seq))
    return node === null ? null : decodeVersionRecord(node.value)
  })
}

/** The versions of `key` below `heads` (`versionsBelow`), each a point lookup in `bee`. */
function readVersions(bee: Hyperbee, key: Uint8Array, heads: readonly KeyVersion[]): Promise<KeyVersion[]> {
  return versionsBelow(heads, (ref) => readVersion(bee, key, ref))
}

async function* readRecords(
  snap: Hyperbee,
  range: keys.KeyRange
): AsyncIterable<{ key: Uint8Array; record: KeyRecord }> {
  // The tree's nodes are mostly cached, so a scan may never wait on storage: without this a
  // loop of reads would run on microtasks alone and starve I/O, writes included.
  await new Promise((resolve) => setImmediate(resolve))
  try {
    for await (const node of snap.createReadStream(keys.dataRange(range))) {
      yield { key: keys.userKeyOf(node.key), record: decodeKeyRecord(node.value) }
    }
  } catch (err) {
    throw corruption(err)
  }
}

/**
 * The local Hyperbee index: data (key -> heads), versions (for history and retraction),
 * per-writer cursors, membership facts and invalid entries, in one tree so that one batch
 * commits an indexing step and its cursors together.
 *
 * It counts index steps: `step` is odd while a step is being written. Whoever pairs a read
 * of the index with other state of the same moment (the record cache here, the pending
 * writes of the read path) compares it before and after.
 */
export class IndexView {
  /**
   * The tree, read and written in place. Hyperbee2 writes a batch as a few blocks of
   * compressed tree nodes with the values inline, where Hyperbee 2 wrote a block per key.
   */
  readonly bee: Hyperbee
  private readonly core: Hypercore
  /** Records by `keyId`, as the last index step left them. */
  private readonly records: RecordCache
  private steps = 0
  private stepWaiters: Array<() => void> = []
  /** Prefetches under way, each collecting the keys that index steps rewrote meanwhile. */
  private readonly watchers = new Set<Set<string>>()
  /** The last step of the change log, read once, then kept by the steps that write it. */
  private loggedStep: Promise<number> | null = null
  private log: Promise<Uint8Array> | null = null

  /**
   * `store`: where the tree would open cores it references (an index references none).
   * `cacheSize`: bytes that cached records and tree nodes hold at most, by estimate.
   */
  constructor(store: Corestore, core: Hypercore, cacheSize = DEFAULT_CACHE_SIZE) {
    this.core = core
    const maxCacheSize = Math.max(MIN_NODES, Math.floor((cacheSize * (1 - RECORD_SHARE)) / NODE_BYTES))
    this.records = new RecordCache(Math.max(0, cacheSize - maxCacheSize * NODE_BYTES))
    // A view: closing the tree leaves the store open, and the core is closed here. Reads
    // never wait: a block of the index that is not held is damage.
    this.bee = new Hyperbee(store, { core, view: true, wait: false, maxCacheSize })
    trimTreeMemory(this.bee)
  }

  async ready(): Promise<void> {
    await this.core.ready()
    await this.bee.ready()
  }

  /**
   * Whether this index can serve: it must be whole (every block held) and of the current
   * format. Reads only its header: a block that is damaged further in is found when read.
   */
  async health(): Promise<IndexHealth> {
    const core = this.core
    if (core.length === 0) return 'empty'
    if (core.contiguousLength < core.length) return 'damaged'
    try {
      const header = await this.lookup(keys.FORMAT_KEY)
      return header?.value != null && decodeFormat(header.value) === INDEX_FORMAT ? 'current' : 'outdated'
    } catch (err) {
      if (err instanceof PeerBeeError && err.code === 'STORAGE_CORRUPT') return 'damaged'
      throw err
    }
  }

  /** Writes the header that makes this index current: after a rebuild, before it is swapped in. */
  async markCurrent(): Promise<void> {
    // A compacted index holds its source's header already: no block for nothing.
    if ((await this.health()) === 'current') return
    const batch = this.write()
    batch.tryPut(keys.FORMAT_KEY, encodeFormat(INDEX_FORMAT))
    await batch.flush()
  }

  /**
   * A write batch on the tree. Hyperbee2 (2.14) starts each batch from the root as its node
   * cache lists it; a read that moves a listed node to the front also drops it from that list
   * (`NodeCache.bump`), so after a read the batch would decode the root again from its block,
   * reading the block of every key the root holds, and so on down the path: most of a small
   * step's cost. Listing the root afresh keeps the batch on the decoded tree.
   */
  write(): Hyperbee.WriteBatch {
    const root = this.bee.root
    if (root !== null && root.value !== null && root.context !== null) {
      this.bee.cache.remove(root)
      this.bee.cache.bump(root)
    }
    return this.bee.write()
  }

  /** The peer-local settings an index of the first format kept (the db, invites), by name. */
  async legacySettings(): Promise<Map<string, Uint8Array>> {
    const entries = await this.collect(keys.LOCAL_RANGE, (entry) => [entry.key, entry.value!] as const)
    return new Map(entries.map(([key, value]) => [b4a.toString(key.subarray(1)), value]))
  }

  async close(): Promise<void> {
    await this.bee.close()
    await this.core.close()
  }

  /** Names this index (the discovery key of its core): a rebuild replaces it with another. */
  get id(): Uint8Array {
    return this.core.discoveryKey
  }

  /**
   * Names the change log this index holds, which checkpoints point into: the core's own
   * discovery key, or, in a compacted index, the one of the index whose log it carries on.
   */
  logId(): Promise<Uint8Array> {
    this.log ??= guarded(async () => (await this.bee.get(keys.LOG_ID_KEY))?.value ?? this.id)
    return this.log
  }

  /** The last step of the change log (0 before the first step that changed keys). */
  lastLoggedStep(): Promise<number> {
    this.loggedStep ??= lastLoggedStep(this.bee)
    return this.loggedStep
  }

  /** A step that changed keys landed (called by `IndexBatch.flush` only). */
  logged(step: number): void {
    this.loggedStep = Promise.resolve(step)
  }

  /** The change log after `after`, up to the last chunk of step `upTo`. */
  changesAfter(after: ChangePosition, upTo: number): AsyncIterable<ChangeChunk> {
    return readChangeLog(this.bee, after, upTo)
  }

  /** Index steps begun and ended, counted twice each: odd while one is being written. */
  get step(): number {
    return this.steps
  }

  /** Resolves once the step being written (or the next one) is written. */
  stepWritten(): Promise<void> {
    return new Promise((resolve) => this.stepWaiters.push(resolve))
  }

  /** A step starts writing (called by `IndexBatch.flush` only). */
  beginStep(): void {
    this.steps++
  }

  /** The step landed, cache and all (called by `IndexBatch.flush` only). */
  endStep(): void {
    this.steps++
    const waiters = this.stepWaiters
    this.stepWaiters = []
    for (const resolve of waiters) resolve()
  }

  /**
   * Loads the records of many keys with one range scan instead of a lookup each: the keys of
   * one entry are usually close together (batches, catch-up), and new keys cost nothing.
   * `wanted` are distinct keys the caller found missing from the cache.
   */
  async prefetch(wanted: readonly IdentifiedKey[]): Promise<void> {
    if (wanted.length < PREFETCH_MIN || wanted.length > PREFETCH_MAX) return
    const missing = new Map<string, Uint8Array>()
    for (const { key, id } of wanted) missing.set(id, key)
    // Index steps keep landing while a writer is busy: the records they write meanwhile are
    // newer than what the scan may have read, so only those are left out.
    const stepped = new Set<string>()
    this.watchers.add(stepped)
    // latin1 ids sort in byte order.
    const sorted = [...missing.keys()].sort()
    const limit = missing.size * 2 + PREFETCH_MIN
    const first = missing.get(sorted[0]!)!
    const last = missing.get(sorted[sorted.length - 1]!)!
    let seen = 0
    const found = new Map<string, Uint8Array>()
    try {
      await this.scan({ gte: keys.dataKey(first), lte: keys.dataKey(last) }, (entry) => {
        const id = keyId(keys.userKeyOf(entry.key))
        if (missing.has(id)) found.set(id, entry.value!)
        return ++seen < limit
      })
    } finally {
      this.watchers.delete(stepped)
    }
    for (const [id, encoded] of found) if (!stepped.has(id)) this.records.set(id, encoded)
    // The scan covered the whole span: the keys it did not meet have no record.
    if (seen < limit) {
      for (const id of missing.keys()) if (!found.has(id) && !stepped.has(id)) this.records.set(id, null)
    }
  }

  /** The cached record of a key (by `keyId`), without waiting: undefined if it is not cached. */
  cachedRecord(id: string): KeyRecord | null | undefined {
    const cached = this.records.get(id)
    return cached == null ? cached : decodeKeyRecord(cached)
  }

  async getRecord(key: Uint8Array, id = keyId(key)): Promise<KeyRecord | null> {
    const cached = this.records.get(id)
    if (cached !== undefined) return cached === null ? null : decodeKeyRecord(cached)
    const before = this.steps
    const encoded = (await this.lookup(keys.dataKey(key)))?.value ?? null
    // A step that landed meanwhile cached the newer record; this read may predate it.
    if (this.steps === before) this.records.set(id, encoded)
    return encoded === null ? null : decodeKeyRecord(encoded)
  }

  /** Bytes the caches hold, by their estimate: never more than `cacheSize`, or 2 × `MIN_NODES` nodes. */
  get cachedBytes(): number {
    return this.records.cost + this.bee.cache.size * NODE_BYTES
  }

  /** An entry of the latest tree. */
  private lookup(key: Uint8Array): Promise<TreeEntry | null> {
    return guarded(() => this.bee.get(key))
  }

  /** The entries of a range of the latest tree in order, until `each` returns false. */
  scan(bounds: Bounds, each: (entry: TreeEntry) => boolean | void): Promise<void> {
    return guarded(async () => {
      for await (const entry of this.bee.createReadStream(bounds)) if (each(entry) === false) return
    })
  }

  private async collect<T>(bounds: Bounds, decode: (entry: TreeEntry) => T): Promise<T[]> {
    const out: T[] = []
    await this.scan(bounds, (entry) => {
      out.push(decode(entry))
    })
    return out
  }

  /** A consistent view of the index as it is now; it never sees later index steps. */
  snapshot(): IndexReader {
    const snap = this.bee.snapshot()
    return {
      getRecord: (key) => readRecord(snap, key),
      versionsOf: async (key) => readVersions(snap, key, (await readRecord(snap, key))?.heads ?? []),
      records: (range) => readRecords(snap, range),
      close: () => snap.close()
    }
  }

  /** A valid version of a key that is no longer a head, or null. */
  storedVersion(key: Uint8Array, writer: Uint8Array, seq: number): Promise<KeyVersion | null> {
    return readVersion(this.bee, key, { writer, seq })
  }

  /**
   * The valid versions of a key that are no longer heads, found from `heads` (by default the
   * key's record in the index) through their parents (`versionsBelow`).
   */
  async versionsOf(key: Uint8Array, heads?: readonly KeyVersion[]): Promise<KeyVersion[]> {
    return readVersions(this.bee, key, heads ?? (await this.getRecord(key))?.heads ?? [])
  }

  async cursors(): Promise<Map<string, WriterCursor>> {
    const entries = await this.collect(keys.CURSORS_RANGE, (entry) => {
      return [b4a.toString(entry.key.subarray(1), 'hex'), decodeCursor(entry.value!)] as const
    })
    return new Map(entries)
  }

  facts(): Promise<MembershipFact[]> {
    return this.collect(keys.FACTS_RANGE, (entry) => decodeFact(entry.value!))
  }

  /** Seqs of a writer's entries recorded as invalid, from `from` on. */
  invalidSeqs(writer: Uint8Array, from: number): Promise<number[]> {
    return this.collect(keys.invalidRange(writer, from), (entry) => keys.invalidSeqOf(entry.key))
  }

  /** Called as a step lands: the cache now mirrors the tree for that key (by `keyId`): its record as written, or null. */
  remember(id: string, encoded: Uint8Array | null): void {
    this.records.set(id, encoded)
    for (const stepped of this.watchers) stepped.add(id)
  }

  forgetAll(): void {
    this.records.clear()
  }
}
