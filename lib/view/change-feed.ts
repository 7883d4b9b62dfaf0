import b4a from 'b4a'
import type { IndexedChange } from '../merge/indexer.js'
import { dataKey } from './keys.js'

interface Bounds {
  gt?: Uint8Array
  gte?: Uint8Array
  lt?: Uint8Array
  lte?: Uint8Array
}

function inBounds(key: Uint8Array, b: Bounds): boolean {
  if (b.gt && b4a.compare(key, b.gt) <= 0) return false
  if (b.gte && b4a.compare(key, b.gte) < 0) return false
  if (b.lt && b4a.compare(key, b.lt) >= 0) return false
  if (b.lte && b4a.compare(key, b.lte) > 0) return false
  return true
}

interface Subscriber {
  bounds: Bounds
  queue: IndexedChange[][]
  wake: (() => void) | null
}

/** Fans index steps out to `watch()` iterators; each sees only the keys of its range. */
export class ChangeFeed {
  private readonly subscribers = new Set<Subscriber>()
  private ended = false
  private error: Error | null = null

  publish(changes: IndexedChange[]): void {
    for (const sub of this.subscribers) {
      const mine = changes.filter((c) => inBounds(dataKey(c.key), sub.bounds))
      if (mine.length === 0) continue
      sub.queue.push(mine)
      sub.wake?.()
    }
  }

  end(): void {
    this.ended = true
    for (const sub of this.subscribers) sub.wake?.()
  }

  fail(err: Error): void {
    this.error = err
    this.end()
  }

  /** Bounds are over the index's data space (as produced by `dataRange`). */
  subscribe<T>(bounds: Bounds, map: (changes: IndexedChange[]) => T): AsyncIterable<T> {
    const sub: Subscriber = { bounds, queue: [], wake: null }
    const feed = this
    if (!this.ended) this.subscribers.add(sub)
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            const next = sub.queue.shift()
            if (next !== undefined) {
              yield map(next)
              continue
            }
            if (feed.error !== null) throw feed.error
            if (feed.ended) return
            await new Promise<void>((resolve) => (sub.wake = resolve))
            sub.wake = null
          }
        } finally {
          feed.subscribers.delete(sub)
        }
      }
    }
  }
}

