import c from 'compact-encoding'
import b4a from 'b4a'
import { PeerBeeError } from '../errors.js'
import { clockEncoding, refsEncoding } from '../model/codecs.js'
import type { WriterCursor } from '../model/cursor.js'
import { roleCode, roleOf, type MembershipChange, type MembershipFact } from '../model/membership.js'
import { refId, type KeyRecord, type KeyVersion, type LoggedChange, type Ref } from '../model/version.js'

/**
 * Codecs of the index records. The index is local and derived from the logs: its header
 * names the index's format (`INDEX_FORMAT`), and an index of another format is rebuilt from
 * the logs, never read. Every record also starts with the version of its own encoding, so
 * one that is not what this code writes is refused (`STORAGE_CORRUPT`) instead of misread.
 * Format 1 had no header and kept peer-local settings inside; 2 has a header and keeps them
 * outside, where a rebuild cannot lose them; 3 adds the change log, which only an index built
 * with it from the first step holds whole; 4 keeps the same records in a Hyperbee2 tree
 * (compressed nodes, values inline) instead of Hyperbee 2's block per key; 5 keys the versions
 * space by writer and seq before the user key (`keys.versionKey`).
 */
export const INDEX_FORMAT = 5
const RECORD_VERSION = 1

type State = c.State

const EMPTY = b4a.alloc(0)

/**
 * A version as the index stores it. A key's heads live in its record; versions that stop
 * being heads move to the versions space, so a key written once costs one record.
 */
const version = {
  preencode(state: State, v: KeyVersion) {
    c.fixed32.preencode(state, v.writer)
    c.uint.preencode(state, v.seq)
    clockEncoding.preencode(state, v.clock)
    c.bool.preencode(state, v.deleted)
    if (!v.deleted) c.buffer.preencode(state, v.value ?? EMPTY)
    refsEncoding.preencode(state, v.parents)
  },
  encode(state: State, v: KeyVersion) {
    c.fixed32.encode(state, v.writer)
    c.uint.encode(state, v.seq)
    clockEncoding.encode(state, v.clock)
    c.bool.encode(state, v.deleted)
    if (!v.deleted) c.buffer.encode(state, v.value ?? EMPTY)
    refsEncoding.encode(state, v.parents)
  },
  decode(state: State): KeyVersion {
    const writer = c.fixed32.decode(state)
    const seq = c.uint.decode(state)
    const ck = clockEncoding.decode(state)
    const deleted = c.bool.decode(state)
    const value = deleted ? null : (c.buffer.decode(state) ?? EMPTY)
    return { writer, seq, clock: ck, deleted, value, parents: refsEncoding.decode(state) }
  }
}

function encodeWith<T>(enc: { preencode(s: State, v: T): void; encode(s: State, v: T): void }, v: T): Uint8Array {
  const state = c.state()
  c.uint.preencode(state, RECORD_VERSION)
  enc.preencode(state, v)
  state.buffer = b4a.allocUnsafe(state.end)
  c.uint.encode(state, RECORD_VERSION)
  enc.encode(state, v)
  return state.buffer
}

function decodeWith<T>(dec: { decode(s: State): T }, buf: Uint8Array, what: string): T {
  const state = c.state(0, buf.byteLength, buf)
  let format: number
  try {
    format = c.uint.decode(state)
    if (format === RECORD_VERSION) return dec.decode(state)
  } catch (err) {
    throw PeerBeeError.STORAGE_CORRUPT(`An index ${what} record cannot be decoded`, err)
  }
  throw PeerBeeError.STORAGE_CORRUPT(
    `An index ${what} record is in encoding ${format}, this peerbee reads ${RECORD_VERSION}`
  )
}

const versions = c.array(version)

const keyRecord = {
  preencode: (s: State, r: KeyRecord) => versions.preencode(s, r.heads),
  encode: (s: State, r: KeyRecord) => versions.encode(s, r.heads),
  decode: (s: State): KeyRecord => ({ heads: versions.decode(s) })
}

const cursor = {
  preencode(s: State, v: WriterCursor) {
    c.uint.preencode(s, v.indexed)
    c.uint.preencode(s, v.invalid)
    c.bool.preencode(s, v.foreign)
  },
  encode(s: State, v: WriterCursor) {
    c.uint.encode(s, v.indexed)
    c.uint.encode(s, v.invalid)
    c.bool.encode(s, v.foreign)
  },
  decode(s: State): WriterCursor {
    return { indexed: c.uint.decode(s), invalid: c.uint.decode(s), foreign: c.bool.decode(s) }
  }
}

const FACT_ADD = 0
const FACT_REMOVE = 1
const FACT_KEYS = 2

/** Each change as its type, a name (writer id or key id) and a number (role, cut, or 0). */
function factParts(op: MembershipChange): [number, string, number] {
  switch (op.type) {
    case 'add-writer':
      return [FACT_ADD, op.key, roleCode(op.role)]
    case 'remove-writer':
      return [FACT_REMOVE, op.key, op.length]
    case 'keys':
      return [FACT_KEYS, op.id, 0]
  }
}

const factOp = {
  preencode(s: State, op: MembershipChange) {
    const [type, name, n] = factParts(op)
    c.uint.preencode(s, type)
    c.string.preencode(s, name)
    c.uint.preencode(s, n)
  },
  encode(s: State, op: MembershipChange) {
    const [type, name, n] = factParts(op)
    c.uint.encode(s, type)
    c.string.encode(s, name)
    c.uint.encode(s, n)
  },
  decode(s: State): MembershipChange {
    const type = c.uint.decode(s)
    const key = c.string.decode(s)
    const n = c.uint.decode(s)
    if (type === FACT_REMOVE) return { type: 'remove-writer', key, length: n }
    if (type === FACT_KEYS) return { type: 'keys', id: key }
    const role = roleOf(n)
    if (type !== FACT_ADD || role === null) throw new Error('unknown membership change')
    return { type: 'add-writer', key, role }
  }
}

const fact = {
  preencode(s: State, f: MembershipFact) {
    c.string.preencode(s, f.writer)
    c.uint.preencode(s, f.seq)
    clockEncoding.preencode(s, f.clock)
    c.array(factOp).preencode(s, f.ops)
  },
  encode(s: State, f: MembershipFact) {
    c.string.encode(s, f.writer)
    c.uint.encode(s, f.seq)
    clockEncoding.encode(s, f.clock)
    c.array(factOp).encode(s, f.ops)
  },
  decode(s: State): MembershipFact {
    return {
      writer: c.string.decode(s),
      seq: c.uint.decode(s),
      clock: clockEncoding.decode(s),
      ops: c.array(factOp).decode(s)
    }
  }
}

/**
 * A chunk of the change log: the entries whose puts won, once each, then each key with the
 * number of its winner in that list (0: the key has no value). A step's keys mostly come from
 * a few entries, so a change costs its key and a byte or two.
 */
interface ChangeChunk {
  winners: Ref[]
  changes: Array<{ key: Uint8Array; winner: number }>
}

const refEncoding = {
  preencode(s: State, r: Ref) {
    c.fixed32.preencode(s, r.writer)
    c.uint.preencode(s, r.seq)
  },
  encode(s: State, r: Ref) {
    c.fixed32.encode(s, r.writer)
    c.uint.encode(s, r.seq)
  },
  decode: (s: State): Ref => ({ writer: c.fixed32.decode(s), seq: c.uint.decode(s) })
}

const chunkChange = {
  preencode(s: State, v: { key: Uint8Array; winner: number }) {
    c.buffer.preencode(s, v.key)
    c.uint.preencode(s, v.winner)
  },
  encode(s: State, v: { key: Uint8Array; winner: number }) {
    c.buffer.encode(s, v.key)
    c.uint.encode(s, v.winner)
  },
  decode: (s: State) => ({ key: c.buffer.decode(s) ?? EMPTY, winner: c.uint.decode(s) })
}

const changeChunk = {
  preencode(s: State, v: ChangeChunk) {
    c.array(refEncoding).preencode(s, v.winners)
    c.array(chunkChange).preencode(s, v.changes)
  },
  encode(s: State, v: ChangeChunk) {
    c.array(refEncoding).encode(s, v.winners)
    c.array(chunkChange).encode(s, v.changes)
  },
  decode: (s: State): ChangeChunk => ({
    winners: c.array(refEncoding).decode(s),
    changes: c.array(chunkChange).decode(s)
  })
}

function toChunk(logged: LoggedChange[]): ChangeChunk {
  const numbers = new Map<string, number>()
  const winners: Ref[] = []
  const changes = logged.map(({ key, winner }) => {
    if (winner === null) return { key, winner: 0 }
    const id = refId(winner)
    let n = numbers.get(id)
    if (n === undefined) {
      winners.push(winner)
      n = winners.length
      numbers.set(id, n)
    }
    return { key, winner: n }
  })
  return { winners, changes }
}

function fromChunk(chunk: ChangeChunk, what: string): LoggedChange[] {
  return chunk.changes.map(({ key, winner }) => {
    if (winner === 0) return { key, winner: null }
    const ref = chunk.winners[winner - 1]
    if (ref === undefined) throw PeerBeeError.STORAGE_CORRUPT(`An index ${what} record names no such entry`)
    return { key, winner: ref }
  })
}

export const encodeKeyRecord = (r: KeyRecord) => encodeWith(keyRecord, r)
export const decodeKeyRecord = (b: Uint8Array) => decodeWith(keyRecord, b, 'key')
export const encodeVersionRecord = (v: KeyVersion) => encodeWith(version, v)
export const decodeVersionRecord = (b: Uint8Array) => decodeWith(version, b, 'version')
export const encodeCursor = (v: WriterCursor) => encodeWith(cursor, v)
export const decodeCursor = (b: Uint8Array) => decodeWith(cursor, b, 'cursor')
export const encodeFact = (f: MembershipFact) => encodeWith(fact, f)
export const encodeFormat = (format: number) => encodeWith(c.uint, format)
export const decodeFormat = (b: Uint8Array) => decodeWith(c.uint, b, 'header')
export const decodeFact = (b: Uint8Array) => decodeWith(fact, b, 'membership')
export const encodeChangeChunk = (changes: LoggedChange[]) => encodeWith(changeChunk, toChunk(changes))
export const decodeChangeChunk = (b: Uint8Array) => fromChunk(decodeWith(changeChunk, b, 'change'), 'change')
