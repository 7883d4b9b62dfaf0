import b4a from 'b4a'

/** Bytes before an entry's id: the id's length, then the record's length + 1 (0: no record). */
const HEADER = 8
/** An id length no id has (ids are bounded well below it): marks a dropped entry. */
const DROPPED = 0xffffffff
/**
 * Bytes of a segment's arena per slot of its table. Entries of small keys and records (40
 * bytes or so) would fill the table before the arena: past `MAX_LOAD` the segment counts as
 * full whatever room its arena has, so a probe always meets an empty slot.
 */
const BYTES_PER_SLOT = 32
const MAX_LOAD = 0.75
/** Bytes a slot takes: an Int32 offset into the arena. */
const SLOT_BYTES = 4

/**
 * One segment: an arena of entries written one after another, found through an
 * open-addressing table of offsets (linear probing). Nothing is ever removed one by one: a
 * rewritten id points to its new entry, and the whole segment is emptied at once.
 */
class Segment {
  readonly arena: Uint8Array
  private readonly view: DataView
  private readonly slots: Int32Array
  private readonly mask: number
  /** Bytes of the arena in use, dead entries included. */
  used = 0
  private entries = 0
  private readonly maxEntries: number

  constructor(arenaBytes: number, slotCount: number) {
    // Unpooled: the arena lives as long as the cache and is never shared with other buffers.
    this.arena = b4a.allocUnsafeSlow(arenaBytes)
    this.view = new DataView(this.arena.buffer, this.arena.byteOffset, this.arena.byteLength)
    this.slots = new Int32Array(slotCount)
    this.mask = slotCount - 1
    this.maxEntries = Math.floor(slotCount * MAX_LOAD)
  }

  /** The offset of `id`'s entry, or -1. */
  find(id: string, hash: number): number {
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = this.slots[slot]! - 1
      if (at < 0) return -1
      if (this.holds(at, id)) return at
    }
  }

  /** The record `find` located: a copy, or null for an entry that says the key has none. */
  read(at: number): Uint8Array | null {
    const idLength = this.view.getUint32(at)
    const length = this.view.getUint32(at + 4)
    if (length === 0) return null
    const start = at + HEADER + idLength
    // A copy: the arena is written over once this segment is emptied.
    return b4a.from(this.arena.subarray(start, start + length - 1))
  }

  /** Whether the entry fits (false: this segment is full). */
  write(id: string, hash: number, record: Uint8Array | null): boolean {
    const size = entrySize(id, record)
    if (this.used + size > this.arena.byteLength || this.entries >= this.maxEntries) return false
    const at = this.used
    this.view.setUint32(at, id.length)
    this.view.setUint32(at + 4, record === null ? 0 : record.byteLength + 1)
    b4a.write(this.arena, id, at + HEADER, id.length, 'latin1')
    if (record !== null) this.arena.set(record, at + HEADER + id.length)
    this.used += size
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const held = this.slots[slot]! - 1
      if (held < 0) {
        this.entries++
        this.slots[slot] = at + 1
        return true
      }
      if (this.holds(held, id)) {
        this.slots[slot] = at + 1
        return true
      }
    }
  }

  /** Makes `id`'s entry match no id: its slot stays taken, so probes for others go on past it. */
  drop(id: string, hash: number): void {
    const at = this.find(id, hash)
    if (at >= 0) this.view.setUint32(at, DROPPED)
  }

  clear(): void {
    // An empty table is left as it is: a fill would bring all its pages into memory.
    if (this.used === 0) return
    this.slots.fill(0)
    this.used = 0
    this.entries = 0
  }

  private holds(at: number, id: string): boolean {
    if (this.view.getUint32(at) !== id.length) return false
    const start = at + HEADER
    for (let i = 0; i < id.length; i++) if (this.arena[start + i] !== id.charCodeAt(i)) return false
    return true
  }
}

function entrySize(id: string, record: Uint8Array | null): number {
  return HEADER + id.length + (record?.byteLength ?? 0)
}

/** FNV-1a over the id's chars (latin1: one byte each). */
function hashOf(id: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/**
 * Segments the cache is cut into. A full newest segment makes the oldest one empty and the
 * newest: an eighth of what is held goes at a time, not half as with two generations, whose
 * turnover dropped every record not read since the last one (random gets over a million keys
 * fell from 80,000/s to 6,000/s at each turnover).
 */
const SEGMENTS = 8
/** The smallest segment worth a table: a cache smaller than eight of them holds nothing. */
const MIN_SEGMENT = 1024

/**
 * Encoded index records by `keyId` (a latin1 string), or null for a key known to have none,
 * held outside the JS heap in segments of fixed size: what it holds is what `maxBytes` says,
 * with no object per entry for the garbage collector to trace. New records go into the newest
 * segment; a record read from the older half is copied into it, so what is read stays.
 */
export class RecordCache {
  /** Newest first. */
  private readonly segments: Segment[] = []

  /** `maxBytes`: arenas and tables of all segments together; below `MIN_SEGMENT` a segment, none: nothing is cached. */
  constructor(maxBytes: number) {
    const size = Math.floor(maxBytes / SEGMENTS)
    if (size < MIN_SEGMENT) return
    // A power of two, so a hash is masked into the table rather than divided.
    const slots = 2 ** Math.floor(Math.log2(Math.max(16, size / (BYTES_PER_SLOT + SLOT_BYTES))))
    for (let i = 0; i < SEGMENTS; i++) this.segments.push(new Segment(size - slots * SLOT_BYTES, slots))
  }

  /** Bytes the segments hold, dead entries included. */
  get cost(): number {
    let used = 0
    for (const segment of this.segments) used += segment.used
    return used
  }

  /** The record of `id`: a copy, null if the key has none, undefined if not cached. */
  get(id: string): Uint8Array | null | undefined {
    const hash = hashOf(id)
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i]!
      const at = segment.find(id, hash)
      if (at < 0) continue
      const record = segment.read(at)
      // Promoted before its segment is emptied: a record in use stays.
      if (i >= this.segments.length / 2) this.put(id, hash, record)
      return record
    }
    return undefined
  }

  set(id: string, record: Uint8Array | null): void {
    this.put(id, hashOf(id), record)
  }

  clear(): void {
    for (const segment of this.segments) segment.clear()
  }

  private put(id: string, hash: number, record: Uint8Array | null): void {
    const newest = this.segments[0]
    if (newest === undefined) return
    if (entrySize(id, record) > newest.arena.byteLength) {
      // Too big for a segment: not kept, and no older record of it may answer.
      for (const segment of this.segments) segment.drop(id, hash)
      return
    }
    if (newest.write(id, hash, record)) return
    // Older records of this id in other segments are shadowed: the newest segment is read first.
    const emptied = this.segments.pop()!
    emptied.clear()
    this.segments.unshift(emptied)
    emptied.write(id, hash, record)
  }
}
