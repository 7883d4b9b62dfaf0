import b4a from 'b4a'
import sodium from 'sodium-universal'
import { KEY_BYTES, keyIdOf } from './block-cipher.js'

/**
 * How db keys travel inside writer logs without a seeder reading them. A key is sealed to a
 * member with the member's writer log key pair (its Ed25519 signing key, converted to X25519:
 * the public half is in the log's manifest, so every peer that holds the log can seal to it,
 * and only the member opens it). Older keys travel encrypted under the newest one, so a peer
 * given the newest key reads everything written before it too.
 */

/** An X25519 key pair for opening sealed keys. */
export interface BoxKeyPair {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

/** Bytes of a key sealed to a member. */
const SHARE_BYTES = KEY_BYTES + sodium.crypto_box_SEALBYTES
/** Bytes of an older key encrypted under a newer one. */
const PAST_BYTES = KEY_BYTES + sodium.crypto_secretbox_MACBYTES

const NS_PAST = b4a.from('peerbee/past-key')

/** The X25519 public key a writer's Ed25519 signing key converts to. */
export function boxPublicKeyOf(signingKey: Uint8Array): Uint8Array {
  const out = b4a.alloc(sodium.crypto_box_PUBLICKEYBYTES)
  sodium.crypto_sign_ed25519_pk_to_curve25519(out, signingKey)
  return out
}

/** The X25519 key pair of a writer log's Ed25519 key pair. */
export function boxKeyPairOf(signing: { publicKey: Uint8Array; secretKey: Uint8Array }): BoxKeyPair {
  const secretKey = b4a.alloc(sodium.crypto_box_SECRETKEYBYTES)
  sodium.crypto_sign_ed25519_sk_to_curve25519(secretKey, signing.secretKey)
  return { publicKey: boxPublicKeyOf(signing.publicKey), secretKey }
}

/** `key` sealed to the holder of `publicKey` (X25519). */
export function sealKey(key: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const box = b4a.alloc(SHARE_BYTES)
  sodium.crypto_box_seal(box, key, publicKey)
  return box
}

/** The key in a box sealed to `pair`, or null when it is not for it (or damaged). */
export function openSealedKey(box: Uint8Array, pair: BoxKeyPair): Uint8Array | null {
  if (box.byteLength !== SHARE_BYTES) return null
  const key = b4a.alloc(KEY_BYTES)
  return sodium.crypto_box_seal_open(key, box, pair.publicKey, pair.secretKey) ? key : null
}

/** Each past key is encrypted once under a given newer key: its id makes the nonce unique. */
function pastNonce(id: Uint8Array): Uint8Array {
  const nonce = b4a.alloc(sodium.crypto_secretbox_NONCEBYTES)
  const hash = b4a.alloc(32)
  sodium.crypto_generichash_batch(hash, [NS_PAST, id])
  nonce.set(hash.subarray(0, nonce.byteLength))
  return nonce
}

/** An older key encrypted under a newer one. */
export function lockPast(past: Uint8Array, under: Uint8Array): { id: Uint8Array; box: Uint8Array } {
  const id = keyIdOf(past)
  const box = b4a.alloc(PAST_BYTES)
  sodium.crypto_secretbox_easy(box, past, pastNonce(id), under)
  return { id, box }
}

/** The older key a box holds, or null when `under` is not the key it was locked with. */
export function unlockPast(id: Uint8Array, box: Uint8Array, under: Uint8Array): Uint8Array | null {
  if (box.byteLength !== PAST_BYTES) return null
  const key = b4a.alloc(KEY_BYTES)
  if (!sodium.crypto_secretbox_open_easy(key, box, pastNonce(id), under)) return null
  return b4a.equals(keyIdOf(key), id) ? key : null
}
