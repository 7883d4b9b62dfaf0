import { createHmac, timingSafeEqual } from 'node:crypto'
import b4a from 'b4a'
import type Protomux from 'protomux'
import { PeerBeeError } from '../errors.js'
import { roleCode, type Role } from '../model/membership.js'
import { decodeRole } from './invite.js'
import { decodeBindings, encodeBindings, type PeerBinding } from './peer-binding.js'

/**
 * The pairing protocol, one Protomux channel per db (id: the discovery key) on a
 * connection to the invite's issuer:
 *
 *   candidate -> REQUEST {invite id, proof}   proof = HMAC(secret, handshake hash)
 *   issuer    -> ACCEPT  {role, db key, encryption key of an encrypted db}   or REFUSED {reason}
 *   candidate -> WRITER  {writer key, binding?} (it may only know its writer key once it knows the db;
 *                                             the binding of its swarm key, so an issuer that admits
 *                                             only members' peers lets it in once it is one)
 *   issuer    -> ADDED   {role}               or REFUSED {reason}
 *
 * The proof is bound to this Noise session, so it cannot be replayed elsewhere, and
 * the secret never travels. The candidate talks only to the connection whose
 * authenticated remote key is the issuer, so the replies need no signature. The encryption key
 * travels only inside this Noise session, to a candidate that proved the invite: the invite
 * text itself holds no key.
 */
export const PAIRING_PROTOCOL = 'peerbee/pairing'

export type Refusal = 'invalid' | 'expired' | 'used' | 'failed'

export type Frame =
  | { type: 'request'; inviteId: Uint8Array; proof: Uint8Array }
  | { type: 'accept'; role: Role; key: Uint8Array; encryptionKey: Uint8Array | null }
  | { type: 'writer'; writerKey: Uint8Array; binding: PeerBinding | null }
  | { type: 'added'; role: Role }
  | { type: 'refused'; reason: Refusal }

const TYPES = ['request', 'accept', 'writer', 'added', 'refused'] as const
const REFUSALS: Refusal[] = ['invalid', 'expired', 'used', 'failed']

export function encodeFrame(frame: Frame): Uint8Array {
  const type = TYPES.indexOf(frame.type) + 1
  switch (frame.type) {
    case 'request':
      return b4a.concat([b4a.from([type]), frame.inviteId, frame.proof])
    case 'accept':
      return b4a.concat([b4a.from([type, roleCode(frame.role)]), frame.key, frame.encryptionKey ?? b4a.alloc(0)])
    case 'writer':
      return b4a.concat([
        b4a.from([type]),
        frame.writerKey,
        frame.binding ? encodeBindings([frame.binding]) : b4a.alloc(0)
      ])
    case 'added':
      return b4a.from([type, roleCode(frame.role)])
    case 'refused':
      return b4a.from([type, REFUSALS.indexOf(frame.reason) + 1])
  }
}

/** Decodes a frame; returns null for anything malformed (the caller closes the channel). */
export function decodeFrame(bytes: Uint8Array): Frame | null {
  const type = TYPES[(bytes[0] ?? 0) - 1]
  try {
    if (type === 'request' && bytes.byteLength === 65) {
      return {
        type,
        inviteId: b4a.from(bytes.subarray(1, 33)),
        proof: b4a.from(bytes.subarray(33))
      }
    }
    if (type === 'accept' && (bytes.byteLength === 34 || bytes.byteLength === 66)) {
      const encryptionKey = bytes.byteLength === 66 ? b4a.from(bytes.subarray(34)) : null
      return { type, role: decodeRole(bytes[1] as number), key: b4a.from(bytes.subarray(2, 34)), encryptionKey }
    }
    if (type === 'writer' && bytes.byteLength >= 33) {
      const binding = bytes.byteLength === 33 ? null : decodeBindings(bytes.subarray(33))
      if (binding !== null && binding.length !== 1) return null
      return { type, writerKey: b4a.from(bytes.subarray(1, 33)), binding: binding?.[0] ?? null }
    }
    if (type === 'added' && bytes.byteLength === 2) {
      return { type, role: decodeRole(bytes[1] as number) }
    }
    const reason = REFUSALS[(bytes[1] ?? 0) - 1]
    if (type === 'refused' && bytes.byteLength === 2 && reason) return { type, reason }
  } catch {
    // An unknown role byte: malformed like the rest.
  }
  return null
}

/** Proof of holding the invite secret, bound to one Noise session. */
export function pairingProof(secret: Uint8Array, handshakeHash: Uint8Array): Uint8Array {
  return createHmac('sha256', secret).update('peerbee/pairing-proof').update(handshakeHash).digest()
}

export function proofMatches(secret: Uint8Array, handshakeHash: Uint8Array, proof: Uint8Array): boolean {
  const expected = pairingProof(secret, handshakeHash)
  return proof.byteLength === expected.byteLength && timingSafeEqual(expected, proof)
}

/** The error a candidate reports for a refusal. */
export function refusalError(reason: Refusal): PeerBeeError {
  switch (reason) {
    case 'invalid':
      return PeerBeeError.INVITE_INVALID('The issuer does not know this invite (forged or mistyped)')
    case 'expired':
      return PeerBeeError.INVITE_EXPIRED()
    case 'used':
      return PeerBeeError.INVITE_USED()
    case 'failed':
      return PeerBeeError.PAIRING_FAILED('The issuer could not add this writer')
  }
}

/** Raw bytes as a Protomux message encoding: frames carry their own layout. */
export const rawEncoding: Protomux.Encoding<Uint8Array> = {
  preencode(state, value) {
    state.end += value.byteLength
  },
  encode(state, value) {
    state.buffer.set(value, state.start)
    state.start += value.byteLength
  },
  decode(state) {
    const value = state.buffer.subarray(state.start, state.end)
    state.start = state.end
    return value
  }
}
