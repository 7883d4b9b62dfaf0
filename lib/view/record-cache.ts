/**
 * A bounded map of decoded records: a Hyperbee get costs several storage reads, and hot keys
 * are read far more often than they change. Two generations instead of a strict LRU: a hit
 * costs a map lookup, not a delete and re-insert, and a full young generation simply becomes
 * the old one. What was used in the last two generations stays; at most `max` entries live.
 */
export class RecordCache<V> {
  private young = new Map<string, V>()
  private old = new Map<string, V>()
  private readonly half: number

  constructor(max: number) {
    this.half = Math.max(1, max >> 1)
  }

  get(id: string): V | undefined {
    const v = this.young.get(id)
    if (v !== undefined) return v
    const aged = this.old.get(id)
    // Promoted, so a key in use survives the next turnover.
    if (aged !== undefined) this.set(id, aged)
    return aged
  }

  set(id: string, v: V): void {
    this.young.set(id, v)
    if (this.young.size < this.half) return
    this.old = this.young
    this.young = new Map()
  }

  clear(): void {
    this.young.clear()
    this.old.clear()
  }
}
