import type { Record, Row } from './systems/types.js'

/** `key-%08d`: fixed width, so key order is numeric order. */
export function keyOf(i: number): string {
  return 'key-' + String(i).padStart(8, '0')
}

/** About 100 bytes as JSON; `writer` makes concurrent writes of a shared key differ. */
export function recordOf(i: number, writer = 0): Record {
  return {
    id: i,
    writer,
    name: 'user-' + i,
    email: 'user' + i + '@example.com',
    tags: ['a', 'b'],
    score: i % 997
  }
}

export function rowsOf(start: number, count: number, writer = 0): Row[] {
  const rows: Row[] = []
  for (let i = start; i < start + count; i++) rows.push({ key: keyOf(i), value: recordOf(i, writer) })
  return rows
}

/** A fixed-seed generator, so every system reads the same random keys in the same order. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
