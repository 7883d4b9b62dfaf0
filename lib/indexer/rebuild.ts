import { IndexBatch } from '../view/index-batch.js'
import type { IndexView } from '../view/index-view.js'
import type { Applier, StepChanges, StepResult } from './apply.js'
import type { IndexerKeys } from './key-scan.js'
import type { MembershipTracker } from './membership-tracker.js'
import type { WriterTable } from './writers.js'

/** A rebuild that keeps learning facts that change membership starts over at most this often. */
const MAX_REBUILD_PASSES = 8

export interface RebuildContext {
  view: IndexView
  writers: WriterTable
  membership: MembershipTracker
  applier: Applier
  /** The db keys (an encrypted db): which key is current is re-derived with the rest. */
  keys: IndexerKeys | null
}

/**
 * Re-derives the whole index from the logs with the membership known now, as one fresh step
 * (readers never see it half done: the step replaces the old state when it lands). Facts are
 * kept: they are content of the logs, and the membership they resolve to already holds every
 * cut, so nothing being removed is re-indexed. Returns the step, ready to flush.
 */
export async function rebuild(ctx: RebuildContext): Promise<{ batch: IndexBatch; changes: StepChanges }> {
  for (let pass = 1; ; pass++) {
    ctx.membership.reset()
    await ctx.keys?.forget()
    for (const id of ctx.membership.members.keys()) await ctx.writers.add(id)
    ctx.writers.resetCursors()

    const batch = new IndexBatch(ctx.view, { fresh: true })
    const changes: StepChanges = new Map()
    let result: StepResult = 'done'
    while (result === 'done') result = await ctx.applier.fill(batch, changes, Infinity)
    // Reading every log can reveal facts that change membership again (entries past an old
    // cut): start over with what this pass learnt. Each pass only adds facts, so this settles.
    if (result !== 'blocked' && pass <= MAX_REBUILD_PASSES) continue
    for (const w of ctx.writers.values()) batch.setCursor(w.key, w.cursor)
    return { batch, changes }
  }
}
