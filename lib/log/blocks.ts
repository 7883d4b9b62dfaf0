import { bodyOf, framingOf, openSealed, sealedKeyId, type Framing } from '../crypt/block-cipher.js'
import { DecodeError, MAX_ENTRY_BYTES, decodeEntry, decodeHeader } from './codec.js'
import { isDataOp, isMembershipOp, type Header, type LogEntry } from './entry.js'

/**
 * Stored blocks as the log format reads them, in a db with or without encryption. The root
 * log's header tells which the db is: framed (in clear) in an encrypted db, plain otherwise.
 * Every rule here depends on the block and the db alone, so every peer decides alike:
 *
 * - a db without encryption holds plain blocks only;
 * - in an encrypted db, a header is plain or framed in clear; an entry of membership (and key)
 *   ops is framed in clear; any other entry is sealed. So a peer without the key still knows
 *   the writer set, and no value is ever in clear.
 */
export type DbMode = 'plain' | 'encrypted'

/** The keys a reader holds: by a key's id, the block key of a log. */
export interface BlockKeys {
  blockKey(id: Uint8Array, logKey: Uint8Array): Uint8Array | null
}

/**
 * A sealed entry this reader cannot open: under a key it does not hold (`locked`: it may get
 * it, the entry waits), or in a db it holds no key of at all (`opaque`: it never will).
 */
export interface SealedEntry {
  sealed: 'locked' | 'opaque'
}

export const LOCKED: SealedEntry = Object.freeze({ sealed: 'locked' })
export const OPAQUE: SealedEntry = Object.freeze({ sealed: 'opaque' })

/** Block 0, and how it is framed; throws DecodeError for anything that is not a header. */
export function readHeader(block: Uint8Array): { header: Header; framing: Framing } {
  const framing = framingOf(block)
  if (framing === null || framing === 'sealed') throw new DecodeError('bad-header')
  return { header: decodeHeader(framing === 'plain' ? block : bodyOf(block)), framing }
}

/** The mode a root log's block 0 gives its db. */
export function modeOf(rootHeader: Framing): DbMode {
  return rootHeader === 'plain' ? 'plain' : 'encrypted'
}

/** Whether a header framed so belongs in a db of `mode`. */
export function headerFits(framing: Framing, mode: DbMode): boolean {
  return mode === 'encrypted' ? framing !== 'sealed' : framing === 'plain'
}

/**
 * The entry a stored block `index` of the log `logKey` holds, in a db of `mode`, opened with
 * `keys` (null: this peer holds no key of the db). Throws DecodeError for a block that breaks
 * the format or the framing rules.
 */
export function readEntry(
  block: Uint8Array,
  index: number,
  logKey: Uint8Array,
  mode: DbMode,
  keys: BlockKeys | null
): LogEntry | SealedEntry {
  const framing = framingOf(block)
  if (framing === null) throw new DecodeError('bad-frame')
  if (mode === 'plain') {
    if (framing !== 'plain') throw new DecodeError('unexpected-frame')
    return decodeSized(block)
  }
  if (framing === 'plain') throw new DecodeError('not-encrypted')
  if (framing === 'clear') {
    const entry = decodeSized(bodyOf(block))
    if (entry.ops.length === 0 || entry.ops.some(isDataOp)) throw new DecodeError('clear-data')
    return entry
  }
  if (keys === null) return OPAQUE
  const blockKey = keys.blockKey(sealedKeyId(block), logKey)
  if (blockKey === null) return LOCKED
  const entry = decodeSized(openSealed(block, index, blockKey))
  if (entry.ops.some(isMembershipOp)) throw new DecodeError('sealed-membership')
  return entry
}

/** Sized before decoding: a remote block is not bounded by the local append limit. */
function decodeSized(body: Uint8Array): LogEntry {
  if (body.byteLength > MAX_ENTRY_BYTES) throw new DecodeError('entry-too-large')
  return decodeEntry(body)
}

/** The entries of clear blocks, for their key ops: null for a block that is not one. */
export function readClearEntry(block: Uint8Array): LogEntry | null {
  if (framingOf(block) !== 'clear') return null
  try {
    return decodeEntry(bodyOf(block))
  } catch (err) {
    if (err instanceof DecodeError) return null
    throw err
  }
}
