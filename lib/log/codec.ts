import c from 'compact-encoding'
import b4a from 'b4a'
import { KEY_ID_BYTES } from '../crypt/block-cipher.js'
import { MAX_CLOCK_COUNTER, MAX_CLOCK_WALL } from '../model/clock.js'
import { bytesEncoding, clockEncoding, recordEncoding, refsEncoding } from '../model/codecs.js'
import type { KeyShare, PastKey } from '../model/keys.js'
import { roleCode, roleOf, type Role } from '../model/membership.js'
import type { Header, LogEntry, Op } from './entry.js'

/**
 * The wire format of writer logs. Every block starts with a format version, then a kind.
 * Decoding is strict (unknown version, kind or op type, or trailing bytes: rejected), because
 * blocks come from other peers and a lenient decoder is how two peers come to disagree.
 */
export const FORMAT_VERSION = 1
/** Largest block a writer may append: Hypercore refuses larger ones (15 MiB), keep a margin. */
export const MAX_ENTRY_BYTES = 14 * 1024 * 1024
const KIND_HEADER = 0
const KIND_ENTRY = 1
const PROTOCOL = 'peerbee'

const OP_PUT = 0
const OP_DEL = 1
const OP_ADD_WRITER = 2
const OP_REMOVE_WRITER = 3
const OP_KEYS = 4
/** Op types below this one are data ops; from it on, membership (and key) ops. */
const FIRST_MEMBERSHIP_OP = OP_ADD_WRITER

/** Why a block was refused; stable strings, reported in `'invalid'` events. */
export class DecodeError extends Error {
  readonly reason: string
  constructor(reason: string) {
    super(reason)
    this.reason = reason
  }
}

type State = c.State

/** An empty buffer and a missing one encode alike; values may legitimately be empty. */
function decodeBytes(state: State): Uint8Array {
  return c.buffer.decode(state) ?? b4a.alloc(0)
}

function decodeRole(code: number): Role {
  const role = roleOf(code)
  if (role === null) throw new DecodeError('unknown-role')
  return role
}

const keyIdEncoding = c.fixed(KEY_ID_BYTES)

const shareEncoding = recordEncoding<KeyShare>({ writer: c.fixed32, box: bytesEncoding })
const pastEncoding = recordEncoding<PastKey>({ id: keyIdEncoding, box: bytesEncoding })
const sharesEncoding = c.array(shareEncoding)
const pastsEncoding = c.array(pastEncoding)

const op = {
  preencode(state: State, o: Op) {
    c.uint.preencode(state, 0)
    switch (o.type) {
      case 'put':
        c.buffer.preencode(state, o.key)
        c.buffer.preencode(state, o.value)
        refsEncoding.preencode(state, o.parents)
        break
      case 'del':
        c.buffer.preencode(state, o.key)
        refsEncoding.preencode(state, o.parents)
        break
      case 'add-writer':
        c.fixed32.preencode(state, o.key)
        c.uint.preencode(state, roleCode(o.role))
        break
      case 'remove-writer':
        c.fixed32.preencode(state, o.key)
        c.uint.preencode(state, o.length)
        break
      case 'keys':
        keyIdEncoding.preencode(state, o.id)
        sharesEncoding.preencode(state, o.shares)
        pastsEncoding.preencode(state, o.past)
        break
    }
  },
  encode(state: State, o: Op) {
    switch (o.type) {
      case 'put':
        c.uint.encode(state, OP_PUT)
        c.buffer.encode(state, o.key)
        c.buffer.encode(state, o.value)
        refsEncoding.encode(state, o.parents)
        break
      case 'del':
        c.uint.encode(state, OP_DEL)
        c.buffer.encode(state, o.key)
        refsEncoding.encode(state, o.parents)
        break
      case 'add-writer':
        c.uint.encode(state, OP_ADD_WRITER)
        c.fixed32.encode(state, o.key)
        c.uint.encode(state, roleCode(o.role))
        break
      case 'remove-writer':
        c.uint.encode(state, OP_REMOVE_WRITER)
        c.fixed32.encode(state, o.key)
        c.uint.encode(state, o.length)
        break
      case 'keys':
        c.uint.encode(state, OP_KEYS)
        keyIdEncoding.encode(state, o.id)
        sharesEncoding.encode(state, o.shares)
        pastsEncoding.encode(state, o.past)
        break
    }
  },
  decode(state: State): Op {
    const type = c.uint.decode(state)
    switch (type) {
      case OP_PUT:
        return { type: 'put', key: decodeBytes(state), value: decodeBytes(state), parents: refsEncoding.decode(state) }
      case OP_DEL:
        return { type: 'del', key: decodeBytes(state), parents: refsEncoding.decode(state) }
      case OP_ADD_WRITER:
        return { type: 'add-writer', key: c.fixed32.decode(state), role: decodeRole(c.uint.decode(state)) }
      case OP_REMOVE_WRITER:
        return { type: 'remove-writer', key: c.fixed32.decode(state), length: c.uint.decode(state) }
      case OP_KEYS:
        return {
          type: 'keys',
          id: keyIdEncoding.decode(state),
          shares: sharesEncoding.decode(state),
          past: pastsEncoding.decode(state)
        }
      default:
        throw new DecodeError('unknown-op')
    }
  }
}
const ops = c.array(op)

export function encodeHeader(header: Header): Uint8Array {
  const state = c.state()
  c.uint.preencode(state, FORMAT_VERSION)
  c.uint.preencode(state, KIND_HEADER)
  c.string.preencode(state, header.protocol)
  c.fixed32.preencode(state, header.db)
  state.buffer = b4a.allocUnsafe(state.end)
  c.uint.encode(state, FORMAT_VERSION)
  c.uint.encode(state, KIND_HEADER)
  c.string.encode(state, header.protocol)
  c.fixed32.encode(state, header.db)
  return state.buffer
}

export function encodeEntry(entry: LogEntry): Uint8Array {
  const state = c.state()
  c.uint.preencode(state, FORMAT_VERSION)
  c.uint.preencode(state, KIND_ENTRY)
  clockEncoding.preencode(state, entry.clock)
  ops.preencode(state, entry.ops)
  state.buffer = b4a.allocUnsafe(state.end)
  c.uint.encode(state, FORMAT_VERSION)
  c.uint.encode(state, KIND_ENTRY)
  clockEncoding.encode(state, entry.clock)
  ops.encode(state, entry.ops)
  return state.buffer
}

function decodeBlock<T>(block: Uint8Array, kind: number, body: (state: State) => T): T {
  const state = c.state(0, block.byteLength, block)
  let value: T
  try {
    const version = c.uint.decode(state)
    if (version !== FORMAT_VERSION) throw new DecodeError('unknown-version')
    const k = c.uint.decode(state)
    if (k !== kind) throw new DecodeError(kind === KIND_HEADER ? 'not-a-header' : 'not-an-entry')
    value = body(state)
  } catch (err) {
    if (err instanceof DecodeError) throw err
    throw new DecodeError('undecodable')
  }
  if (state.start !== state.end) throw new DecodeError('trailing-bytes')
  return value
}

/** Decodes block 0; throws DecodeError for anything that is not a peerbee header. */
export function decodeHeader(block: Uint8Array): Header {
  return decodeBlock(block, KIND_HEADER, (state) => {
    const protocol = c.string.decode(state)
    if (protocol !== PROTOCOL) throw new DecodeError('not-peerbee')
    return { protocol: PROTOCOL, db: c.fixed32.decode(state) }
  })
}

/** Decodes an entry block; throws DecodeError for anything malformed. */
export function decodeEntry(block: Uint8Array): LogEntry {
  return decodeBlock(block, KIND_ENTRY, (state) => {
    const wall = c.uint.decode(state)
    const counter = c.uint.decode(state)
    if (counter > MAX_CLOCK_COUNTER || wall > MAX_CLOCK_WALL) throw new DecodeError('bad-clock')
    return { clock: { wall, counter }, ops: ops.decode(state) }
  })
}

/**
 * Whether a block stays in clear in an encrypted db: a header, or an entry whose ops are
 * membership (and key) ops. The write path never mixes them with data ops in one entry, so the
 * first op tells; readers check every op (`checkFraming`). Read from the first bytes only:
 * Hypercore asks this of every block it appends.
 */
export function isClearBody(block: Uint8Array): boolean {
  const state = c.state(0, block.byteLength, block)
  try {
    c.uint.decode(state)
    if (c.uint.decode(state) === KIND_HEADER) return true
    clockEncoding.decode(state)
    return c.uint.decode(state) > 0 && c.uint.decode(state) >= FIRST_MEMBERSHIP_OP
  } catch {
    return false
  }
}
