import { createHash, randomBytes } from 'node:crypto'
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import z32 from 'z32'
import { PeerBeeError } from '../errors.js'
import { roleCode, roleOf, type Role } from '../model/membership.js'

/**
 * An invite as the admin hands it out. It names the db by its discovery key only,
 * so a leaked invite that was already used does not reveal the db key.
 */
export interface Invite {
  role: Role
  /** Wall-clock ms after which the issuer refuses it. */
  expires: number
  discoveryKey: Uint8Array
  /** Swarm public key of the peer that issued it: the only peer that can accept it. */
  issuer: Uint8Array
  /** Shared with the issuer; never sent, only proven. */
  secret: Uint8Array
}

/** What the issuer keeps about an invite, under its {@link inviteId}. */
export interface InviteRecord {
  role: Role
  expires: number
  secret: Uint8Array
  /** The writer key it admitted, once used. */
  usedBy: Uint8Array | null
}

/**
 * Where the issuer keeps its invites: bytes by key. The db backs it with space in
 * its local index, so records survive restarts.
 */
export interface InviteStore {
  get(key: Uint8Array): Promise<Uint8Array | null>
  put(key: Uint8Array, value: Uint8Array): Promise<void>
}

/** How long an invite stays valid unless its `expires` says otherwise: one day, in ms. */
export const DEFAULT_INVITE_TTL = 24 * 60 * 60 * 1000

const VERSION = 1
const INVITE_BYTES = 104
const RECORD_BYTES = 73
const MAX_UINT48 = 2 ** 48 - 1
const Z32_TEXT = /^[ybndrfg8ejkmcpqxot1uwisza345h769]+$/

/** Stable id of an invite: a hash of its secret, so the secret is never stored twice or sent. */
export function inviteId(secret: Uint8Array): Uint8Array {
  return createHash('sha256').update('peerbee/invite-id').update(secret).digest()
}

/** z-base32 text of an invite: version, role, expiry, discovery key, issuer, secret. */
export function encodeInvite(invite: Invite): string {
  const bytes = b4a.alloc(INVITE_BYTES)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  bytes[0] = VERSION
  bytes[1] = roleCode(invite.role)
  writeUint48(view, 2, invite.expires)
  bytes.set(invite.discoveryKey, 8)
  bytes.set(invite.issuer, 40)
  bytes.set(invite.secret, 72)
  return z32.encode(bytes)
}

/** Decodes invite text; anything malformed, truncated or of an unknown version is `INVITE_INVALID`. */
export function decodeInvite(text: string): Invite {
  const trimmed = typeof text === 'string' ? text.trim() : ''
  if (!Z32_TEXT.test(trimmed)) throw PeerBeeError.INVITE_INVALID('The invite is not z-base32 text')
  const bytes = z32.decode(trimmed)
  if (bytes.byteLength !== INVITE_BYTES || bytes[0] !== VERSION) {
    throw PeerBeeError.INVITE_INVALID('The invite is truncated or of an unknown version')
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return {
    role: decodeRole(bytes[1] as number),
    expires: readUint48(view, 2),
    discoveryKey: b4a.from(bytes.subarray(8, 40)),
    issuer: b4a.from(bytes.subarray(40, 72)),
    secret: b4a.from(bytes.subarray(72, 104))
  }
}

export function encodeRecord(record: InviteRecord): Uint8Array {
  const bytes = b4a.alloc(RECORD_BYTES)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  bytes[0] = VERSION
  bytes[1] = roleCode(record.role)
  writeUint48(view, 2, record.expires)
  bytes.set(record.secret, 8)
  if (record.usedBy) {
    bytes[40] = 1
    bytes.set(record.usedBy, 41)
  }
  return bytes
}

/** Decodes a stored record; a record this version cannot read is treated as absent. */
export function decodeRecord(bytes: Uint8Array): InviteRecord | null {
  if (bytes.byteLength !== RECORD_BYTES || bytes[0] !== VERSION) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return {
    role: decodeRole(bytes[1] as number),
    expires: readUint48(view, 2),
    secret: b4a.from(bytes.subarray(8, 40)),
    usedBy: bytes[40] === 1 ? b4a.from(bytes.subarray(41, 73)) : null
  }
}

export interface IssueInviteOptions {
  discoveryKey: Uint8Array
  /** The issuing peer's swarm public key. */
  issuer: Uint8Array
  role: Role
  /** Wall-clock ms after which the invite is refused. */
  expires: number
}

/** Makes a single-use invite and records it in `store`. Returns the invite text. */
export async function issueInvite(store: InviteStore, opts: IssueInviteOptions): Promise<string> {
  if (opts.role !== 'writer' && opts.role !== 'admin') {
    throw PeerBeeError.INVALID_ARGUMENT(`An invite's role is 'writer' or 'admin', got '${String(opts.role)}'`)
  }
  if (!Number.isInteger(opts.expires) || opts.expires < 0 || opts.expires > MAX_UINT48) {
    throw PeerBeeError.INVALID_ARGUMENT('An invite expiry is a wall-clock time in ms')
  }
  const secret = randomBytes(32)
  const record: InviteRecord = { role: opts.role, expires: opts.expires, secret, usedBy: null }
  await store.put(inviteId(secret), encodeRecord(record))
  return encodeInvite({
    role: opts.role,
    expires: opts.expires,
    discoveryKey: opts.discoveryKey,
    issuer: opts.issuer,
    secret
  })
}

/** Role from its byte; an unknown byte makes the invite invalid. */
export function decodeRole(byte: number): Role {
  const role = roleOf(byte)
  if (role === null) throw PeerBeeError.INVITE_INVALID('The invite names an unknown role')
  return role
}

function writeUint48(view: DataView, offset: number, value: number): void {
  view.setUint16(offset, Math.floor(value / 2 ** 32))
  view.setUint32(offset + 2, value % 2 ** 32)
}

function readUint48(view: DataView, offset: number): number {
  return view.getUint16(offset) * 2 ** 32 + view.getUint32(offset + 2)
}

/**
 * The swarm key pair a candidate dials the issuer with: derived from the invite's secret, so
 * an issuer that admits only members' peers knows, for each open invite, the one stranger to
 * let in.
 */
export function pairingKeyPair(secret: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  return crypto.keyPair(createHash('sha256').update('peerbee/pairing-key').update(secret).digest())
}
