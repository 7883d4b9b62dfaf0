import c from 'compact-encoding'
import b4a from 'b4a'
import { clockEncoding, refsEncoding } from '../log/codec.js'
import type { CitingVersion, Version } from '../merge/heads.js'
import type { MembershipFact } from '../merge/membership.js'

/**
 * Codecs of the index records. The index is local and derived from the logs, but it is
 * versioned all the same so a format change can trigger a rebuild instead of a misread.
 */
export const INDEX_FORMAT = 1

type State = c.State

const EMPTY = b4a.alloc(0)

/**
 * The current state of a key: its heads, winner first, with what each cites (so retraction
 * can recompute heads). Stored for deleted winners too. Versions that stop being heads move
 * to the versions space, so a key written once costs one record.
 */
export interface KeyRecord {
  heads: CitingVersion[]
}

export interface Cursor {
  /** Blocks processed: indexed, skipped as invalid, or retracted. */
  indexed: number
  invalid: number
  /** The writer's header named another db: none of its entries is ever indexed. */
  foreign: boolean
}

const version = {
  preencode(state: State, v: Version) {
    c.fixed32.preencode(state, v.writer)
    c.uint.preencode(state, v.seq)
    clockEncoding.preencode(state, v.clock)
    c.bool.preencode(state, v.deleted)
    if (!v.deleted) c.buffer.preencode(state, v.value ?? EMPTY)
  },
  encode(state: State, v: Version) {
    c.fixed32.encode(state, v.writer)
    c.uint.encode(state, v.seq)
    clockEncoding.encode(state, v.clock)
    c.bool.encode(state, v.deleted)
    if (!v.deleted) c.buffer.encode(state, v.value ?? EMPTY)
  },
  decode(state: State): Version {
    const writer = c.fixed32.decode(state)
    const seq = c.uint.decode(state)
    const ck = clockEncoding.decode(state)
    const deleted = c.bool.decode(state)
    const value = deleted ? null : (c.buffer.decode(state) ?? EMPTY)
    return { writer, seq, clock: ck, deleted, value }
  }
}

function encodeWith<T>(enc: { preencode(s: State, v: T): void; encode(s: State, v: T): void }, v: T): Uint8Array {
  const state = c.state()
  c.uint.preencode(state, INDEX_FORMAT)
  enc.preencode(state, v)
  state.buffer = b4a.allocUnsafe(state.end)
  c.uint.encode(state, INDEX_FORMAT)
  enc.encode(state, v)
  return state.buffer
}

function decodeWith<T>(dec: { decode(s: State): T }, buf: Uint8Array): T {
  const state = c.state(0, buf.byteLength, buf)
  const format = c.uint.decode(state)
  if (format !== INDEX_FORMAT) throw new Error('Unknown index record format ' + format)
  return dec.decode(state)
}

const citingVersion = {
  preencode(s: State, v: CitingVersion) {
    version.preencode(s, v)
    refsEncoding.preencode(s, v.parents)
  },
  encode(s: State, v: CitingVersion) {
    version.encode(s, v)
    refsEncoding.encode(s, v.parents)
  },
  decode(s: State): CitingVersion {
    return { ...version.decode(s), parents: refsEncoding.decode(s) }
  }
}

const citingVersions = c.array(citingVersion)

const keyRecord = {
  preencode: (s: State, r: KeyRecord) => citingVersions.preencode(s, r.heads),
  encode: (s: State, r: KeyRecord) => citingVersions.encode(s, r.heads),
  decode: (s: State): KeyRecord => ({ heads: citingVersions.decode(s) })
}

const cursor = {
  preencode(s: State, v: Cursor) {
    c.uint.preencode(s, v.indexed)
    c.uint.preencode(s, v.invalid)
    c.bool.preencode(s, v.foreign)
  },
  encode(s: State, v: Cursor) {
    c.uint.encode(s, v.indexed)
    c.uint.encode(s, v.invalid)
    c.bool.encode(s, v.foreign)
  },
  decode(s: State): Cursor {
    return { indexed: c.uint.decode(s), invalid: c.uint.decode(s), foreign: c.bool.decode(s) }
  }
}

const factOp = {
  preencode(s: State, op: MembershipFact['ops'][number]) {
    c.uint.preencode(s, 0)
    c.string.preencode(s, op.key)
    c.uint.preencode(s, op.type === 'add-writer' ? (op.role === 'admin' ? 1 : 0) : op.length)
  },
  encode(s: State, op: MembershipFact['ops'][number]) {
    c.uint.encode(s, op.type === 'add-writer' ? 0 : 1)
    c.string.encode(s, op.key)
    c.uint.encode(s, op.type === 'add-writer' ? (op.role === 'admin' ? 1 : 0) : op.length)
  },
  decode(s: State): MembershipFact['ops'][number] {
    const type = c.uint.decode(s)
    const key = c.string.decode(s)
    const n = c.uint.decode(s)
    return type === 0 ? { type: 'add-writer', key, role: n === 1 ? 'admin' : 'writer' } : { type: 'remove-writer', key, length: n }
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
    return { writer: c.string.decode(s), seq: c.uint.decode(s), clock: clockEncoding.decode(s), ops: c.array(factOp).decode(s) }
  }
}

export const encodeKeyRecord = (r: KeyRecord) => encodeWith(keyRecord, r)
export const decodeKeyRecord = (b: Uint8Array) => decodeWith(keyRecord, b)
export const encodeVersionRecord = (v: CitingVersion) => encodeWith(citingVersion, v)
export const decodeVersionRecord = (b: Uint8Array) => decodeWith(citingVersion, b)
export const encodeCursor = (v: Cursor) => encodeWith(cursor, v)
export const decodeCursor = (b: Uint8Array) => decodeWith(cursor, b)
export const encodeFact = (f: MembershipFact) => encodeWith(fact, f)
export const decodeFact = (b: Uint8Array) => decodeWith(fact, b)
