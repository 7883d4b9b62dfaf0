import { KEY_ID_BYTES } from '../crypt/block-cipher.js'
import { keyId } from '../model/ids.js'
import { isMembershipOp, type KeysOp } from './entry.js'

/** An op as callers queue it; parents and clock are filled in when its entry is built. */
export type QueuedOp =
  | { type: 'put'; key: Uint8Array; value: Uint8Array }
  | { type: 'del'; key: Uint8Array }
  | { type: 'add-writer'; key: Uint8Array; role: 'admin' | 'writer' }
  | { type: 'remove-writer'; key: Uint8Array; length: number }
  | KeysOp

/** One caller's ops, waiting for the entry that will hold them. */
interface QueuedCall {
  ops: QueuedOp[]
  /** Membership changes never share an entry with data ops: an encrypted db writes them in clear. */
  membership: boolean
  bytes: number
  resolve: () => void
  reject: (err: unknown) => void
}

/** Bytes an op adds to its entry, near enough to keep entries under the block size limit. */
export function opBytes(op: QueuedOp): number {
  if (op.type === 'keys') {
    const boxes = [...op.shares, ...op.past].reduce((n, b) => n + b.box.byteLength + 34, 0)
    return KEY_ID_BYTES + boxes + 48
  }
  return op.key.byteLength + (op.type === 'put' ? op.value.byteLength : 0) + 48
}

/**
 * Coalesces writes that arrive while an entry is being appended and indexed into the next
 * entry: one append and one index step for many calls. A call's ops are never split across
 * entries, so a batch stays atomic. Each call resolves once `writeEntry` has taken its entry
 * (which then keeps one op per key: `lastOpPerKey`).
 */
export class GroupCommit {
  private queue: QueuedCall[] = []
  private flushing = false
  private readonly maxOps: number
  private readonly maxBytes: number
  private readonly writeEntry: (ops: QueuedOp[]) => Promise<void>

  constructor(limits: { maxOps: number; maxBytes: number }, writeEntry: (ops: QueuedOp[]) => Promise<void>) {
    this.maxOps = limits.maxOps
    this.maxBytes = limits.maxBytes
    this.writeEntry = writeEntry
  }

  /** Calls are queued or an entry is being written. */
  get busy(): boolean {
    return this.flushing
  }

  push(ops: QueuedOp[]): Promise<void> {
    const bytes = ops.reduce((n, op) => n + opBytes(op), 0)
    return new Promise((resolve, reject) => {
      this.queue.push({ ops, membership: ops.some(isMembershipOp), bytes, resolve, reject })
      if (!this.flushing) void this.flush()
    })
  }

  /**
   * Whole calls of one kind (data or membership), up to `maxOps` ops and `maxBytes`; a single
   * larger call still goes alone.
   */
  private take(): QueuedCall[] {
    let count = 0
    let bytes = 0
    let n = 0
    const kind = this.queue[0]!.membership
    for (; n < this.queue.length; n++) {
      const next = this.queue[n]!
      const full = count + next.ops.length > this.maxOps || bytes + next.bytes > this.maxBytes
      if (n > 0 && (full || next.membership !== kind)) break
      count += next.ops.length
      bytes += next.bytes
    }
    return this.queue.splice(0, n)
  }

  private async flush(): Promise<void> {
    this.flushing = true
    while (this.queue.length > 0) {
      const group = this.take()
      try {
        await this.writeEntry(group.length === 1 ? group[0]!.ops : group.flatMap((p) => p.ops))
        for (const p of group) p.resolve()
      } catch (err) {
        for (const p of group) p.reject(err)
      }
    }
    this.flushing = false
  }
}

/**
 * A key appears at most once per entry: the last op on it wins, in its original position.
 * Returns the ops kept with the `keyId` of each (empty for membership ops), computed once.
 */
export function lastOpPerKey(ops: QueuedOp[]): { ops: QueuedOp[]; ids: string[] } {
  const ids = ops.map((op) => (op.type === 'put' || op.type === 'del' ? keyId(op.key) : ''))
  const last = new Map<string, number>()
  let data = 0
  for (let i = 0; i < ops.length; i++) {
    if (ids[i] === '') continue
    last.set(ids[i]!, i)
    data++
  }
  if (last.size === data) return { ops, ids }
  const kept: { ops: QueuedOp[]; ids: string[] } = { ops: [], ids: [] }
  for (let i = 0; i < ops.length; i++) {
    if (ids[i] !== '' && last.get(ids[i]!) !== i) continue
    kept.ops.push(ops[i]!)
    kept.ids.push(ids[i]!)
  }
  return kept
}
