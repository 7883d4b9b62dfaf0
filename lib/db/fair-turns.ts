/**
 * Reads answered from memory (the record cache) resolve on microtasks alone: a loop that
 * awaits one after another would never let the event loop turn, starving I/O, the index's own
 * steps and an app's sockets and timers with it. Every `MAX_STREAK` calls without a turn in
 * between, a call waits for one (`setImmediate`), so such a loop shares the process as a loop
 * over a disk-backed store does; a call made after a turn costs a counter.
 */
const MAX_STREAK = 256

export class FairTurns {
  private streak = 0
  private watching = false

  /** Resolves at once, or after a turn of the event loop once too many calls went without one. */
  turn(): Promise<void> | null {
    if (!this.watching) {
      this.watching = true
      // Runs on the next turn, whoever gives it: the streak then starts over.
      setImmediate(() => {
        this.streak = 0
        this.watching = false
      })
    }
    if (++this.streak < MAX_STREAK) return null
    return new Promise((resolve) => setImmediate(resolve))
  }
}
