import b4a from 'b4a'
import Hyperbee from 'hyperbee'
import type Hypercore from 'hypercore'
import { PeerBeeError } from '../errors.js'
import { lastLoggedStep, readChangeLog, type ChangeChunk, type ChangePosition } from './change-log.js'
import { guarded } from './corruption.js'
import type { WriterCursor } from '../model/cursor.js'
import { keyId, type IdentifiedKey } from '../model/ids.js'
import type { MembershipFact } from '../model/membership.js'
import type { KeyRecord, KeyVersion } from '../model/version.js'
import * as keys from './keys.js'
import { BoundedCache } from './bounded-cache.js'
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
import { TreeCache, lookupTree } from './tree-lookup.js'
import { scanTree, type TreeEntry } from './tree-scan.js'

/** `cacheSize` when none is given: 64 MiB. */
export const DEFAULT_CACHE_SIZE = 64 * 2 ** 20
/**
 * The share of `cacheSize` that records take; tree nodes and keys the rest. A cached record
 * answers a read with no block read; a cached tree makes a read of any other key one block read.
 */
const RECORD_SHARE = 0.5
/**
 * What a cached record costs beyond its id and encoding: the map slot and two string headers
 * (V8 on 64 bits), rounded up.
 */
const RECORD_OVERHEAD = 96
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

async function collect<T>(bee: Hyperbee, range: Hyperbee.Range, decode: (node: Hyperbee.Node) => T): Promise<T[]> {
  return guarded(async () => {
    const out: T[] = []
    for await (const node of bee.createReadStream(range)) out.push(decode(node))
    return out
  })
}

/** A cached record: its encoding as a latin1 string (compact, holding no buffer), or null for none. */
type CachedRecord = string | null

function cachedRecordCost(id: string, record: CachedRecord): number {
  return RECORD_OVERHEAD + id.length + (record?.length ?? 0)
}

function fromCache(record: CachedRecord): KeyRecord | null {
  return record === null ? null : decodeKeyRecord(b4a.from(record, 'latin1'))
}

function toCache(encoded: Uint8Array | null): CachedRecord {
  return encoded === null ? null : b4a.toString(encoded, 'latin1')
}

function readRecord(bee: Hyperbee, key: Uint8Array): Promise<KeyRecord | null> {
  return guarded(async () => {
    const node = await bee.get(keys.dataKey(key))
    return node === null ? null : decodeKeyRecord(node.value)
  })
}

function readVersions(bee: Hyperbee, key: Uint8Array): Promise<KeyVersion[]> {
  return collect(bee, keys.versionsRange(key), (node) => decodeVersionRecord(node.value))
}

async function* readRecords(
  snap: Hyperbee,
  range: keys.KeyRange
): AsyncIterable<{ key: Uint8Array; record: KeyRecord }> {
  await snap.ready()
  for await (const run of scanTree(snap.core, snap.version, keys.dataRange(range))) {
    for (const node of run) yield { key: keys.userKeyOf(node.key), record: decodeKeyRecord(node.value!) }
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
  /** Reads and writes the latest tree in place: no snapshot session per read (they dominated). */
  readonly bee: Hyperbee
  /** Only for snapshots: each one pins a version on its own core session, closed on its own. */
  private readonly snapshots: Hyperbee
  /** Records by `keyId`, as the last index step left them. */
  private readonly records: BoundedCache<string, CachedRecord>
  /** Tree nodes and keys of the index core, for the lookups that miss `records`. */
  private readonly tree: TreeCache
  private steps = 0
  private stepWaiters: Array<() => void> = []
  /** Prefetches under way, each collecting the keys that index steps rewrote meanwhile. */
  private readonly watchers = new Set<Set<string>>()
  /** The last step of the change log, read once, then kept by the steps that write it. */
  private loggedStep: Promise<number> | null = null

  /** `cacheSize`: bytes that cached records and tree nodes hold at most, by estimate. */
  constructor(core: Hypercore, cacheSize = DEFAULT_CACHE_SIZE) {
    this.records = new BoundedCache(cacheSize * RECORD_SHARE, cachedRecordCost)
    this.tree = new TreeCache(cacheSize * (1 - RECORD_SHARE))
    const opts = { keyEncoding: 'binary', valueEncoding: 'binary', extension: false } as const
    this.bee = new Hyperbee(core, { ...opts, sessions: false })
    this.snapshots = new Hyperbee(core, opts)
  }

  async ready(): Promise<void> {
    await this.bee.ready()
    await this.snapshots.ready()
  }

  /**
   * Whether this index can serve: it must be whole (every block held) and of the current
   * format. Reads only its header: a block that is damaged further in is found when read.
   */
  async health(): Promise<IndexHealth> {
    const core = this.bee.core
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
    await this.bee.put(keys.FORMAT_KEY, encodeFormat(INDEX_FORMAT))
  }

  /** The peer-local settings an index of the first format kept (the db, invites), by name. */
  async legacySettings(): Promise<Map<string, Uint8Array>> {
    const entries = await this.collect(keys.LOCAL_RANGE, (entry) => [entry.key, entry.value!] as const)
    return new Map(entries.map(([key, value]) => [b4a.toString(key.subarray(1)), value]))
  }

  async close(): Promise<void> {
    await this.snapshots.close()
    await this.bee.close()
  }

  /** Names this index (the discovery key of its core): a rebuild replaces it with another. */
  get id(): Uint8Array {
    return this.bee.core.discoveryKey
  }

  /** The last step of the change log (0 before the first step that changed keys). */
  lastLoggedStep(): Promise<number> {
    this.loggedStep ??= lastLoggedStep(this.bee.core)
    return this.loggedStep
  }

  /** A step that changed keys landed (called by `IndexBatch.flush` only). */
  logged(step: number): void {
    this.loggedStep = Promise.resolve(step)
  }

  /** The change log after `after`, up to the last chunk of step `upTo`. */
  changesAfter(after: ChangePosition, upTo: number): AsyncIterable<ChangeChunk> {
    return readChangeLog(this.bee.core, after, upTo)
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
    for (const [id, encoded] of found) if (!stepped.has(id)) this.records.set(id, toCache(encoded))
    // The scan covered the whole span: the keys it did not meet have no record.
    if (seen < limit) {
      for (const id of missing.keys()) if (!found.has(id) && !stepped.has(id)) this.records.set(id, null)
    }
  }

  /** The cached record of a key (by `keyId`), without waiting: undefined if it is not cached. */
  cachedRecord(id: string): KeyRecord | null | undefined {
    const cached = this.records.get(id)
    return cached === undefined ? undefined : fromCache(cached)
  }

  async getRecord(key: Uint8Array, id = keyId(key)): Promise<KeyRecord | null> {
    const cached = this.records.get(id)
    if (cached !== undefined) return fromCache(cached)
    const before = this.steps
    const encoded = (await this.lookup(keys.dataKey(key)))?.value ?? null
    // A step that landed meanwhile cached the newer record; this read may predate it.
    if (this.steps === before) this.records.set(id, toCache(encoded))
    return encoded === null ? null : decodeKeyRecord(encoded)
  }

  /** Bytes the caches hold, by their estimate: never more than `cacheSize`. */
  get cachedBytes(): number {
    return this.records.cost + this.tree.bytes
  }

  /** An entry of the latest tree, looked up through the tree cache. */
  private lookup(key: Uint8Array): Promise<TreeEntry | null> {
    const core = this.bee.core
    return guarded(() => lookupTree(core, this.tree, core.length, key))
  }

  /**
   * The entries of a range of the latest tree in order, until `each` returns false. Read
   * straight from the blocks: a Hyperbee stream on a tree without sessions keeps the batch it
   * makes until the tree closes.
   */
  scan(bounds: Bounds, each: (entry: TreeEntry) => boolean | void): Promise<void> {
    const core = this.bee.core
    return guarded(async () => {
      for await (const run of scanTree(core, core.length, { ...bounds, reverse: false })) {
        for (const entry of run) if (each(entry) === false) return
      }
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
    const snap = this.snapshots.snapshot()
    return {
      getRecord: (key) => readRecord(snap, key),
      versionsOf: (key) => readVersions(snap, key),
      records: (range) => readRecords(snap, range),
      close: () => snap.close()
    }
  }

  /** A valid version of a key that is no longer a head, or null. */
  async storedVersion(key: Uint8Array, writer: Uint8Array, seq: number): Promise<KeyVersion | null> {
    const entry = await this.lookup(keys.versionKey(key, writer, seq))
    return entry?.value == null ? null : decodeVersionRecord(entry.value)
  }

  /** The valid versions of a key that are no longer heads, in storage order. */
  versionsOf(key: Uint8Array): Promise<KeyVersion[]> {
    return this.collect(keys.versionsRange(key), (entry) => decodeVersionRecord(entry.value!))
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
    this.records.set(id, toCache(encoded))
    for (const stepped of this.watchers) stepped.add(id)
  }

  forgetAll(): void {
    this.records.clear()
  }
}
