import b4a from 'b4a'
import type { Clock } from './clock.js'
import { entryId, writerId } from './ids.js'

/** An entry of a writer log: the writer log's key and the entry's seq. Names a version too. */
export interface Ref {
  writer: Uint8Array
  seq: number
}

/**
 * One `put` or `del` of one key, as the merge sees it: named by the entry that holds it,
 * with the versions of the key its writer saw as heads (`parents`).
 */
export interface KeyVersion extends Ref {
  clock: Clock
  deleted: boolean
  value: Uint8Array | null
  parents: Ref[]
}

/** A version with the key it is of and the key's `keyId`, as a writer hands it on. */
export interface KeyedVersion {
  key: Uint8Array
  id: string
  version: KeyVersion
}

/**
 * The current state of a key: its heads, winner first, with what each cites (so retraction
 * can recompute heads). Kept for deleted winners too.
 */
export interface KeyRecord {
  heads: KeyVersion[]
}

/** A key an index step changed, with its record after the step (null: no valid version). */
export interface KeyChange {
  key: Uint8Array
  record: KeyRecord | null
}

/**
 * A key as an index step left it, as the change log keeps it: the put that won (its value is
 * in that entry of the writer's log), or null when the key has no value (its winner is a
 * delete, or no version of it is valid).
 */
export interface LoggedChange {
  key: Uint8Array
  winner: Ref | null
}

/** The `writer:seq` id of a ref (see `entryId`). */
export function refId(ref: Ref): string {
  return entryId(writerId(ref.writer), ref.seq)
}

export function sameRef(a: Ref, b: Ref): boolean {
  return a.seq === b.seq && b4a.equals(a.writer, b.writer)
}
