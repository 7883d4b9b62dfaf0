import { compareClocks, type Clock } from '../model/clock.js'
import type { SuccessionFact } from '../model/evidence.js'
import { entryId } from '../model/ids.js'
import type { Member, MembershipFact, Membership } from '../model/membership.js'

/** What evidence adds to the facts of the logs (see model/evidence.ts). */
export interface MembershipEvidence {
  successions: Iterable<SuccessionFact>
  /** By writer id: the writer signed two histories; entries from this seq on never count. */
  forkCuts: ReadonlyMap<string, number>
  /**
   * By writer id: the writer's log grew past this peer's quota (`maxWriterBytes`); entries from
   * this seq on are never downloaded nor counted. A local policy: peers agree when their quotas do.
   */
  quotaCuts?: ReadonlyMap<string, number>
}

const NO_EVIDENCE: MembershipEvidence = { successions: [], forkCuts: new Map() }

/** A fact as resolution orders it: from a log entry, or a succession. */
type Item = { kind: 'log'; fact: MembershipFact } | { kind: 'succession'; fact: SuccessionFact }

function orderOf(item: Item): { clock: Clock; writer: string; tie: string | number } {
  return item.kind === 'log'
    ? { clock: item.fact.clock, writer: item.fact.writer, tie: item.fact.seq }
    : { clock: item.fact.clock, writer: item.fact.from, tie: item.fact.to }
}

function byClock(a: Item, b: Item): number {
  const x = orderOf(a)
  const y = orderOf(b)
  if (compareClocks(x.clock, y.clock) !== 0) return compareClocks(x.clock, y.clock)
  if (x.writer !== y.writer) return x.writer < y.writer ? -1 : 1
  if (x.tie === y.tie) return 0
  // Log facts before successions of the same writer and clock; each kind by its own order.
  if (typeof x.tie !== typeof y.tie) return typeof x.tie === 'number' ? -1 : 1
  return x.tie < y.tie ? -1 : 1
}

/** The id under which a succession shows among the applied facts. */
export function successionId(to: string): string {
  return 'succession/' + to
}

/**
 * Membership as a pure function of the set of membership facts and evidence, so every peer
 * holding the same ones agrees, whatever order they arrived in.
 *
 * Facts take effect in (clock, writer, seq) order; a fact from a writer that is not (yet) an
 * admin waits, because a later fact may promote it. A removal applies the smallest cut
 * seen. When a cut lands below a fact that already took effect, that fact was never valid:
 * the cut is pinned and the pass restarts, so it cannot be undone by what it invalidates.
 * Pinned cuts only ever shrink, so the restarts end.
 *
 * Evidence: a succession makes its successor a member with its predecessor's role (the
 * successor of the root, like the root, cannot be removed), once the predecessor is a
 * member; a removal of the predecessor removes its successors too, whenever either came
 * (nothing they write counts). A fork cut applies to any writer, the root included, from the
 * start: nothing the writer wrote from there on ever counts, membership facts included.
 */
export function resolveMembership(
  root: string,
  facts: Iterable<MembershipFact>,
  evidence: MembershipEvidence = NO_EVIDENCE
): Membership {
  const items: Item[] = [...facts].map((fact): Item => ({ kind: 'log', fact }))
  for (const fact of evidence.successions) items.push({ kind: 'succession', fact })
  items.sort(byClock)
  const forkCut = (w: string) => evidence.forkCuts.get(w) ?? Infinity
  const quotaCut = (w: string) => evidence.quotaCuts?.get(w) ?? Infinity
  const pinned = new Map<string, number>()

  for (;;) {
    const members = new Map<string, Member>([
      [root, { role: 'admin', cut: Infinity, removed: false, forked: false, overQuota: false }]
    ])
    // The root and its successors: removals never cut them.
    const roots = new Set([root])
    const cuts = new Map(pinned)
    // By successor: the writer whose succession admitted it.
    const predecessor = new Map<string, string>()
    // A removal reaches the successors of the removed writer too: a writer cannot come back,
    // nor a recovered device outlive its removal, through a succession. None of their entries count.
    const removalCut = (w: string): number => {
      if (roots.has(w)) return Infinity
      const own = cuts.get(w) ?? Infinity
      for (let from = predecessor.get(w), hops = 0; from !== undefined && hops < predecessor.size; hops++) {
        if (!roots.has(from) && cuts.has(from)) return Math.min(own, 1)
        from = predecessor.get(from)
      }
      return own
    }
    const cutOf = (w: string) => Math.min(forkCut(w), quotaCut(w), removalCut(w))
    const applied: Item[] = []
    const done = new Set<Item>()

    let progress = true
    while (progress) {
      progress = false
      for (const item of items) {
        if (done.has(item)) continue
        if (item.kind === 'succession') {
          const { from, to } = item.fact
          const issuer = members.get(from)
          if (issuer === undefined) continue
          const existing = members.get(to)
          if (existing === undefined) {
            members.set(to, { role: issuer.role, cut: Infinity, removed: false, forked: false, overQuota: false })
            predecessor.set(to, from)
          } else if (issuer.role === 'admin') existing.role = 'admin'
          if (roots.has(from)) roots.add(to)
        } else {
          const fact = item.fact
          const issuer = members.get(fact.writer)
          if (issuer === undefined) continue
          if (fact.seq >= cutOf(fact.writer)) {
            done.add(item)
            continue
          }
          if (issuer.role !== 'admin') continue
          for (const op of fact.ops) {
            if (op.type === 'add-writer') {
              const existing = members.get(op.key)
              if (existing === undefined)
                members.set(op.key, { role: op.role, cut: Infinity, removed: false, forked: false, overQuota: false })
              else if (op.role === 'admin') existing.role = 'admin'
            } else if (op.type === 'remove-writer' && !roots.has(op.key)) {
              cuts.set(op.key, Math.min(cuts.get(op.key) ?? Infinity, op.length))
            }
          }
        }
        done.add(item)
        applied.push(item)
        progress = true
      }
    }

    const broken = applied.filter((i) => i.kind === 'log' && i.fact.seq >= cutOf(i.fact.writer))
    if (broken.length === 0) {
      // A successor holds its predecessor's role, should that have been raised later.
      for (const i of applied) {
        if (i.kind === 'succession' && members.get(i.fact.from)?.role === 'admin')
          members.get(i.fact.to)!.role = 'admin'
      }
      for (const [key, member] of members) {
        member.cut = cutOf(key)
        member.removed = removalCut(key) !== Infinity
        member.forked = forkCut(key) !== Infinity
        member.overQuota = quotaCut(key) !== Infinity
      }
      const ids = applied.map((i) => (i.kind === 'log' ? entryId(i.fact.writer, i.fact.seq) : successionId(i.fact.to)))
      return { members, applied: new Set(ids), roots }
    }
    for (const i of broken) if (i.kind === 'log') pinned.set(i.fact.writer, removalCut(i.fact.writer))
  }
}
