import b4a from 'b4a'
import { keyId } from '../model/ids.js'
import type { KeyRecord, KeyVersion, KeyedVersion } from '../model/version.js'
import { applyVersions } from '../merge/heads.js'
import { inBounds } from '../view/bounds.js'
import type { IndexReader } from '../view/index-view.js'
import { dataKey, dataRange, type KeyRange } from '../view/keys.js'

/** A key with this peer's versions of it that the index has not processed yet, oldest first. */
interface PendingKey {
  key: Uint8Array
  versions: KeyVersion[]
}

/** The pending versions of a moment, by `keyId`, for reads that must see every resolved write. */
export type OverlayView = ReadonlyMap<string, PendingKey>

/**
 * A local write resolves once its entry is appended: the log is the write-ahead log. Until
 * the index has processed that entry, its versions wait here and every read applies them on
 * top of what the index says, so no read misses an acknowledged write.
 */
export class Overlay {
  private pending = new Map<string, PendingKey>()
  /** A view of `pending` was handed out: the next change must copy, not mutate. */
  private shared = false
  private entries: Array<{ seq: number; ids: string[] }> = []
  ops = 0

  /** Copy on write, only when needed: views handed out keep seeing the state of their moment. */
  private writable(): Map<string, PendingKey> {
    if (this.shared) {
      this.pending = new Map(this.pending)
      this.shared = false
    }
    return this.pending
  }

  add(seq: number, versions: readonly KeyedVersion[]): void {
    const next = this.writable()
    const ids: string[] = []
    for (const { key, id, version } of versions) {
      const prev = next.get(id)
      next.set(id, { key, versions: prev === undefined ? [version] : [...prev.versions, version] })
      ids.push(id)
    }
    this.entries.push({ seq, ids })
    this.ops += ids.length
  }

  /** Forgets every pending version: their log is no longer this peer's (see `PeerBee` rotation). */
  clear(): void {
    this.pending = new Map()
    this.shared = false
    this.entries = []
    this.ops = 0
  }

  /** Forgets versions of entries below `length`: the index has processed them. */
  dropBelow(length: number): void {
    if (this.entries.length === 0 || this.entries[0]!.seq >= length) return
    const next = this.writable()
    while (this.entries.length > 0 && this.entries[0]!.seq < length) {
      const { seq, ids } = this.entries.shift()!
      for (const id of ids) {
        const p = next.get(id)
        if (p === undefined) continue
        const rest = p.versions.filter((v) => v.seq !== seq)
        if (rest.length === 0) next.delete(id)
        else next.set(id, { key: p.key, versions: rest })
      }
      this.ops -= ids.length
    }
  }

  /**
   * This peer's pending versions of a key (by `keyId`) as of now, without pinning a view: for
   * a reader that takes them before it reads the index, so a step landing in between can only
   * repeat a version the index already holds, never hide one.
   */
  versionsOf(id: string): readonly KeyVersion[] | undefined {
    return this.pending.get(id)?.versions
  }

  view(): OverlayView {
    this.shared = true
    return this.pending
  }

  /** Seq of the newest entry still waiting for the index, or null. */
  get newest(): number | null {
    return this.entries.length === 0 ? null : this.entries[this.entries.length - 1]!.seq
  }

  /** Seq of the oldest entry still waiting for the index, or null. */
  get oldest(): number | null {
    return this.entries.length === 0 ? null : this.entries[0]!.seq
  }
}

/** The part of a pending view the index had not processed once it held `indexed` entries. */
export function notIndexed(view: OverlayView, indexed: number): OverlayView {
  const out = new Map<string, PendingKey>()
  for (const [id, p] of view) {
    const versions = p.versions.filter((v) => v.seq >= indexed)
    if (versions.length > 0) out.set(id, { key: p.key, versions })
  }
  return out
}

/** A reader whose source is ready later; each call waits for it. */
export function deferred(source: Promise<IndexReader>): IndexReader {
  return {
    getRecord: async (key) => (await source).getRecord(key),
    versionsOf: async (key) => (await source).versionsOf(key),
    records: async function* (range) {
      yield* (await source).records(range)
    },
    close: async () => (await source).close()
  }
}

/** A reader that sees the pending versions of `overlay` on top of `reader`. */
export function overlaid(reader: IndexReader, overlay: OverlayView): IndexReader {
  if (overlay.size === 0) return reader
  return {
    getRecord: async (key) => {
      const record = await reader.getRecord(key)
      const pending = overlay.get(keyId(key))
      return pending === undefined ? record : applyVersions(record, pending.versions)
    },
    versionsOf: (key) => reader.versionsOf(key),
    records: (range) => withPending(reader.records(range), overlay, range),
    close: () => reader.close()
  }
}

/** Merges index records of a range with the pending versions in it, in range order. */
async function* withPending(
  records: AsyncIterable<{ key: Uint8Array; record: KeyRecord }>,
  overlay: OverlayView,
  range: KeyRange
): AsyncIterable<{ key: Uint8Array; record: KeyRecord }> {
  const dir = range.reverse === true ? -1 : 1
  const bounds = dataRange(range)
  const extra = [...overlay.values()]
    .filter((p) => inBounds(dataKey(p.key), bounds))
    .sort((a, b) => dir * b4a.compare(a.key, b.key))
  let i = 0
  for await (const item of records) {
    while (i < extra.length && dir * b4a.compare(extra[i]!.key, item.key) < 0) {
      yield { key: extra[i]!.key, record: applyVersions(null, extra[i]!.versions) }
      i++
    }
    if (i < extra.length && b4a.equals(extra[i]!.key, item.key)) {
      yield { key: item.key, record: applyVersions(item.record, extra[i]!.versions) }
      i++
    } else {
      yield item
    }
  }
  for (; i < extra.length; i++) yield { key: extra[i]!.key, record: applyVersions(null, extra[i]!.versions) }
}
