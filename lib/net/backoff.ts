/** Delays of a doubling backoff: `min`, `2 min`, `4 min`, ... capped at `max`. */
export class Backoff {
  readonly min: number
  readonly max: number
  private attempt = 0

  constructor({ min = 1000, max = 30_000 }: { min?: number; max?: number } = {}) {
    this.min = min
    this.max = max
  }

  /** The delay before the next try; each call doubles the following one. */
  next(): number {
    const delay = Math.min(this.max, this.min * 2 ** this.attempt)
    if (delay < this.max) this.attempt++
    return delay
  }

  /** Start over from `min`. */
  reset(): void {
    this.attempt = 0
  }
}
