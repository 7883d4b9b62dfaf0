import type Hypercore from 'hypercore'
import { MAX_CLOCK_COUNTER, ZERO_CLOCK, compareClocks, type Clock } from '../model/clock.js'
import { decodeEntry } from './codec.js'

/** Remote clocks further ahead than this never advance the local clock. */
export const MAX_CLOCK_DRIFT_MS = 5 * 60 * 1000

/** The local clock of one writer. `now` is injectable so tests can skew it. */
export class HybridClock {
  private high: Clock
  private readonly now: () => number

  constructor(now: () => number, high: Clock = ZERO_CLOCK) {
    this.now = now
    this.high = high
  }

  /** The highest clock this writer has issued or accepted. */
  get highWater(): Clock {
    return this.high
  }

  /** A clock greater than every clock seen so far: max(now, highest + 1). */
  tick(): Clock {
    const now = Math.floor(this.now())
    const high = this.high
    let next: Clock
    if (now > high.wall) next = { wall: now, counter: 0 }
    else if (high.counter < MAX_CLOCK_COUNTER) next = { wall: high.wall, counter: high.counter + 1 }
    else next = { wall: high.wall + 1, counter: 0 }
    this.high = next
    return next
  }

  /** Takes back this writer's own last clock after a restart: it never goes back, whatever the drift. */
  restore(own: Clock): void {
    if (compareClocks(own, this.high) > 0) this.high = own
  }

  /**
   * Takes in a clock seen in another writer's entry. One too far in the future is ignored here
   * (it still counts in the merge), so a skewed or hostile peer cannot drag our clock along.
   */
  observe(remote: Clock): void {
    if (remote.wall > this.now() + MAX_CLOCK_DRIFT_MS) return
    if (compareClocks(remote, this.high) > 0) this.high = remote
  }
}

/** A writer's clock after a restart stays above every clock its log already used. */
export async function resumeClock(clock: HybridClock, log: Hypercore): Promise<void> {
  if (log.length < 2) return
  const last = await log.get(log.length - 1, { wait: false })
  if (last === null) return
  try {
    clock.restore(decodeEntry(last).clock)
  } catch {
    // Not an entry this peer could have written: it stays invalid, the clock starts fresh.
  }
}
