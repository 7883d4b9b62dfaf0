import type { Batch, PeerBee } from '../lib/index.js'
import { readJson } from './values.js'

/** Ops per batch: the library's default limit, so an import of up to this many keys is one atomic entry. */
export const IMPORT_BATCH_OPS = 10_000
/** Bytes of keys and values per batch: well under the 14 MiB one entry holds. */
const IMPORT_BATCH_BYTES = 8 * 1024 * 1024

/** A line `import` refused, and why. */
export interface Refusal {
  line: number
  reason: string
}

interface ImportRecord {
  key: string
  value: unknown
}

/**
 * Writes `{"key":...,"value":...}` lines in batches of up to {@link IMPORT_BATCH_OPS} keys.
 * Each line is checked by the library before it joins a batch; after the first refused line
 * nothing more is written, but every later line is still checked, so each refusal is reported.
 */
export class Importer {
  private readonly db: PeerBee
  private batch: Batch
  private bytes = 0
  /** The last line in the pending batch. */
  private pendingThrough = 0
  /** Keys written, in how many batches, and the last line they came from. */
  written = 0
  batches = 0
  writtenThrough = 0
  readonly refusals: Refusal[] = []

  constructor(db: PeerBee) {
    this.db = db
    this.batch = db.batch()
  }

  /** Takes line number `line` of the input. */
  async add(line: number, text: string): Promise<void> {
    const record = readRecord(text)
    if ('refused' in record) return this.refuse(line, record.refused)
    const refused = await this.check(record)
    if (refused !== null) return this.refuse(line, refused)
    if (this.refusals.length > 0) return
    const size = Buffer.byteLength(record.key) + Buffer.byteLength(JSON.stringify(record.value))
    if (this.batch.length >= IMPORT_BATCH_OPS || this.bytes + size > IMPORT_BATCH_BYTES) await this.flush()
    this.batch.put(record.key, record.value)
    this.bytes += size
    this.pendingThrough = line
  }

  /** Writes the pending batch, unless a line was refused. */
  async finish(): Promise<void> {
    if (this.refusals.length === 0 && this.batch.length > 0) await this.flush()
  }

  private async flush(): Promise<void> {
    const batch = this.batch
    this.batch = this.db.batch()
    this.bytes = 0
    await batch.flush()
    this.written += batch.length
    this.batches++
    this.writtenThrough = this.pendingThrough
  }

  /** From the first refused line on, nothing more is written: the pending batch is dropped. */
  private refuse(line: number, reason: string): void {
    this.refusals.push({ line, reason })
    this.batch = this.db.batch()
    this.bytes = 0
  }

  /**
   * Why the library refuses the record (its error message), or null. A batch keeps the error
   * of a refused op for `flush()`, which then writes nothing: a batch of this record alone
   * tells, and is never flushed when it took the record.
   */
  private async check(record: ImportRecord): Promise<string | null> {
    const probe = this.db.batch().put(record.key, record.value)
    if (probe.length === 1) return null
    return probe.flush().then(
      () => null,
      (err: unknown) => (err instanceof Error ? err.message : String(err))
    )
  }
}

function readRecord(text: string): ImportRecord | { refused: string } {
  const json = readJson(text)
  if ('refused' in json) return json
  const record = json.value
  if (
    typeof record !== 'object' ||
    record === null ||
    Array.isArray(record) ||
    typeof (record as { key?: unknown }).key !== 'string'
  ) {
    return { refused: 'expected {"key": "<string>", "value": <any JSON>}' }
  }
  if (!('value' in record)) return { refused: 'no "value"' }
  return record as ImportRecord
}
