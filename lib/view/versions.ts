import { refId, type KeyVersion, type Ref } from '../model/version.js'

/**
 * The valid versions of a key that are no longer heads, found from its heads by following
 * parents: a version leaves the heads only when a valid version of its key cites it, and a
 * retraction keeps out of the versions space every version no valid one cites (it becomes a
 * head again), so each stored version is cited by a head or by another stored version. A
 * parent that is not stored (never valid, retracted, past a cut, or not read at all) ends its
 * path. Each generation of parents is looked up at once; `find` is a point lookup in the
 * versions space, null when the version is not there.
 */
export async function versionsBelow(
  heads: readonly KeyVersion[],
  find: (ref: Ref) => Promise<KeyVersion | null>
): Promise<KeyVersion[]> {
  const seen = new Set(heads.map(refId))
  const found: KeyVersion[] = []
  let generation: readonly KeyVersion[] = heads
  while (generation.length > 0) {
    const parents: Ref[] = []
    for (const v of generation) {
      for (const p of v.parents) {
        const id = refId(p)
        if (seen.has(id)) continue
        seen.add(id)
        parents.push(p)
      }
    }
    const next = (await Promise.all(parents.map(find))).filter((v): v is KeyVersion => v !== null)
    found.push(...next)
    generation = next
  }
  return found
}
