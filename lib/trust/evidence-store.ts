import b4a from 'b4a'
import type { Evidence } from '../model/evidence.js'
import { decodeEvidence, encodeEvidence, evidenceId } from './codec.js'

/** Where evidence is kept: a key-value store local to this peer (its local settings). */
export interface EvidenceSpace {
  get(name: string): Promise<Uint8Array | null>
  set(name: string, value: Uint8Array | null): Promise<void>
}

const COUNT = 'evidence/count'

/**
 * The evidence this peer checked and keeps: it outlives the index (which a rebuild replaces)
 * because no log holds it, and it is passed on to every peer that connects. It is kept as
 * local settings, never in a core of its own: a copied storage shares its local cores' keys
 * with the original, and a core both append to would meet itself as a fork.
 */
export class EvidenceStore {
  private readonly space: EvidenceSpace
  private readonly known = new Map<string, Evidence>()
  private count = 0

  private constructor(space: EvidenceSpace) {
    this.space = space
  }

  static async open(space: EvidenceSpace): Promise<EvidenceStore> {
    const store = new EvidenceStore(space)
    const count = await space.get(COUNT)
    store.count = count === null ? 0 : Number(b4a.toString(count))
    for (let n = 0; n < store.count; n++) {
      const bytes = await space.get('evidence/' + n)
      const e = bytes === null ? null : decodeEvidence(bytes)
      if (e !== null) store.known.set(evidenceId(e), e)
    }
    return store
  }

  /** Everything kept, in the order it was learnt. */
  all(): Evidence[] {
    return [...this.known.values()]
  }

  has(e: Evidence): boolean {
    return this.known.has(evidenceId(e))
  }

  /** Keeps checked evidence; false if it was known already. */
  async add(e: Evidence): Promise<boolean> {
    const id = evidenceId(e)
    if (this.known.has(id)) return false
    this.known.set(id, e)
    // The record first, the count second: a crash in between loses at most this one record.
    await this.space.set('evidence/' + this.count, encodeEvidence(e))
    this.count++
    await this.space.set(COUNT, b4a.from(String(this.count)))
    return true
  }
}
