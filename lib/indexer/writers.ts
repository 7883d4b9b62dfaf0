import { freshCursor, type WriterCursor } from '../model/cursor.js'
import { writerKeyOf } from '../model/ids.js'
import type { LogSource } from './log-reader.js'

/** A member's log as the indexer follows it. */
export interface WriterState {
  key: Uint8Array
  /** The writer id (hex of the key). */
  id: string
  core: LogSource
  /** Where indexing is, including a step not yet written. */
  cursor: WriterCursor
  /** Blocks processed by steps already written: what reads of the index reflect. */
  committed: number
}

/** The logs the indexer follows: one per member, opened as the membership names them. */
export class WriterTable {
  private readonly byId = new Map<string, WriterState>()
  private readonly open: (key: Uint8Array) => Promise<LogSource>

  constructor(open: (key: Uint8Array) => Promise<LogSource>) {
    this.open = open
  }

  get size(): number {
    return this.byId.size
  }

  get(id: string): WriterState | undefined {
    return this.byId.get(id)
  }

  values(): IterableIterator<WriterState> {
    return this.byId.values()
  }

  /** Opens the log of a writer, once; the cursor is where a restart resumes. */
  async add(id: string, cursor?: WriterCursor): Promise<void> {
    if (this.byId.has(id)) return
    const key = writerKeyOf(id)
    const core = await this.open(key)
    if (this.byId.has(id)) return
    const start = cursor ?? freshCursor()
    this.byId.set(id, { key, id, core, cursor: start, committed: start.indexed })
  }

  /** Blocks of a writer's log that reads of the index reflect. */
  committed(id: string): number {
    return this.byId.get(id)?.committed ?? 0
  }

  /** A step was written: its cursors are what reads reflect now. */
  commitCursors(): void {
    for (const w of this.byId.values()) w.committed = w.cursor.indexed
  }

  /** Every log from its first block again: where a rebuild starts. */
  resetCursors(): void {
    for (const w of this.byId.values()) w.cursor = freshCursor()
  }

  /** Where a writer's indexing is (blocks processed, a step not yet written included). */
  indexed(id: string): number | undefined {
    return this.byId.get(id)?.cursor.indexed
  }
}
