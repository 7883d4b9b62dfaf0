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
import { RecordCache } from './record-cache.js'
import {
  INDEX_FORMAT,
  decodeCursor,
  decodeFact,
  decodeFormat,
  decodeKeyRecord,
  decodeVersionRecord,
  encodeFormat
} from './records.js'
import { scanTree } from './tree-scan.js'

const CACHE_SIZE = 16_384
/** Below this many uncached keys, point lookups beat a range scan. */
const PREFETCH_MIN = 16

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
  private readonly cache = new RecordCache<KeyRecord | null>(CACHE_SIZE)
  private steps = 0
  private stepWaiters: Array<() => void> = []
  /** Prefetches under way, each collecting the keys that index steps rewrote meanwhile. */
  private readonly watchers = new Set<Set<string>>()
  /** The last step of the change log, read once, then kept by the steps that write it. */
  private loggedStep: Promise<number> | null = null
  private log: Promise<Uint8Array> | null = null

  constructor(core: Hypercore) {
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
      const header = await guarded(() => this.bee.get(keys.FORMAT_KEY))
      return header !== null && decodeFormat(header.value) === INDEX_FORMAT ? 'current' : 'outdated'
    } catch (err) {
      if (err instanceof PeerBeeError && err.code === 'STORAGE_CORRUPT') return 'damaged'
      throw err
    }
  }

  /** Writes the header that makes this index current: after a rebuild, before it is swapped in. */
  async markCurrent(): Promise<void> {
    // A compacted index holds its source's header already: no block for nothing.
    if ((await this.health()) === 'current') return
    await this.bee.put(keys.FORMAT_KEY, encodeFormat(INDEX_FORMAT))
  }

  /** The peer-local settings an index of the first format kept (the db, invites), by name. */
  async legacySettings(): Promise<Map<string, Uint8Array>> {
    const entries = await collect(this.bee, keys.LOCAL_RANGE, (node) => [node.key, node.value] as const)
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
    if (wanted.length < PREFETCH_MIN || wanted.length > CACHE_SIZE / 2) return
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
    const range = { gte: keys.dataKey(first), lte: keys.dataKey(last), limit }
    let seen = 0
    const found = new Map<string, KeyRecord>()
    try {
      await guarded(async () => {
        for await (const node of this.bee.createReadStream(range)) {
          seen++
          const id = keyId(keys.userKeyOf(node.key))
          if (missing.has(id)) found.set(id, decodeKeyRecord(node.value))
        }
      })
    } finally {
      this.watchers.delete(stepped)
    }
    for (const [id, record] of found) if (!stepped.has(id)) this.cache.set(id, record)
    // The scan covered the whole span: the keys it did not meet have no record.
    if (seen < limit) for (const id of missing.keys()) if (!found.has(id) && !stepped.has(id)) this.cache.set(id, null)
  }

  /** The cached record of a key (by `keyId`), without waiting: undefined if it is not cached. */
  cachedRecord(id: string): KeyRecord | null | undefined {
    return this.cache.get(id)
  }

  async getRecord(key: Uint8Array, id = keyId(key)): Promise<KeyRecord | null> {
    const cached = this.cache.get(id)
    if (cached !== undefined) return cached
    const before = this.steps
    const record = await readRecord(this.bee, key)
    // A step that landed meanwhile cached the newer record; this read may predate it.
    if (this.steps === before) this.cache.set(id, record)
    return record
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
    const node = await guarded(() => this.bee.get(keys.versionKey(key, writer, seq)))
    return node === null ? null : decodeVersionRecord(node.value)
  }

  /** The valid versions of a key that are no longer heads, in storage order. */
  versionsOf(key: Uint8Array): Promise<KeyVersion[]> {
    return readVersions(this.bee, key)
  }

  async cursors(): Promise<Map<string, WriterCursor>> {
    const entries = await collect(this.bee, keys.CURSORS_RANGE, (node) => {
      return [b4a.toString(node.key.subarray(1), 'hex'), decodeCursor(node.value)] as const
    })
    return new Map(entries)
  }

  facts(): Promise<MembershipFact[]> {
    return collect(this.bee, keys.FACTS_RANGE, (node) => decodeFact(node.value))
  }

  /** Seqs of a writer's entries recorded as invalid, from `from` on. */
  invalidSeqs(writer: Uint8Array, from: number): Promise<number[]> {
    return collect(this.bee, keys.invalidRange(writer, from), (node) => keys.invalidSeqOf(node.key))
  }

  /** Called as a step lands: the cache now mirrors the tree for that key (by `keyId`). */
  remember(id: string, record: KeyRecord | null): void {
    this.cache.set(id, record)
    for (const stepped of this.watchers) stepped.add(id)
  }

  forgetAll(): void {
    this.cache.clear()
  }
}
