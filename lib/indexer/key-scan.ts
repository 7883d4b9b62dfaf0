import type { KeysAnnouncement, KeyOrder } from '../crypt/keyring.js'
import type { BlockKeys } from '../log/blocks.js'
import type { KeysOp } from '../log/entry.js'
import type { LogReader } from './log-reader.js'
import type { WriterState } from './writers.js'

/** The db keys an indexer of an encrypted db holds, and how it learns more. */
export interface IndexerKeys extends BlockKeys {
  /** Takes the keys an op proves (valid or not); resolves whether it learnt one. */
  learn(op: KeysAnnouncement): Promise<boolean>
  /** A valid op (an admin's, at `order`): it may also change the key this peer writes with. */
  adopt(op: KeysAnnouncement, order: KeyOrder): Promise<void>
  /** The index is re-derived from the logs: what valid ops said is adopted again. */
  forget(): Promise<void>
}

/**
 * Finds keys ahead of the indexer. An entry under a key this peer does not hold waits; the op
 * that would give it (an older key under the newest one a reader was given, say) may sit
 * further on in a log, behind entries that wait on it. So when entries are locked, the clear
 * blocks not yet read are scanned for key ops, and what they prove is learnt. Each block is
 * scanned once per process; ops whose key was not held yet are tried again as keys arrive.
 */
export class KeyScanner {
  private readonly reader: LogReader
  private readonly keys: IndexerKeys
  private readonly scanned = new Map<string, number>()
  private readonly waiting: KeysOp[] = []

  constructor(reader: LogReader, keys: IndexerKeys) {
    this.reader = reader
    this.keys = keys
  }

  /** Resolves whether a key was learnt. */
  async scan(writers: Iterable<WriterState>): Promise<boolean> {
    for (const w of writers) {
      const from = Math.max(this.scanned.get(w.id) ?? 0, w.cursor.indexed)
      const { ops, held } = await this.reader.keyOps(w.core, from, w.core.length)
      this.scanned.set(w.id, held)
      this.waiting.push(...ops)
    }
    let learnt = false
    for (let round = true; round;) {
      round = false
      for (const op of this.waiting) if (await this.keys.learn(op)) round = learnt = true
    }
    return learnt
  }
}
