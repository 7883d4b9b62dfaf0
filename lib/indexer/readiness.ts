import { isDataOp, type LogEntry } from '../log/entry.js'
import { writerId } from '../model/ids.js'
import { checkEntry, touchesKey, type Limits } from '../merge/validate.js'
import type { LogReader } from './log-reader.js'
import type { MembershipTracker } from './membership-tracker.js'
import type { WriterState, WriterTable } from './writers.js'

/** An entry can be indexed now, must wait, or never counts (and why). */
export type Readiness = 'ready' | 'blocked' | { invalid: string }

export interface ReadinessContext {
  limits: Limits
  writers: WriterTable
  reader: LogReader
  membership: MembershipTracker
}

/**
 * Whether an entry of a member can be indexed now. Its content must be valid on its own
 * (`checkEntry`), and every version it cites must have been processed: a parent that may
 * still arrive makes the entry wait (and with it only its own writer's log); a parent that
 * can never be satisfied (an invalid entry, or one that does not touch the key) makes it
 * invalid. All of it depends on log content only, so every peer decides alike. A parent in a
 * forked writer's log past the fork counts as seen without being read: its content depends on
 * the branch a peer holds (and past a quota, this peer does not hold it).
 */
export async function readiness(
  entry: LogEntry,
  w: WriterState,
  seq: number,
  ctx: ReadinessContext
): Promise<Readiness> {
  const reason = checkEntry(entry, w.key, seq, ctx.limits)
  if (reason !== null) return { invalid: reason }
  for (const op of entry.ops) {
    if (!isDataOp(op)) continue
    for (const parent of op.parents) {
      const writer = writerId(parent.writer)
      if (parent.seq >= ctx.membership.unreadFrom(writer)) continue
      const cites = ctx.writers.get(writer)
      if (cites === undefined || cites.cursor.indexed <= parent.seq) return 'blocked'
      const cited = await ctx.reader.entry(cites.id, cites.core, parent.seq)
      if (cited === null) return 'blocked'
      if (typeof cited === 'string' || !touchesKey(cited, op.key)) return { invalid: 'bad-parent' }
    }
  }
  return 'ready'
}
