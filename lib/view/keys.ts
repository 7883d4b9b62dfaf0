import b4a from 'b4a'
import type { ScanBounds } from './bounds.js'

/**
 * Layout of the local index Hyperbee. One byte names the space; user keys sort in byte order
 * inside the data space, so list() is a single range over it.
 */
const DATA = 0x01
const VERSIONS = 0x02
const CURSORS = 0x03
const FACTS = 0x04
const INVALID = 0x05
/** Peer-local settings of indexes of the first format; they live outside the index since. */
const LOCAL = 0x06
const META = 0x07
const CHANGES = 0x08

const DATA_START = b4a.from([DATA])
const DATA_END = b4a.from([DATA + 1])

export function dataKey(key: Uint8Array): Uint8Array {
  const out = b4a.allocUnsafe(key.byteLength + 1)
  out[0] = DATA
  out.set(key, 1)
  return out
}

export function userKeyOf(indexKey: Uint8Array): Uint8Array {
  return indexKey.subarray(1)
}

function seqBytes(seq: number): Uint8Array {
  const out = b4a.alloc(8)
  new DataView(out.buffer, out.byteOffset, 8).setBigUint64(0, BigInt(seq))
  return out
}

/**
 * A version that is no longer a head: by the entry that holds it (writer, seq), then its key.
 * A writer's entries are superseded roughly in the order it wrote them, so the versions a step
 * moves here land at the end of each writer's range, a few tree nodes a step. Keyed by user key
 * first, a step overwriting many keys inserted into the versions of each, and rewrote every
 * leaf of that range: a cost that grew with the history. A key's versions are found from its
 * heads instead, following parents (`IndexView.versionsOf`).
 */
export function versionKey(key: Uint8Array, writer: Uint8Array, seq: number): Uint8Array {
  return b4a.concat([b4a.from([VERSIONS]), writer, seqBytes(seq), key])
}

export function cursorKey(writer: Uint8Array): Uint8Array {
  return b4a.concat([b4a.from([CURSORS]), writer])
}

export const CURSORS_RANGE = { gt: b4a.from([CURSORS]), lt: b4a.from([CURSORS + 1]) }

export function factKey(writer: Uint8Array, seq: number): Uint8Array {
  return b4a.concat([b4a.from([FACTS]), writer, seqBytes(seq)])
}

export const FACTS_RANGE = { gt: b4a.from([FACTS]), lt: b4a.from([FACTS + 1]) }

export function invalidKey(writer: Uint8Array, seq: number): Uint8Array {
  return b4a.concat([b4a.from([INVALID]), writer, seqBytes(seq)])
}

export function invalidRange(writer: Uint8Array, from: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: invalidKey(writer, from), lt: b4a.concat([b4a.from([INVALID]), writer, b4a.alloc(8, 0xff)]) }
}

/** The seq an `invalidKey` names. */
export function invalidSeqOf(indexKey: Uint8Array): number {
  return Number(new DataView(indexKey.buffer, indexKey.byteOffset + 33, 8).getBigUint64(0))
}

export const INVALID_RANGE = { gt: b4a.from([INVALID]), lt: b4a.from([INVALID + 1]) }

/** A peer-local setting in an index of the first format (the db it holds, invites it issued). */
export function localKey(name: string): Uint8Array {
  return b4a.concat([b4a.from([LOCAL]), b4a.from(name)])
}

export const LOCAL_RANGE = { gt: b4a.from([LOCAL]), lt: b4a.from([LOCAL + 1]) }

/**
 * One chunk of the keys an index step changed: step (u64 BE, from 1, counting the steps that
 * changed keys), chunk (u32 BE). Keys sort in step order, so the change log is one range.
 */
export function changeKey(step: number, chunk: number): Uint8Array {
  const out = b4a.alloc(13)
  const view = new DataView(out.buffer, out.byteOffset, 13)
  out[0] = CHANGES
  view.setBigUint64(1, BigInt(step))
  view.setUint32(9, chunk)
  return out
}

/** The step and chunk a `changeKey` names. */
export function changePositionOf(indexKey: Uint8Array): { step: number; chunk: number } {
  const view = new DataView(indexKey.buffer, indexKey.byteOffset, 13)
  return { step: Number(view.getBigUint64(1)), chunk: view.getUint32(9) }
}

export const CHANGES_RANGE = { gt: b4a.from([CHANGES]), lt: b4a.from([CHANGES + 1]) }

/** The index's own header: its format. */
export const FORMAT_KEY = b4a.from([META, 0x00])

/**
 * Which change log the index holds: the discovery key of the index core the log began in.
 * Only a compacted index has it (its log is its predecessor's, carried over); any other index
 * began its own log, and its core's discovery key names it.
 */
export const LOG_ID_KEY = b4a.from([META, 0x01])

export const DATA_RANGE = { gte: DATA_START, lt: DATA_END }

/** The spaces besides data that a rebuild wipes: everything else derived from data entries. */
export const DERIVED_RANGES = [{ gt: b4a.from([VERSIONS]), lt: b4a.from([VERSIONS + 1]) }, INVALID_RANGE]

/** A range over user keys (encoded), as `list()` and `watch()` take it. */
export interface KeyRange {
  gt?: Uint8Array
  gte?: Uint8Array
  lt?: Uint8Array
  lte?: Uint8Array
  prefix?: Uint8Array
  reverse?: boolean
}

/** The smallest byte string above every string that starts with `prefix`, or null if none. */
function prefixEnd(prefix: Uint8Array): Uint8Array | null {
  let end = prefix.byteLength
  while (end > 0 && prefix[end - 1] === 0xff) end--
  if (end === 0) return null
  const out = b4a.from(prefix.subarray(0, end))
  out[end - 1]!++
  return out
}

/**
 * Translates a user range (encoded keys) into bounds over the data space: exactly one lower
 * and one upper bound, the tightest of those the range implies.
 */
export function dataRange(range: KeyRange): ScanBounds {
  const out: ScanBounds = { reverse: range.reverse === true }
  const lower: Array<{ key: Uint8Array; inclusive: boolean }> = [{ key: DATA_START, inclusive: false }]
  const upper: Array<{ key: Uint8Array; inclusive: boolean }> = [{ key: DATA_END, inclusive: false }]
  if (range.gt) lower.push({ key: dataKey(range.gt), inclusive: false })
  if (range.gte) lower.push({ key: dataKey(range.gte), inclusive: true })
  if (range.lt) upper.push({ key: dataKey(range.lt), inclusive: false })
  if (range.lte) upper.push({ key: dataKey(range.lte), inclusive: true })
  if (range.prefix) {
    lower.push({ key: dataKey(range.prefix), inclusive: true })
    const end = prefixEnd(range.prefix)
    if (end) upper.push({ key: dataKey(end), inclusive: false })
  }
  // The tightest bound wins; at equal keys the exclusive one is tighter.
  const lo = lower.reduce((a, b) => {
    const cmp = b4a.compare(a.key, b.key)
    return cmp > 0 || (cmp === 0 && !a.inclusive) ? a : b
  })
  const hi = upper.reduce((a, b) => {
    const cmp = b4a.compare(a.key, b.key)
    return cmp < 0 || (cmp === 0 && !a.inclusive) ? a : b
  })
  if (lo.inclusive) out.gte = lo.key
  else out.gt = lo.key
  if (hi.inclusive) out.lte = hi.key
  else out.lt = hi.key
  return out
}
