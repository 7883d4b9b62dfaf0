import b4a from 'b4a'
import type { WriterCursor } from '../model/cursor.js'
import { keyId } from '../model/ids.js'
import type { MembershipFact } from '../model/membership.js'
import type { KeyRecord, KeyVersion, LoggedChange } from '../model/version.js'
import { changeLogEntries, loggedChange } from './change-log.js'
import { guarded } from './corruption.js'
import type { IndexView } from './index-view.js'
import * as keys from './keys.js'
import { encodeCursor, encodeFact, encodeKeyRecord, encodeVersionRecord } from './records.js'

/**
 * One indexing step. Writes are buffered in memory (reads see them) and land in the tree in
 * one Hyperbee batch at flush, sorted so that neighbouring keys share tree nodes. Key records
 * are encoded only then, once each, however often the step rewrote them.
 * A fresh batch starts from an empty index: at flush it also wipes every derived record it
 * did not rewrite, so a rebuild replaces the old state in one atomic step.
 * A step that changed keys also appends them to the change log (`change-log.ts`), in the same
 * Hyperbee batch: the log never misses a step that landed, nor holds one that did not.
 */
export class IndexBatch {
  private readonly view: IndexView
  private readonly fresh: boolean
  /** Data space, by `keyId` of the user key. */
  private readonly records = new Map<string, { key: Uint8Array; record: KeyRecord | null }>()
  /** Every other space, by `keyId` of the index key. */
  private readonly writes = new Map<string, { key: Uint8Array; value: Uint8Array | null }>()
  /** Ops of the entries this step took: what bounds a step's size. */
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

  async getRecord(key: Uint8Array, id = keyId(key)): Promise<KeyRecord | null> {
    const known = this.knownRecord(id)
    return known !== undefined ? known : this.view.getRecord(key, id)
  }

  setRecord(key: Uint8Array, record: KeyRecord | null, id = keyId(key)): void {
    this.records.set(id, { key, record })
  }

  putVersion(key: Uint8Array, version: KeyVersion): void {
    this.write(keys.versionKey(key, version.writer, version.seq), encodeVersionRecord(version))
  }

  delVersion(key: Uint8Array, writer: Uint8Array, seq: number): void {
    this.write(keys.versionKey(key, writer, seq), null)
  }

  setCursor(writer: Uint8Array, cursor: WriterCursor): void {
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
    this.writes.set(keyId(key), { key, value })
  }

  /**
   * Commits the step. `landed` runs in the same synchronous block that makes the step visible
   * (tree written, cache updated, step counter even): state the step makes redundant is
   * dropped there, so no read sees the step and that state together. For a fresh batch,
   * returns the user keys whose records it wiped.
   */
  async flush(landed: () => void = noop): Promise<Uint8Array[]> {
    this.view.beginStep()
    let wiped: Uint8Array[] = []
    let step = 0
    let encoded = new Map<string, Uint8Array>()
    try {
      if (this.fresh) wiped = await guarded(() => this.wipeStale())
      if (this.records.size > 0) step = (await this.view.lastLoggedStep()) + 1
      if (this.size > 0) encoded = await guarded(() => this.writeTree(step))
    } catch (err) {
      this.view.endStep()
      throw err
    }
    if (this.fresh) this.view.forgetAll()
    for (const id of this.records.keys()) this.view.remember(id, encoded.get(id) ?? null)
    if (step > 0) this.view.logged(step)
    landed()
    this.view.endStep()
    return wiped
  }

  /**
   * `step`: the change log step of this step's data changes (0 when it has none). Returns the
   * encodings of the records it wrote, by `keyId`.
   */
  private async writeTree(step: number): Promise<Map<string, Uint8Array>> {
    const encoded = new Map<string, Uint8Array>()
    const batch = this.view.write()
    // The data space sorts before every other space, the change log after; latin1 ids sort
    // in byte order.
    const changes: LoggedChange[] = []
    for (const id of [...this.records.keys()].sort()) {
      const { key, record } = this.records.get(id)!
      if (record === null) {
        batch.tryDelete(keys.dataKey(key))
      } else {
        const bytes = encodeKeyRecord(record)
        encoded.set(id, bytes)
        batch.tryPut(keys.dataKey(key), bytes)
      }
      changes.push(loggedChange(key, record))
    }
    for (const id of [...this.writes.keys()].sort()) {
      const { key, value } = this.writes.get(id)!
      if (value === null) batch.tryDelete(key)
      else batch.tryPut(key, value)
    }
    if (step > 0) for (const { key, value } of changeLogEntries(step, changes)) batch.tryPut(key, value)
    await batch.flush()
    return encoded
  }

  private async wipeStale(): Promise<Uint8Array[]> {
    const wiped: Uint8Array[] = []
    await this.view.scan(keys.DATA_RANGE, (node) => {
      const key = keys.userKeyOf(node.key)
      const id = keyId(key)
      if (this.records.has(id)) return
      this.records.set(id, { key, record: null })
      wiped.push(key)
    })
    for (const range of [...keys.DERIVED_RANGES, keys.CURSORS_RANGE]) {
      await this.view.scan(range, (node) => {
        const id = keyId(node.key)
        if (!this.writes.has(id)) this.writes.set(id, { key: node.key, value: null })
      })
    }
    return wiped
  }
}

function noop(): void {}
