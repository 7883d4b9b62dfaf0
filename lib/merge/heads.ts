import b4a from 'b4a'
import { compareClocks, type Clock } from './clock.js'

/** A version of one key, as the merge sees it. */
export interface Version {
  writer: Uint8Array
  seq: number
  clock: Clock
  deleted: boolean
  value: Uint8Array | null
}

export interface VersionRef {
  writer: Uint8Array
  seq: number
}

export interface CitingVersion extends Version {
  parents: VersionRef[]
}

/** A version with the key it is of, and the key's `keyId`, as a writer hands it on. */
export interface KeyedVersion {
  key: Uint8Array
  id: string
  version: CitingVersion
}

/** Total order on concurrent versions: (clock, writer key, seq). The greatest head wins. */
export function compareVersions(a: Version, b: Version): number {
  return compareClocks(a.clock, b.clock) || b4a.compare(a.writer, b.writer) || a.seq - b.seq
}

export function sameVersion(a: VersionRef, b: VersionRef): boolean {
  return a.seq === b.seq && b4a.equals(a.writer, b.writer)
}

function byWinnerFirst(a: Version, b: Version): number {
  return compareVersions(b, a)
}

/**
 * Heads after adding a new version. Causal readiness guarantees nothing already indexed cites
 * the new version, so it is always a head, and the heads it cites stop being heads.
 * Heads come back winner first, then the others in descending order.
 */
export function addVersion<T extends CitingVersion>(heads: readonly T[], version: T): { heads: T[]; superseded: T[] } {
  // A key's first version: the common case of a growing db.
  if (heads.length === 0) return { heads: [version], superseded: [] }
  const next: T[] = []
  const superseded: T[] = []
  for (const h of heads) (version.parents.some((p) => sameVersion(p, h)) ? superseded : next).push(h)
  next.push(version)
  return { heads: next.sort(byWinnerFirst), superseded }
}

/**
 * Heads of a key computed from every valid version of it: the versions no valid version cites.
 * Used when retraction removes versions, so that what they had superseded becomes a head again.
 */
export function headsOf<T extends CitingVersion>(versions: readonly T[]): T[] {
  const cited = new Set<string>()
  for (const v of versions) for (const p of v.parents) cited.add(refId(p))
  return versions.filter((v) => !cited.has(refId(v))).sort(byWinnerFirst)
}

export function refId(ref: VersionRef): string {
  return b4a.toString(ref.writer, 'hex') + ':' + ref.seq
}
