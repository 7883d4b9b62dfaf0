import b4a from 'b4a'
import Hyperbee from 'hyperbee'
import type Hypercore from 'hypercore'
import type { CitingVersion } from '../merge/heads.js'
import type { MembershipFact } from '../merge/membership.js'
import { RecordCache } from './record-cache.js'
import * as keys from './keys.js'
import { scanTree } from './tree-scan.js'
import {
  decodeCursor,
  decodeFact,
  decodeKeyRecord,
  decodeVersionRecord,
  encodeCursor,
  encodeFact,
  encodeKeyRecord,
  encodeVersionRecord,
  type Cursor,
  type KeyRecord
} from './records.js'

const CACHE_SIZE = 16_384
/** Below this many uncached keys, point lookups beat a range scan. */
const PREFETCH_MIN = 16

/** A read-only, point-in-time view of the data space. */
export interface IndexReader {
  getRecord(key: Uint8Array): Promise<KeyRecord | null>
  /** The valid versions of a key that are no longer heads. */
  versionsOf(key: Uint8Array): Promise<CitingVersion[]>
  records(range: keys.KeyRange): AsyncIterable<{ key: Uint8Array; record: KeyRecord }>
  close(): Promise<void>
}

async function readRecord(bee: Hyperbee, key: Uint8Array): Promise<KeyRecord | null> {
  const node = await bee.get(keys.dataKey(key))
  return node === null ? null : decodeKeyRecord(node.value)
}

async function readVersions(bee: Hyperbee, key: Uint8Array): Promise<CitingVersion[]> {
  const out: CitingVersion[] = []
  for await (const node of bee.createReadStream(keys.versionsRange(key))) out.push(decodeVersionRecord(node.value))
  return out
}

async function* readRecords(snap: Hyperbee, range: keys.KeyRange): AsyncIterable<{ key: Uint8Array; record: KeyRecord }> {
  await snap.ready()
  for await (const run of scanTree(snap.core, snap.version, keys.dataRange(range))) {
    for (const node of run) yield { key: keys.userKeyOf(node.key), record: decodeKeyRecord(node.value!) }
  }
}

/**
 * The local Hyperbee index: data (key -> heads), versions (for history and retraction),
 * per-writer cursors, membership facts and invalid entries, in one tree so that one batch
 * commits an indexing step and its cursors together.
 */
export class IndexView {
  /** Reads and writes the latest tree in place: no snapshot session per read (they dominated). */
  readonly bee: Hyperbee
  /** Only for snapshots: each one pins a version on its own core session, closed on its own. */
  private readonly snapshots: Hyperbee
  private readonly cache = new RecordCache<KeyRecord | null>(CACHE_SIZE)
  /** Counts index steps written; a lookup that overlapped one must not cache what it read. */
  private written = 0
  /** Prefetches under way, each collecting the keys that index steps rewrote meanwhile. */
  private readonly watchers = new Set<Set<string>>()

  constructor(core: Hypercore) {
    const opts = { keyEncoding: 'binary', valueEncoding: 'binary', extension: false } as const
    this.bee = new Hyperbee(core, { ...opts, sessions: false })
    this.snapshots = new Hyperbee(core, opts)
  }

  async ready(): Promise<void> {
    await this.bee.ready()
    await this.snapshots.ready()
  }

  async close(): Promise<void> {
    await this.snapshots.close()
    await this.bee.close()
  }

  /**
   * Loads the records of many keys with one range scan instead of a lookup each: the keys of
   * one entry are usually close together (batches, catch-up), and new keys cost nothing.
   * `wanted` are distinct keys the caller found missing from the cache.
   */
  async prefetch(wanted: readonly keys.IdentifiedKey[]): Promise<void> {
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
      for await (const node of this.bee.createReadStream(range)) {
        seen++
        const id = keys.keyId(keys.userKeyOf(node.key))
        if (missing.has(id)) found.set(id, decodeKeyRecord(node.value))
      }
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

  async getRecord(key: Uint8Array, id = keys.keyId(key)): Promise<KeyRecord | null> {
    const cached = this.cache.get(id)
    if (cached !== undefined) return cached
    const before = this.written
    const record = await readRecord(this.bee, key)
    // A step written meanwhile cached the newer record; this read may predate it.
    if (this.written === before) this.cache.set(id, record)
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

  /** The valid versions of a key that are no longer heads, in storage order. */
  versionsOf(key: Uint8Array): Promise<CitingVersion[]> {
    return readVersions(this.bee, key)
  }

  async cursors(): Promise<Map<string, Cursor>> {
    const out = new Map<string, Cursor>()
    for await (const node of this.bee.createReadStream(keys.CURSORS_RANGE)) {
      out.set(b4a.toString(node.key.subarray(1), 'hex'), decodeCursor(node.value))
    }
    return out
  }

  async facts(): Promise<MembershipFact[]> {
    const out: MembershipFact[] = []
    for await (const node of this.bee.createReadStream(keys.FACTS_RANGE)) out.push(decodeFact(node.value))
    return out
  }

  /** Seqs of a writer's entries recorded as invalid, from `from` on. */
  async invalidSeqs(writer: Uint8Array, from: number): Promise<number[]> {
    const out: number[] = []
    for await (const node of this.bee.createReadStream(keys.invalidRange(writer, from))) {
      out.push(Number(new DataView(node.key.buffer, node.key.byteOffset + 33, 8).getBigUint64(0)))
    }
    return out
  }

  async getLocal(name: string): Promise<Uint8Array | null> {
    const node = await this.bee.get(keys.localKey(name))
    return node === null ? null : node.value
  }

  async putLocal(name: string, value: Uint8Array): Promise<void> {
    await this.bee.put(keys.localKey(name), value)
  }

  batch(): IndexBatch {
    return new IndexBatch(this)
  }

  /** Called by a batch as it starts writing. */
  stepWriting(): void {
    this.written++
  }

  /** Called by a flushed batch: the cache now mirrors the tree for those keys (by `keyId`). */
  remember(id: string, record: KeyRecord | null): void {
    this.cache.set(id, record)
    for (const stepped of this.watchers) stepped.add(id)
  }

  forgetAll(): void {
    this.cache.clear()
  }
}

/**
 * One indexing step. Writes are buffered in memory (reads see them) and land in the tree in
 * one Hyperbee batch at flush, sorted so that neighbouring keys share tree nodes. Key records
 * are encoded only then, once each, however often the step rewrote them.
 * A fresh batch starts from an empty index: at flush it also wipes every derived record it
 * did not rewrite, so a rebuild replaces the old state in one atomic step.
 */
export class IndexBatch {
  private readonly view: IndexView
  private readonly fresh: boolean
  /** Data space, by `keyId` of the user key. */
  private readonly records = new Map<string, { key: Uint8Array; record: KeyRecord | null }>()
  /** Every other space, by `keyId` of the index key. */
  private readonly writes = new Map<string, { key: Uint8Array; value: Uint8Array | null }>()
  opCount = 0

  constructor(view: IndexView, opts: { fresh?: boolean } = {}) {
    this.view = view
    this.fresh = opts.fresh === true
  }

  get size(): number {
    return this.records.size + this.writes.size
  }

  /** The record of a key (by `keyId`) as this step leaves it so far; undefined: not known without a read. */
  knownRecord(id: string): KeyRecord | null | undefined {
    const pending = this.records.get(id)
    if (pending !== undefined) return pending.record
    return this.fresh ? null : this.view.cachedRecord(id)
  }

  async getRecord(key: Uint8Array, id = keys.keyId(key)): Promise<KeyRecord | null> {
    const known = this.knownRecord(id)
    return known !== undefined ? known : this.view.getRecord(key, id)
  }

  setRecord(key: Uint8Array, record: KeyRecord | null, id = keys.keyId(key)): void {
    this.records.set(id, { key, record })
  }

  putVersion(key: Uint8Array, version: CitingVersion): void {
    this.write(keys.versionKey(key, version.writer, version.seq), encodeVersionRecord(version))
  }

  delVersion(key: Uint8Array, writer: Uint8Array, seq: number): void {
    this.write(keys.versionKey(key, writer, seq), null)
  }

  setCursor(writer: Uint8Array, cursor: Cursor): void {
    this.write(keys.cursorKey(writer), encodeCursor(cursor))
  }

  putFact(writer: Uint8Array, fact: MembershipFact): void {
    this.write(keys.factKey(writer, fact.seq), encodeFact(fact))
  }

  putInvalid(writer: Uint8Array, seq: number, reason: string): void {
    this.write(keys.invalidKey(writer, seq), b4a.from(reason))
  }

  delInvalid(writer: Uint8Array, seq: number): void {
    this.write(keys.invalidKey(writer, seq), null)
  }

  private write(key: Uint8Array, value: Uint8Array | null): void {
    this.writes.set(keys.keyId(key), { key, value })
  }

  /** Commits the step. For a fresh batch, returns the user keys whose records it wiped. */
  async flush(): Promise<Uint8Array[]> {
    const wiped = this.fresh ? await this.wipeStale() : []
    if (this.size === 0) return wiped
    this.view.stepWriting()
    const batch = this.view.bee.batch()
    // The data space sorts before every other space; latin1 ids sort in byte order.
    for (const id of [...this.records.keys()].sort()) {
      const { key, record } = this.records.get(id)!
      if (record === null) await batch.del(keys.dataKey(key))
      else await batch.put(keys.dataKey(key), encodeKeyRecord(record))
    }
    for (const id of [...this.writes.keys()].sort()) {
      const { key, value } = this.writes.get(id)!
      if (value === null) await batch.del(key)
      else await batch.put(key, value)
    }
    await batch.flush()
    this.view.stepWriting()
    if (this.fresh) this.view.forgetAll()
    for (const [id, { record }] of this.records) this.view.remember(id, record)
    return wiped
  }

  private async wipeStale(): Promise<Uint8Array[]> {
    const wiped: Uint8Array[] = []
    for await (const node of this.view.bee.createReadStream(keys.DATA_RANGE)) {
      const key = keys.userKeyOf(node.key)
      const id = keys.keyId(key)
      if (this.records.has(id)) continue
      this.records.set(id, { key, record: null })
      wiped.push(key)
    }
    for (const range of [...keys.DERIVED_RANGES, keys.CURSORS_RANGE]) {
      for await (const node of this.view.bee.createReadStream(range)) {
        const id = keys.keyId(node.key)
        if (!this.writes.has(id)) this.writes.set(id, { key: node.key, value: null })
      }
    }
    return wiped
  }
}
