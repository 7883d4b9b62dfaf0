import b4a from 'b4a'
import c from 'compact-encoding'
import sodium from 'sodium-universal'

/**
 * How each block of an encrypted db's writer log is stored. Hypercore reserves `FRAME_BYTES`
 * in front of every block of a core with an encryption provider (its padding); peerbee's frame
 * fills them, and the Merkle tree and the writer's signature cover frame and body as stored, so
 * a peer without the key verifies and serves them.
 *
 *   byte 0      FRAME_CLEAR: the body is in clear (a header, or membership and key ops)
 *               FRAME_SEALED: the body is encrypted
 *   bytes 1-8   sealed: the id of the db key it is encrypted under (zero when clear)
 *   bytes 9-15  sealed: the salt of the session that wrote it (zero when clear)
 *
 * A sealed body is XSalsa20 under a key derived from the db key and the log's key, with the
 * nonce (block index, key id, salt). A log never writes an index twice in one history, and
 * each session that appends draws a random salt: so a nonce stays unique for a log and key
 * even when a copy of a storage writes a second history at the same index. Integrity comes
 * from the tree, as in Hypercore.
 * The frame bytes cannot start a plain block (whose first byte is its format version, 1), so a
 * block tells by itself whether it is framed.
 */
export const FRAME_BYTES = 16
export const FRAME_CLEAR = 0xe0
export const FRAME_SEALED = 0xe1
/** Bytes of a db encryption key. */
export const KEY_BYTES = 32
/** Bytes of a key's id, as frames and key ops name it. */
export const KEY_ID_BYTES = 8

const SALT_START = 1 + KEY_ID_BYTES
const SALT_BYTES = FRAME_BYTES - SALT_START
const NS_KEY_ID = b4a.from('peerbee/key-id')
const NS_BLOCK = b4a.from('peerbee/block')

/** How a stored block is framed: plain (a db without encryption), clear or sealed. */
export type Framing = 'plain' | 'clear' | 'sealed'

/** A fresh random db encryption key. */
export function newKey(): Uint8Array {
  const key = b4a.alloc(KEY_BYTES)
  sodium.randombytes_buf(key)
  return key
}

/** The public name of a key: frames and key ops carry it, never the key. */
export function keyIdOf(key: Uint8Array): Uint8Array {
  const hash = b4a.alloc(32)
  sodium.crypto_generichash_batch(hash, [NS_KEY_ID, key])
  return hash.subarray(0, KEY_ID_BYTES)
}

/** The key that encrypts the blocks of one writer log under one db key. */
export function blockKeyOf(key: Uint8Array, logKey: Uint8Array): Uint8Array {
  const out = b4a.alloc(sodium.crypto_stream_KEYBYTES)
  sodium.crypto_generichash_batch(out, [NS_BLOCK, logKey], key)
  return out
}

export function framingOf(block: Uint8Array): Framing | null {
  if (block.byteLength === 0) return null
  if (block[0] === FRAME_CLEAR) return block.byteLength >= FRAME_BYTES ? 'clear' : null
  if (block[0] === FRAME_SEALED) return block.byteLength >= FRAME_BYTES ? 'sealed' : null
  return 'plain'
}

/** The id of the key a sealed block is encrypted under. */
export function sealedKeyId(block: Uint8Array): Uint8Array {
  return block.subarray(1, 1 + KEY_ID_BYTES)
}

/** The body of a framed block (no copy). */
export function bodyOf(block: Uint8Array): Uint8Array {
  return block.subarray(FRAME_BYTES)
}

// One nonce buffer: every use is synchronous.
const nonce = b4a.alloc(sodium.crypto_stream_NONCEBYTES)

function nonceOf(index: number, block: Uint8Array): Uint8Array {
  nonce.fill(0)
  c.uint64.encode({ start: 0, end: 8, buffer: nonce }, index)
  nonce.set(block.subarray(1, FRAME_BYTES), 8)
  return nonce
}

/** Frames a block (its first `FRAME_BYTES` free) whose body stays in clear. */
export function frameClear(block: Uint8Array): void {
  block.fill(0, 0, FRAME_BYTES)
  block[0] = FRAME_CLEAR
}

/** A salt for the blocks one session appends (drawing one per block costs more than the cipher). */
export function newSalt(): Uint8Array {
  const salt = b4a.alloc(SALT_BYTES)
  sodium.randombytes_buf(salt)
  return salt
}

/** Frames a block (its first `FRAME_BYTES` free) and encrypts its body in place. */
export function frameSealed(
  block: Uint8Array,
  index: number,
  keyId: Uint8Array,
  blockKey: Uint8Array,
  salt: Uint8Array
): void {
  block[0] = FRAME_SEALED
  block.set(keyId, 1)
  block.set(salt, SALT_START)
  const body = bodyOf(block)
  xor(body, body, block, index, blockKey)
}

/** The decrypted body of a sealed block, in a buffer of its own (stored blocks may be shared). */
export function openSealed(block: Uint8Array, index: number, blockKey: Uint8Array): Uint8Array {
  const body = bodyOf(block)
  const out = b4a.allocUnsafe(body.byteLength)
  xor(out, body, block, index, blockKey)
  return out
}

/** Decrypts a sealed block's body in place (what Hypercore's `decrypt` asks of a provider). */
export function openSealedInPlace(block: Uint8Array, index: number, blockKey: Uint8Array): void {
  const body = bodyOf(block)
  xor(body, body, block, index, blockKey)
}

/** The stream cipher is its own inverse. `frame`: the block whose frame holds the nonce's parts. */
function xor(out: Uint8Array, body: Uint8Array, frame: Uint8Array, index: number, blockKey: Uint8Array): void {
  sodium.crypto_stream_xor(out, body, nonceOf(index, frame), blockKey)
}
