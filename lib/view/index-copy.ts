import b4a from 'b4a'
import type Hyperbee from 'hyperbee2'
import { guarded } from './corruption.js'
import { LOG_ID_KEY } from './keys.js'

/**
 * Entries per write batch of a copy. In key order, a batch writes each tree node it fills
 * once, and the next batch only extends the rightmost path: a fresh tree of large sorted
 * batches costs little more than its entries.
 */
const COPY_BATCH = 8192

const EMPTY = b4a.alloc(0)

/** What a copy reports and asks: entries copied so far, and whether to go on. */
export interface CopyHooks {
  /** After each batch, with the entries copied so far. */
  copied(entries: number): void
  /** Throws to stop the copy (the db is closing). */
  check(): void
}

/**
 * Copies every entry of `source` as of `version` (its core's length then: later appends are
 * not seen) into `target`, an empty tree, in key order. Returns the number of entries copied.
 */
export async function copyTree(source: Hyperbee, version: number, target: Hyperbee, hooks: CopyHooks): Promise<number> {
  const snapshot = source.checkout({ length: version })
  let entries = 0
  let batch = target.write()
  let pending = 0
  try {
    await guarded(async () => {
      for await (const node of snapshot.createReadStream()) {
        batch.tryPut(node.key, node.value ?? EMPTY)
        if (++pending < COPY_BATCH) continue
        await batch.flush()
        entries += pending
        pending = 0
        hooks.copied(entries)
        hooks.check()
        batch = target.write()
      }
    })
    await batch.flush()
  } finally {
    await snapshot.close()
  }
  entries += pending
  hooks.copied(entries)
  return entries
}

/**
 * Applies to `target` what changed in `source` from version `from` to version `to`: the
 * entries put (or rewritten) and deleted since, in one batch. Returns how many changed.
 */
export async function copyChanges(source: Hyperbee, from: number, to: number, target: Hyperbee): Promise<number> {
  if (from === to) return 0
  const newer = source.checkout({ length: to })
  const older = source.checkout({ length: from })
  const batch = target.write()
  let changed = 0
  try {
    await guarded(async () => {
      for await (const { left, right } of newer.createDiffStream(older)) {
        if (left !== null) batch.tryPut(left.key, left.value ?? EMPTY)
        else if (right !== null) batch.tryDelete(right.key)
        changed++
      }
    })
    await batch.flush()
  } finally {
    await newer.close()
    await older.close()
  }
  return changed
}

/**
 * A copy carries on the change log of its source, so it takes the source's log id: the one
 * the source has (it is a copy itself), else the discovery key of the source's core.
 */
export async function carryLogId(source: Hyperbee, target: Hyperbee): Promise<void> {
  // Copied with the entries when the source is a copy itself.
  if ((await target.get(LOG_ID_KEY)) !== null) return
  const batch = target.write()
  batch.tryPut(LOG_ID_KEY, source.core.discoveryKey)
  await batch.flush()
}
