import b4a from 'b4a'
import { compareClocks, type Clock } from '../model/clock.js'
import { refId, sameRef, type KeyRecord, type KeyVersion, type Ref } from '../model/version.js'

/** What orders concurrent versions. */
type Ordered = Ref & { clock: Clock }

/** Total order on concurrent versions: (clock, writer key, seq). The greatest head wins. */
export function compareVersions(a: Ordered, b: Ordered): number {
  return compareClocks(a.clock, b.clock) || b4a.compare(a.writer, b.writer) || a.seq - b.seq
}

function byWinnerFirst(a: Ordered, b: Ordered): number {
  return compareVersions(b, a)
}

/**
 * Heads after adding a new version. Causal readiness guarantees nothing already indexed cites
 * the new version, so it is always a head, and the heads it cites stop being heads.
 * Heads come back winner first, then the others in descending order.
 */
export function addVersion<T extends KeyVersion>(heads: readonly T[], version: T): { heads: T[]; superseded: T[] } {
  // A key's first version: the common case of a growing db.
  if (heads.length === 0) return { heads: [version], superseded: [] }
  const next: T[] = []
  const superseded: T[] = []
  for (const h of heads) (version.parents.some((p) => sameRef(p, h)) ? superseded : next).push(h)
  next.push(version)
  return { heads: next.sort(byWinnerFirst), superseded }
}

/**
 * Heads of a key computed from every valid version of it: the versions no valid version cites.
 * Used when retraction removes versions, so that what they had superseded becomes a head again.
 */
export function headsOf<T extends KeyVersion>(versions: readonly T[]): T[] {
  const cited = new Set<string>()
  for (const v of versions) for (const p of v.parents) cited.add(refId(p))
  return versions.filter((v) => !cited.has(refId(v))).sort(byWinnerFirst)
}

/**
 * A record with more versions applied, oldest first. A version the record already holds is
 * skipped, so applying one twice (the index caught up in between) changes nothing.
 */
export function applyVersions(record: KeyRecord | null, versions: readonly KeyVersion[]): KeyRecord {
  let heads = record?.heads ?? []
  for (const v of versions) {
    if (heads.some((h) => sameRef(h, v))) continue
    heads = addVersion(heads, v).heads
  }
  return { heads }
}
