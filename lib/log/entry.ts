import type { Clock } from '../merge/clock.js'
import type { Role } from '../types.js'

/** A version of a key, named by the writer log and the seq of the entry that holds it. */
export interface Ref {
  writer: Uint8Array
  seq: number
}

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

export type DataOp = PutOp | DelOp
export type MembershipOp = AddWriterOp | RemoveWriterOp
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

export function isDataOp(op: Op): op is DataOp {
  return op.type === 'put' || op.type === 'del'
}
