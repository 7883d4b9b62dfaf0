import b4a from 'b4a'

/** An op as callers queue it; parents and clock are filled in when its entry is built. */
export type QueuedOp =
  | { type: 'put'; key: Uint8Array; value: Uint8Array }
  | { type: 'del'; key: Uint8Array }
  | { type: 'add-writer'; key: Uint8Array; role: 'admin' | 'writer' }
  | { type: 'remove-writer'; key: Uint8Array; length: number }

interface Pending {
  ops: QueuedOp[]
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * Coalesces writes that arrive while an entry is being appended and indexed into the next
 * entry: one append and one index step for many calls. A call's ops are never split across
 * entries, so a batch stays atomic. Each call resolves only when its entry is durable and
 * indexed (whatever `commit` awaits).
 */
export class GroupCommit {
  private queue: Pending[] = []
  private flushing = false
  private readonly maxOps: number
  private readonly commit: (ops: QueuedOp[]) => Promise<void>

  constructor(maxOps: number, commit: (ops: QueuedOp[]) => Promise<void>) {
    this.maxOps = maxOps
    this.commit = commit
  }

  push(ops: QueuedOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ops, resolve, reject })
      if (!this.flushing) void this.flush()
    })
  }

  /** Whole calls, up to `maxOps` ops; a single call larger than that still goes alone. */
  private take(): Pending[] {
    let count = 0
    let n = 0
    while (n < this.queue.length && (n === 0 || count + this.queue[n]!.ops.length <= this.maxOps)) {
      count += this.queue[n]!.ops.length
      n++
    }
    return this.queue.splice(0, n)
  }

  private async flush(): Promise<void> {
    this.flushing = true
    while (this.queue.length > 0) {
      const group = this.take()
      try {
        await this.commit(lastOpPerKey(group.flatMap((p) => p.ops)))
        for (const p of group) p.resolve()
      } catch (err) {
        for (const p of group) p.reject(err)
      }
    }
    this.flushing = false
  }
}

/** A key appears at most once per entry: the last op on it wins, in its original position. */
export function lastOpPerKey(ops: QueuedOp[]): QueuedOp[] {
  const last = new Map<string, number>()
  ops.forEach((op, i) => {
    if (op.type === 'put' || op.type === 'del') last.set(b4a.toString(op.key, 'hex'), i)
  })
  if (last.size === ops.filter((op) => op.type === 'put' || op.type === 'del').length) return ops
  return ops.filter((op, i) => (op.type !== 'put' && op.type !== 'del') || last.get(b4a.toString(op.key, 'hex')) === i)
}
