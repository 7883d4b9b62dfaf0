import { isDataOp } from '../log/entry.js'
import { keyId, writerId } from '../model/ids.js'
import { refId, type Ref } from '../model/version.js'
import { headsOf } from '../merge/heads.js'
import { IndexBatch } from '../view/index-batch.js'
import type { IndexView } from '../view/index-view.js'
import type { StepChanges } from './apply.js'
import type { LogReader } from './log-reader.js'
import type { Cut } from './membership-tracker.js'
import type { WriterTable } from './writers.js'

export interface RetractionContext {
  view: IndexView
  writers: WriterTable
  reader: LogReader
}

/**
 * The step that takes back what lower cuts invalidate: the versions of the cut entries leave
 * the index, and each key they touched is recomputed from the versions that stay valid, so
 * whatever a retracted version had superseded becomes a head again. Entries recorded as
 * invalid in the cut range stop counting as invalid: past a cut, nothing counts at all.
 * Returns the step, ready to flush.
 */
export async function retract(
  cuts: ReadonlyMap<string, Cut>,
  ctx: RetractionContext
): Promise<{ batch: IndexBatch; changes: StepChanges }> {
  const batch = new IndexBatch(ctx.view)
  const changes: StepChanges = new Map()
  const dirty = new Map<string, Uint8Array>()
  const isRetracted = (v: Ref) => {
    const cut = cuts.get(writerId(v.writer))
    return cut !== undefined && v.seq >= cut.from && v.seq < cut.to
  }

  for (const [id, { from, to }] of cuts) {
    const w = ctx.writers.get(id)!
    const invalid = new Set(await ctx.view.invalidSeqs(w.key, from))
    for (let seq = from; seq < to; seq++) {
      if (invalid.has(seq)) {
        batch.delInvalid(w.key, seq)
        w.cursor.invalid--
        continue
      }
      const entry = await ctx.reader.entry(w.id, w.core, seq)
      if (entry === null || typeof entry === 'string') continue
      for (const op of entry.ops) {
        if (!isDataOp(op)) continue
        batch.delVersion(op.key, w.key, seq)
        dirty.set(keyId(op.key), op.key)
      }
    }
    batch.setCursor(w.key, w.cursor)
  }

  for (const [id, key] of dirty) {
    const record = await batch.getRecord(key, id)
    // Retracted versions are still in the tree until this step lands: paths go through them.
    const stored = await ctx.view.versionsOf(key, record?.heads ?? [])
    const heads = headsOf([...stored, ...(record?.heads ?? [])].filter((v) => !isRetracted(v)))
    const isHead = new Set(heads.map(refId))
    // Keep the invariant: heads live in the key's record, every other valid version in the versions space.
    for (const v of stored) if (isHead.has(refId(v))) batch.delVersion(key, v.writer, v.seq)
    for (const v of record?.heads ?? []) if (!isHead.has(refId(v)) && !isRetracted(v)) batch.putVersion(key, v)
    const next = heads.length === 0 ? null : { heads }
    batch.setRecord(key, next, id)
    changes.set(id, { key, record: next })
  }
  return { batch, changes }
}
