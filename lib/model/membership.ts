import type { Clock } from './clock.js'

export type Role = 'admin' | 'writer'

/**
 * A membership op as the merge keeps it: keys as writer ids (hex). A `keys` op changes no
 * membership; it is kept so that whether it counts (an admin's) is decided like the others.
 */
export type MembershipChange =
  | { type: 'add-writer'; key: string; role: Role }
  | { type: 'remove-writer'; key: string; length: number }
  | { type: 'keys'; id: string }

/** The membership ops of one entry, named by its writer (id) and seq. */
export interface MembershipFact {
  writer: string
  seq: number
  clock: Clock
  ops: MembershipChange[]
}

export interface Member {
  role: Role
  /** Entries with seq >= cut never count. Infinity: not removed, not forked. */
  cut: number
  /** An admin removed the writer. */
  removed: boolean
  /** The writer signed two histories: its cut is (or is below) where they part. */
  forked: boolean
  /** The writer's log grew past this peer's quota: its cut is (or is below) where it did. */
  overQuota: boolean
}

export interface Membership {
  /** By writer id. */
  members: Map<string, Member>
  /** `entryId`s of the facts that took effect. */
  applied: Set<string>
  /** The root and its successors: no removal cuts them. */
  roots: Set<string>
}

/** The byte that names a role in every format (log entries, index records, invites). */
export function roleCode(role: Role): number {
  return role === 'admin' ? 1 : 0
}

/** The role a byte names, or null for an unknown byte (each format refuses it its own way). */
export function roleOf(code: number): Role | null {
  if (code === 0) return 'writer'
  if (code === 1) return 'admin'
  return null
}
