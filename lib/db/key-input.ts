import b4a from 'b4a'
import * as ids from 'hypercore-id-encoding'
import { PeerBeeError } from '../errors.js'

/** A 32-byte key given as bytes, hex or z-base32; null if it is none of them. */
function parseKey(key: unknown): Uint8Array | null {
  if (key instanceof Uint8Array) return key.byteLength === 32 ? b4a.from(key) : null
  if (typeof key !== 'string') return null
  try {
    return ids.decode(key)
  } catch {
    return null
  }
}

export function decodeDbKey(key: unknown): Uint8Array {
  const out = parseKey(key)
  if (out === null) throw PeerBeeError.INVALID_DB_KEY()
  return out
}

export function decodeWriterKey(key: unknown): Uint8Array {
  const out = parseKey(key)
  if (out === null) throw PeerBeeError.INVALID_ARGUMENT('Not a valid writer key (64 hex chars or 52 z-base32 chars)')
  return out
}

export function decodeEncryptionKey(key: unknown): Uint8Array {
  const out = parseKey(key)
  if (out === null)
    throw PeerBeeError.INVALID_ARGUMENT('Not a valid encryption key (64 hex chars or 52 z-base32 chars)')
  return out
}

export function decodePeerKey(key: unknown): Uint8Array {
  const out = parseKey(key)
  if (out === null) throw PeerBeeError.INVALID_ARGUMENT('Not a valid peer key (64 hex chars or 52 z-base32 chars)')
  return out
}
