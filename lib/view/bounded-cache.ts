/**
 * A map bounded by the summed cost of its entries: an estimate of the bytes each holds, or 1
 * each to bound a count. Two generations instead of a strict LRU: a hit costs a map lookup,
 * not a delete and re-insert, and a full young generation simply becomes the old one. What was
 * used in the last two generations stays; each generation costs at most half of `max`, so the
 * two together stay within it.
 */
export class BoundedCache<K, V> {
  private young = new Map<K, V>()
  private old = new Map<K, V>()
  private youngCost = 0
  private oldCost = 0
  private readonly half: number
  private readonly costOf: (key: K, value: V) => number

  /** `costOf`: what an entry costs (in bytes: its map slot included). Default 1: `max` entries. */
  constructor(max: number, costOf: (key: K, value: V) => number = one) {
    this.half = max / 2
    this.costOf = costOf
  }

  /** The cost of the entries held now: never more than `max`. */
  get cost(): number {
    return this.youngCost + this.oldCost
  }

  get(key: K): V | undefined {
    const v = this.young.get(key)
    if (v !== undefined) return v
    const aged = this.old.get(key)
    // Promoted, so an entry in use survives the next turnover.
    if (aged !== undefined) this.set(key, aged)
    return aged
  }

  set(key: K, value: V): void {
    const cost = this.costOf(key, value)
    const replaced = this.young.get(key)
    if (replaced !== undefined) {
      this.young.delete(key)
      this.youngCost -= this.costOf(key, replaced)
    }
    // A value the old generation holds is shadowed by the young one, which is looked up first.
    if (cost > this.half) {
      // Too big to keep: only the older value must not stay.
      const aged = this.old.get(key)
      if (aged !== undefined) {
        this.old.delete(key)
        this.oldCost -= this.costOf(key, aged)
      }
      return
    }
    if (this.youngCost + cost > this.half) {
      this.old = this.young
      this.oldCost = this.youngCost
      this.young = new Map()
      this.youngCost = 0
    }
    this.young.set(key, value)
    this.youngCost += cost
  }

  clear(): void {
    this.young.clear()
    this.old.clear()
    this.youngCost = 0
    this.oldCost = 0
  }
}

function one(): number {
  return 1
}
