import type Hypercore from 'hypercore'
import { DecodeError, MAX_ENTRY_BYTES, decodeEntry, decodeHeader } from '../log/codec.js'
import type { LogEntry } from '../log/entry.js'
import { entryId } from '../model/ids.js'
import { RecordCache } from '../view/record-cache.js'

/** What the indexer needs of a writer log: a Hypercore fits, and so does an in-memory log. */
export type LogSource = Pick<Hypercore, 'length' | 'closed' | 'get'>

/** An entry as read: decoded, the reason it could not be (a string), or null when not held. */
export type ReadEntry = LogEntry | string | null

const ENTRY_CACHE = 2048

/**
 * A block held locally, or null. A log can close under the indexer: Hypercore closes every
 * session of a writer that signed two histories. That writer stops being indexed; it must not
 * take the whole index down with it.
 */
async function readBlock(core: LogSource, seq: number): Promise<Uint8Array | null> {
  if (core.closed) return null
  try {
    return await core.get(seq, { wait: false })
  } catch (err) {
    if (core.closed) return null
    throw err
  }
}

/**
 * Reads and decodes the blocks of writer logs. Never waits for the network: a block not held
 * is null, and the caller waits for it to arrive. Decoded entries are cached because an entry
 * is read again when later entries cite it.
 */
export class LogReader {
  private readonly entries = new RecordCache<LogEntry | string>(ENTRY_CACHE)

  /** The db a log's header names, the reason it is not a header, or null when not held. */
  async header(core: LogSource): Promise<Uint8Array | string | null> {
    const block = await readBlock(core, 0)
    if (block === null) return null
    try {
      return decodeHeader(block).db
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      return 'bad-header'
    }
  }

  /** Entry `seq` of the log of writer `writer` (its id). */
  async entry(writer: string, core: LogSource, seq: number): Promise<ReadEntry> {
    const id = entryId(writer, seq)
    const cached = this.entries.get(id)
    if (cached !== undefined) return cached
    const block = await readBlock(core, seq)
    if (block === null) return null
    let entry: LogEntry | string
    try {
      // Sized before decoding: a remote block is not bounded by the local append limit.
      if (block.byteLength > MAX_ENTRY_BYTES) throw new DecodeError('entry-too-large')
      entry = decodeEntry(block)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      entry = err.reason
    }
    this.entries.set(id, entry)
    return entry
  }
}
