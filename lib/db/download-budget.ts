import { EventEmitter } from 'events'

/**
 * Bytes of writer logs that several dbs may hold together (a Seeder's `maxBytes`). Each db
 * keeps an account of what it holds; once the sum reaches the limit, every db stops
 * downloading (it goes on serving what it holds), and goes on once bytes are freed again.
 * Emits `'change'` when it becomes spent or no longer spent.
 */
export class DownloadBudget extends EventEmitter {
  readonly max: number
  private used = 0

  constructor(max = Infinity) {
    super()
    this.max = max
  }

  get spent(): boolean {
    return this.used >= this.max
  }

  /** An account of one db's bytes within the budget. */
  account(): BudgetAccount {
    return new BudgetAccount(this, (delta) => this.move(delta))
  }

  private move(delta: number): void {
    const was = this.spent
    this.used += delta
    if (this.spent !== was) this.emit('change')
  }
}

/** One db's bytes within a {@link DownloadBudget}. */
export class BudgetAccount {
  readonly budget: DownloadBudget
  private held = 0
  private readonly move: (delta: number) => void

  constructor(budget: DownloadBudget, move: (delta: number) => void) {
    this.budget = budget
    this.move = move
  }

  /** Bytes this db holds. */
  get bytes(): number {
    return this.held
  }

  add(bytes: number): void {
    this.held += bytes
    this.move(bytes)
  }

  /** The db closed: its bytes no longer count (they are still on disk until it is removed). */
  release(): void {
    this.move(-this.held)
    this.held = 0
  }
}
