import b4a from 'b4a'
import c from 'compact-encoding'
import type Hypercore from 'hypercore'
import crypto from 'hypercore-crypto'
import { clockEncoding } from '../model/codecs.js'
import type { Clock } from '../model/clock.js'
import type { Succession } from '../model/evidence.js'
import { signAsWriter, verifyWriterSignature } from '../model/writer-signature.js'

/** Signed bytes are tagged, so a succession signature can never pass for anything else. */
const NAMESPACE = b4a.from('peerbee/succession/v1')

function signable(db: Uint8Array, from: Uint8Array, to: Uint8Array, clock: Clock): Uint8Array {
  return crypto.hash([NAMESPACE, db, from, to, c.encode(clockEncoding, clock)])
}

/**
 * A succession from the writer log `from` (this peer holds its key pair) to the writer key
 * `to`, in the db `db`.
 */
export function signSuccession(db: Uint8Array, from: Hypercore, to: Uint8Array, clock: Clock): Succession {
  return { db, from: from.key, to, clock, ...signAsWriter(from, signable(db, from.key, to, clock)) }
}

/**
 * Whether a succession is what it says, checked with its writer key alone: its manifest
 * hashes to `from`, and its one signer signed it for this db.
 */
export function checkSuccession(s: Succession, db: Uint8Array): boolean {
  if (!b4a.equals(s.db, db) || b4a.equals(s.from, s.to)) return false
  return verifyWriterSignature(s.from, s, signable(db, s.from, s.to, s.clock))
}
