/** A write is handed to the index this long after it, once no write is in flight. */
export const QUIET_MS = 5
/** Writes that keep coming are handed to the index at least this often. */
export const MAX_WAIT_MS = 50
/** Pending local ops past which the index takes them at once. */
export const EAGER_OPS = 1024

/**
 * When this peer's own writes go to the index. They are readable through the overlay from
 * their append on, so the index may take them in a few larger steps instead of one per write:
 * each step costs an append of the index core (hashed, signed, one storage write) and the tree
 * nodes it rewrites, so while writes stream in, fewer steps leave more time to the writes.
 * A step runs `QUIET_MS` after a write if no write is in flight then, else once no write is in
 * flight at a later look (every `QUIET_MS`), at the latest `MAX_WAIT_MS` after the first write
 * it takes; and at once past `EAGER_OPS` pending ops. Whether a write is in flight, not how long
 * ago the last one came: a step or a busy machine delays a stream of writes too, and a gap
 * that the writer did not choose is no pause. One timer at most: no timer work per write.
 */
export class IndexPacing {
  private readonly trigger: () => void
  private readonly writing: () => boolean
  private timer: NodeJS.Timeout | null = null
  /** When the oldest write not handed to a step yet came (ms). */
  private first = 0

  /** `writing`: whether a write is queued or being appended now. */
  constructor(trigger: () => void, writing: () => boolean) {
    this.trigger = trigger
    this.writing = writing
  }

  /** A local write was appended; `pending` ops of this peer now wait for the index. */
  wrote(pending: number): void {
    if (pending >= EAGER_OPS) {
      this.fire()
      return
    }
    if (this.timer !== null) return
    this.first = Date.now()
    // Not unref()'d: a program awaiting watch() after its last write needs this step to run.
    this.timer = setTimeout(this.due, QUIET_MS)
  }

  /** Stops the timer; pending writes are durable and the next open indexes them. */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }

  private readonly due = (): void => {
    this.timer = null
    const left = this.first + MAX_WAIT_MS - Date.now()
    if (left > 0 && this.writing()) this.timer = setTimeout(this.due, Math.min(QUIET_MS, left))
    else this.fire()
  }

  private fire(): void {
    this.close()
    this.trigger()
  }
}
