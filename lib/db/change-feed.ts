import type { KeyChange } from '../model/version.js'
import type { Change, Key } from '../types.js'
import { inBounds, type Bounds } from '../view/bounds.js'
import { dataKey } from '../view/keys.js'
import type { Encodings } from './encoding.js'

interface Subscriber {
  bounds: Bounds
  queue: KeyChange[][]
  wake: (() => void) | null
}

/** Index step changes as `watch()` yields them: each key with its winner after the step. */
export function publicChanges<K extends Key, V>(enc: Encodings<K, V>, changes: KeyChange[]): Array<Change<K, V>> {
  return changes.map((c) => {
    const winner = c.record?.heads[0]
    const deleted = winner === undefined || winner.deleted
    return { key: enc.decodeKey(c.key), value: deleted ? null : enc.decodeValue(winner.value!), deleted }
  })
}

/** Fans index steps out to `watch()` iterators; each sees only the keys of its range. */
export class ChangeFeed {
  private readonly subscribers = new Set<Subscriber>()
  private ended = false
  private error: Error | null = null

  publish(changes: KeyChange[]): void {
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
  subscribe<T>(bounds: Bounds, map: (changes: KeyChange[]) => T): AsyncIterable<T> {
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
