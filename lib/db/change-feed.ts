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

/** A change as `watch()` and `changes()` yield it: the key with its value after the step (null: deleted). */
export function publicChange<K extends Key, V>(
  enc: Encodings<K, V>,
  key: Uint8Array,
  value: Uint8Array | null
): Change<K, V> {
  return { key: enc.decodeKey(key), value: value === null ? null : enc.decodeValue(value), deleted: value === null }
}

/** Index step changes as `watch()` yields them: each key with its winner after the step. */
export function publicChanges<K extends Key, V>(enc: Encodings<K, V>, changes: KeyChange[]): Array<Change<K, V>> {
  return changes.map((c) => {
    const winner = c.record?.heads[0]
    return publicChange(enc, c.key, winner === undefined || winner.deleted ? null : winner.value!)
  })
}

/**
 * Fans index steps out to `watch()` iterators; each sees only the keys of its range. Readers
 * of the change log wait here for the next step (`next()`).
 */
export class ChangeFeed {
  private readonly subscribers = new Set<Subscriber>()
  /** Readers of the change log waiting for the next step. */
  private readers: Array<() => void> = []
  ended = false
  error: Error | null = null

  /**
   * Resolves at the next step that changed keys, or when the index in use is replaced, or the
   * feed ends: the change log may have grown, or the reader's index gone.
   */
  next(): Promise<void> {
    if (this.ended) return Promise.resolve()
    return new Promise((resolve) => this.readers.push(resolve))
  }

  /** The index in use is being replaced (a rebuild): readers of its change log must look. */
  interrupt(): void {
    this.wakeReaders()
  }

  private wakeReaders(): void {
    const readers = this.readers
    this.readers = []
    for (const wake of readers) wake()
  }

  publish(changes: KeyChange[]): void {
    this.wakeReaders()
    for (const sub of this.subscribers) {
      const mine = changes.filter((c) => inBounds(dataKey(c.key), sub.bounds))
      if (mine.length === 0) continue
      sub.queue.push(mine)
      sub.wake?.()
    }
  }

  end(): void {
    this.ended = true
    this.wakeReaders()
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
