import type { Clock } from '../model/clock.js'
import type { KeyShare, PastKey } from '../model/keys.js'
import type { Role } from '../model/membership.js'
import type { Ref } from '../model/version.js'

export interface PutOp {
  type: 'put'
  key: Uint8Array
  value: Uint8Array
  /** The versions of this key that the writer's index showed as heads when it wrote. */
  parents: Ref[]
}

export interface DelOp {
  type: 'del'
  key: Uint8Array
  parents: Ref[]
}

export interface AddWriterOp {
  type: 'add-writer'
  key: Uint8Array
  role: Role
}

export interface RemoveWriterOp {
  type: 'remove-writer'
  key: Uint8Array
  /** The cut: the removed writer's entries with seq < length stay valid, the rest never count. */
  length: number
}

/**
 * A db encryption key for members (encrypted dbs only): a new key after a removal, sealed to
 * each remaining member with the older keys under it, or the current key sealed to members
 * that lack it. Like the other membership ops it is written in clear and counts only from an
 * admin; what it carries is sealed.
 */
export interface KeysOp {
  type: 'keys'
  /** The key's id (`keyIdOf`). */
  id: Uint8Array
  shares: KeyShare[]
  past: PastKey[]
}

export type DataOp = PutOp | DelOp
/** Ops that change who may write or read: an admin's, written in clear in an encrypted db. */
export type MembershipOp = AddWriterOp | RemoveWriterOp | KeysOp
export type Op = DataOp | MembershipOp

/** Block 0 of every writer log. */
export interface Header {
  protocol: 'peerbee'
  db: Uint8Array
}

/** Every block after the header: ops written atomically under one clock. */
export interface LogEntry {
  clock: Clock
  ops: Op[]
}

/** Ops as they are written, or queued before their parents are known. */
type AnyOp = { type: Op['type'] }

export function isDataOp<T extends AnyOp>(op: T): op is Extract<T, { type: DataOp['type'] }> {
  return op.type === 'put' || op.type === 'del'
}

export function isMembershipOp<T extends AnyOp>(op: T): op is Extract<T, { type: MembershipOp['type'] }> {
  return op.type === 'add-writer' || op.type === 'remove-writer' || op.type === 'keys'
}
