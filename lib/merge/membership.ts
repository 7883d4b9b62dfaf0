import { compareClocks } from '../model/clock.js'
import { entryId } from '../model/ids.js'
import type { Member, MembershipFact, Membership } from '../model/membership.js'

function byClock(a: MembershipFact, b: MembershipFact): number {
  return compareClocks(a.clock, b.clock) || (a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : a.seq - b.seq)
}

/**
 * Membership as a pure function of the set of membership facts, so every peer holding the
 * same facts agrees, whatever order they arrived in.
 *
 * Facts take effect in (clock, writer, seq) order; a fact from a writer that is not (yet) an
 * admin waits, because a later fact may promote it. A removal applies the smallest cut
 * seen. When a cut lands below a fact that already took effect, that fact was never valid:
 * the cut is pinned and the pass restarts, so it cannot be undone by what it invalidates.
 * Pinned cuts only ever shrink, so the restarts end.
 */
export function resolveMembership(root: string, facts: Iterable<MembershipFact>): Membership {
  const sorted = [...facts].sort(byClock)
  const pinned = new Map<string, number>()

  for (;;) {
    const members = new Map<string, Member>([[root, { role: 'admin', cut: Infinity }]])
    const cuts = new Map(pinned)
    const cutOf = (w: string) => cuts.get(w) ?? Infinity
    const applied: MembershipFact[] = []
    const done = new Set<MembershipFact>()

    let progress = true
    while (progress) {
      progress = false
      for (const fact of sorted) {
        if (done.has(fact)) continue
        const issuer = members.get(fact.writer)
        if (issuer === undefined) continue
        if (fact.seq >= cutOf(fact.writer)) {
          done.add(fact)
          continue
        }
        if (issuer.role !== 'admin') continue
        for (const op of fact.ops) {
          if (op.type === 'add-writer') {
            const existing = members.get(op.key)
            if (existing === undefined) members.set(op.key, { role: op.role, cut: Infinity })
            else if (op.role === 'admin') existing.role = 'admin'
          } else if (op.key !== root) {
            cuts.set(op.key, Math.min(cutOf(op.key), op.length))
          }
        }
        done.add(fact)
        applied.push(fact)
        progress = true
      }
    }

    const broken = applied.filter((f) => f.seq >= cutOf(f.writer))
    if (broken.length === 0) {
      for (const [key, member] of members) member.cut = cutOf(key)
      return { members, applied: new Set(applied.map((f) => entryId(f.writer, f.seq))) }
    }
    for (const f of broken) pinned.set(f.writer, cutOf(f.writer))
  }
}
