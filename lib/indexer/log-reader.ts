import type Hypercore from 'hypercore'
import type { Framing } from '../crypt/block-cipher.js'
import {
  headerFits,
  modeOf,
  readClearEntry,
  readEntry,
  readHeader,
  type BlockKeys,
  type DbMode,
  type SealedEntry
} from '../log/blocks.js'
import { DecodeError } from '../log/codec.js'
import type { KeysOp, LogEntry } from '../log/entry.js'
import { entryId, writerKeyOf } from '../model/ids.js'
import { BoundedCache } from '../view/bounded-cache.js'

/** What the indexer needs of a writer log: a Hypercore fits, and so does an in-memory log. */
export type LogSource = Pick<Hypercore, 'length' | 'closed' | 'get'>

/** An entry as read: decoded, the reason it could not be (a string), or null when not held. */
export type ReadEntry = LogEntry | string | null

/** Bytes of decoded entries kept, by estimate. */
const ENTRY_CACHE_BYTES = 16 * 2 ** 20
/** The least an entry costs, so that at most 2,048 are kept, however small they are. */
const ENTRY_MIN_COST = ENTRY_CACHE_BYTES / 2048
/** What a decoded op costs beyond its key and value: its objects, parents and buffer views. */
const OP_OVERHEAD = 256

/** An entry of many ops or large values costs its bytes: a count alone would not bound them. */
function entryCost(_id: string, entry: LogEntry | string | SealedEntry): number {
  if (typeof entry !== 'object' || !('ops' in entry)) return ENTRY_MIN_COST
  let bytes = 0
  for (const op of entry.ops) {
    bytes += OP_OVERHEAD + ('key' in op ? op.key.byteLength : 0) + (op.type === 'put' ? op.value.byteLength : 0)
  }
  return Math.max(ENTRY_MIN_COST, bytes)
}

/**
 * A block as stored, or null when not held. Read raw: this peer's own log has Hypercore's
 * encryption provider, whose reads would drop the frame the rules look at. A log can close
 * under the indexer: Hypercore closes every session of a writer that signed two histories.
 * That writer stops being indexed; it must not take the whole index down with it.
 */
async function readBlock(core: LogSource, seq: number): Promise<Uint8Array | null> {
  if (core.closed) return null
  try {
    return await core.get(seq, { wait: false, raw: true })
  } catch (err) {
    if (core.closed) return null
    throw err
  }
}

export interface LogReaderOptions {
  /** The root writer's log: its header tells whether the db is encrypted. */
  root: LogSource
  /** The db keys this peer holds; null when it holds none (it reads membership only). */
  keys: BlockKeys | null
}

/**
 * Reads, opens and decodes the blocks of writer logs. Never waits for the network: a block not
 * held is null, and the caller waits for it to arrive. Decoded entries are cached because an
 * entry is read again when later entries cite it.
 */
export class LogReader {
  private readonly opts: LogReaderOptions
  private readonly entries = new BoundedCache<string, LogEntry | string | SealedEntry>(ENTRY_CACHE_BYTES, entryCost)
  private known: DbMode | null = null
  /** Writer keys by id, for the block keys of sealed entries. */
  private readonly logKeys = new Map<string, Uint8Array>()

  constructor(opts: LogReaderOptions) {
    this.opts = opts
  }

  /** Whether the db is encrypted, once the root's header is held (`mode()` reads it). */
  get modeKnown(): DbMode | null {
    return this.known
  }

  /** The db's mode, from the root's header; null while that block is not held. */
  async mode(): Promise<DbMode | null> {
    if (this.known !== null) return this.known
    const block = await readBlock(this.opts.root, 0)
    if (block === null) return null
    try {
      this.known = modeOf(readHeader(block).framing)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      // A root log that does not start with a header is no db: nothing of it is ever indexed.
      return null
    }
    return this.known
  }

  /** The db a log's header names, the reason it is not a header of this db, or null when not held. */
  async header(core: LogSource): Promise<Uint8Array | string | null> {
    const block = await readBlock(core, 0)
    if (block === null) return null
    let read: { db: Uint8Array; framing: Framing }
    try {
      const { header, framing } = readHeader(block)
      read = { db: header.db, framing }
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      return 'bad-header'
    }
    const mode = await this.mode()
    if (mode === null) return null
    return headerFits(read.framing, mode) ? read.db : 'bad-header'
  }

  /**
   * Entry `seq` of the log of writer `writer` (its id); sealed ones this peer cannot open are
   * null. `keep`: false for a reader of many entries that the indexer will not cite again.
   */
  async entry(writer: string, core: LogSource, seq: number, keep = true): Promise<ReadEntry> {
    const read = await this.read(writer, core, seq, keep)
    return read !== null && typeof read === 'object' && 'sealed' in read ? null : read
  }

  /** Entry `seq` as `entry()` reads it, telling sealed entries this peer cannot open apart. */
  async read(writer: string, core: LogSource, seq: number, keep = true): Promise<ReadEntry | SealedEntry> {
    const id = entryId(writer, seq)
    const cached = this.entries.get(id)
    if (cached !== undefined) return cached
    const block = await readBlock(core, seq)
    if (block === null) return null
    const mode = await this.mode()
    if (mode === null) return null
    let entry: LogEntry | string | SealedEntry
    try {
      entry = readEntry(block, seq, this.logKey(writer), mode, this.opts.keys)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      entry = err.reason
    }
    // A locked entry opens once its key is learnt: it is read again then.
    if (keep && !(typeof entry === 'object' && 'sealed' in entry && entry.sealed === 'locked'))
      this.entries.set(id, entry)
    return entry
  }

  private logKey(writer: string): Uint8Array {
    let key = this.logKeys.get(writer)
    if (key === undefined) this.logKeys.set(writer, (key = writerKeyOf(writer)))
    return key
  }

  /** The key ops of the clear blocks [from, to) of a log that are held, whether valid or not. */
  async keyOps(core: LogSource, from: number, to: number): Promise<{ ops: KeysOp[]; held: number }> {
    const ops: KeysOp[] = []
    let held = from
    for (let seq = Math.max(from, 1); seq < to; seq++) {
      const block = await readBlock(core, seq)
      if (block === null) break
      held = seq + 1
      for (const op of readClearEntry(block)?.ops ?? []) if (op.type === 'keys') ops.push(op)
    }
    return { ops, held }
  }
}

/** Whether a read is an entry (not a reason, a missing block, or a sealed entry). */
export function isEntry(read: ReadEntry | SealedEntry): read is LogEntry {
  return read !== null && typeof read === 'object' && 'ops' in read
}
