/** A lone write, or the last of a burst, is handed to the index this long after it. */
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
 * A step runs once writes paused for `QUIET_MS`, once the oldest waited `MAX_WAIT_MS`, or
 * once `EAGER_OPS` ops are pending. One timer at most, re-armed when it fires early: no timer
 * work per write.
 */
export class IndexPacing {
  private readonly trigger: () => void
  private timer: NodeJS.Timeout | null = null
  /** When the oldest write not handed to a step yet came (ms). */
  private first = 0
  /** When the newest came. */
  private last = 0

  constructor(trigger: () => void) {
    this.trigger = trigger
  }

  /** A local write was appended; `pending` ops of this peer now wait for the index. */
  wrote(pending: number): void {
    if (pending >= EAGER_OPS) {
      this.fire()
      return
    }
    this.last = Date.now()
    if (this.timer !== null) return
    this.first = this.last
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
    const now = Date.now()
    const wait = Math.min(this.last + QUIET_MS, this.first + MAX_WAIT_MS) - now
    if (wait > 0) this.timer = setTimeout(this.due, wait)
    else this.fire()
  }

  private fire(): void {
    this.close()
    this.trigger()
  }
}
