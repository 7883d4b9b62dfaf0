import type { KeyRecord, KeyVersion, Ref } from '../model/version.js'
import { applyVersions } from './heads.js'

/** Shared by every op on a new key; nothing mutates parents once an op is built. */
const NO_PARENTS: Ref[] = []

/**
 * The parents of a new write of a key: every head the writer sees, that is the heads the
 * index holds with the writer's own versions that are not indexed yet applied on top. Citing
 * them all is what resolves a conflict.
 */
export function parentsOf(indexed: KeyRecord | null, pending: readonly KeyVersion[] | undefined): Ref[] {
  const record = pending === undefined ? indexed : applyVersions(indexed, pending)
  if (record === null || record.heads.length === 0) return NO_PARENTS
  return record.heads.map((h) => ({ writer: h.writer, seq: h.seq }))
}
