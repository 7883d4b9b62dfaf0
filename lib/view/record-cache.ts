/**
 * A bounded map of decoded index records: a Hyperbee get costs several storage reads, and
 * hot keys are read far more often than they change. Least recently used entries go first.
 */
export class RecordCache<V> {
  private readonly map = new Map<string, V>()
  private readonly max: number

  constructor(max: number) {
    this.max = max
  }

  get(id: string): V | undefined {
    const v = this.map.get(id)
    if (v === undefined) return undefined
    this.map.delete(id)
    this.map.set(id, v)
    return v
  }

  set(id: string, v: V): void {
    this.map.delete(id)
    this.map.set(id, v)
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string)
  }

  clear(): void {
    this.map.clear()
  }
}
