import { entryId, keyId, writerId } from '../model/ids.js'
import { sameRef, type LoggedChange, type Ref } from '../model/version.js'
import type { Layers } from './layers.js'

/** Entries kept decoded while a feed reads: the keys of a step mostly come from a few entries. */
const KEPT_ENTRIES = 16

/** A change of the log with its value: null when the key was deleted. */
export interface ValuedChange {
  key: Uint8Array
  value: Uint8Array | null
}

/**
 * Reads the values of the puts the change log names (it keeps refs, not values: a value is
 * stored once, in its writer's log). An entry is read from the log and decoded once for all
 * its keys. Should the block not be readable (a writer log Hypercore closed, as it closes one
 * that signed two histories), the index still holds every valid version: the value comes
 * from the key's record or the versions space. A version in neither was retracted since:
 * it never counted, and a later step of the log gives the key's state without it.
 */
export class ChangeValues {
  private readonly layers: Layers
  /** Values of the puts of recently read entries, by entry id, then by `keyId`. */
  private readonly entries = new Map<string, Map<string, Uint8Array> | null>()

  constructor(layers: Layers) {
    this.layers = layers
  }

  async resolve(changes: LoggedChange[]): Promise<ValuedChange[]> {
    const out: ValuedChange[] = []
    for (const { key, winner } of changes) {
      if (winner === null) {
        out.push({ key, value: null })
        continue
      }
      const value = (await this.fromLog(winner))?.get(keyId(key)) ?? (await this.fromIndex(key, winner))
      if (value !== null) out.push({ key, value })
    }
    return out
  }

  private async fromLog(ref: Ref): Promise<Map<string, Uint8Array> | null> {
    const writer = writerId(ref.writer)
    const id = entryId(writer, ref.seq)
    if (this.entries.has(id)) return this.entries.get(id)!
    const values = await this.readEntry(writer, ref.seq)
    if (this.entries.size >= KEPT_ENTRIES) this.entries.delete(this.entries.keys().next().value!)
    this.entries.set(id, values)
    return values
  }

  private async readEntry(writer: string, seq: number): Promise<Map<string, Uint8Array> | null> {
    const { indexer } = this.layers
    const core = indexer.writers.get(writer)?.core
    if (core === undefined) return null
    const entry = await indexer.reader.entry(writer, core, seq, false)
    if (entry === null || typeof entry === 'string') return null
    const values = new Map<string, Uint8Array>()
    for (const op of entry.ops) if (op.type === 'put') values.set(keyId(op.key), op.value)
    return values
  }

  private async fromIndex(key: Uint8Array, ref: Ref): Promise<Uint8Array | null> {
    const { view } = this.layers
    const head = (await view.getRecord(key))?.heads.find((v) => sameRef(v, ref))
    const version = head ?? (await view.storedVersion(key, ref.writer, ref.seq))
    return version === null || version.deleted ? null : version.value
  }
}
