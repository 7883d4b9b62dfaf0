import type { SuccessionFact } from '../model/evidence.js'
import { entryId, parseEntryId } from '../model/ids.js'
import type { Member, MembershipFact, Membership } from '../model/membership.js'
import { resolveMembership } from '../merge/membership.js'

/** What a new membership fact asks of the index. */
export type MembershipOutcome = 'done' | 'retract' | 'rebuild'

/** Blocks of a writer's log that a lower cut takes back: [from, to). */
export interface Cut {
  from: number
  to: number
}

/**
 * The membership facts and evidence known to this peer and the membership they resolve to.
 * Facts are log content, stored in the index as they are read; evidence (successions, fork
 * cuts) is kept beside the index. The membership is recomputed from all of them
 * (`resolveMembership`), so it never depends on the order they arrived in.
 */
export class MembershipTracker {
  private readonly root: string
  private readonly facts = new Map<string, MembershipFact>()
  private readonly successions = new Map<string, SuccessionFact>()
  private readonly forkCuts = new Map<string, number>()
  private readonly quotaCuts = new Map<string, number>()
  private current: Membership
  private cuts = new Map<string, Cut>()

  /** `root`: the writer id of the db's creator, admin from the start. */
  constructor(root: string) {
    this.root = root
    this.current = this.resolve()
  }

  private resolve(): Membership {
    return resolveMembership(this.root, this.facts.values(), {
      successions: this.successions.values(),
      forkCuts: this.forkCuts,
      quotaCuts: this.quotaCuts
    })
  }

  /** Where a writer's log parted into two histories (Infinity: it did not). */
  forkCut(writer: string): number {
    return this.forkCuts.get(writer) ?? Infinity
  }

  /**
   * From where a writer's log is never read: past a fork (content differs by branch), past
   * this peer's quota or past a removal (never downloaded: a peer that learnt the cut before
   * the blocks arrived never holds them). Entries citing it there count it as seen, unread.
   */
  unreadFrom(writer: string): number {
    const removal = this.current.members.get(writer)?.cut ?? Infinity
    return Math.min(this.forkCut(writer), this.quotaCuts.get(writer) ?? Infinity, removal)
  }

  /** A writer's log grew past this peer's quota: nothing of it from `at` on is read. */
  addQuotaCut(writer: string, at: number): MembershipOutcome {
    if (at >= (this.quotaCuts.get(writer) ?? Infinity)) return 'done'
    this.quotaCuts.set(writer, at)
    this.current = this.resolve()
    return 'rebuild'
  }

  get members(): ReadonlyMap<string, Member> {
    return this.current.members
  }

  member(id: string): Member | undefined {
    return this.current.members.get(id)
  }

  /** The root, or a successor of it: no removal cuts it. */
  isRoot(id: string): boolean {
    return this.current.roots.has(id)
  }

  /** Whether the fact of entry `writer:seq` took effect. */
  applied(writer: string, seq: number): boolean {
    return this.current.applied.has(entryId(writer, seq))
  }

  /** Facts read back from the index, and the evidence kept, on open. */
  load(
    facts: Iterable<MembershipFact>,
    successions: Iterable<SuccessionFact> = [],
    forkCuts: Iterable<[string, number]> = [],
    quotaCuts: Iterable<[string, number]> = []
  ): void {
    for (const fact of facts) this.facts.set(entryId(fact.writer, fact.seq), fact)
    for (const s of successions) this.successions.set(s.to, s)
    for (const [writer, at] of forkCuts) this.forkCuts.set(writer, Math.min(at, this.forkCut(writer)))
    for (const [writer, at] of quotaCuts) this.quotaCuts.set(writer, at)
    this.current = this.resolve()
  }

  /** Recomputes from every fact known and forgets pending cuts: where a rebuild starts. */
  reset(): void {
    this.cuts.clear()
    this.current = this.resolve()
  }

  /**
   * A writer forked. Entries citing its log past the cut change meaning (they count as seen
   * without their content, which differs by branch), so a lower cut asks for a rebuild.
   */
  addForkCut(writer: string, at: number): MembershipOutcome {
    if (at >= this.forkCut(writer)) return 'done'
    this.forkCuts.set(writer, at)
    this.current = this.resolve()
    return 'rebuild'
  }

  /** A succession, checked: recomputes membership as a new fact does (see `add`). */
  addSuccession(fact: SuccessionFact, indexed: (writer: string) => number | undefined): MembershipOutcome {
    if (this.successions.has(fact.to)) return 'done'
    this.successions.set(fact.to, fact)
    return this.recompute(null, indexed)
  }

  /**
   * Records a fact just read and recomputes membership. New members and additive changes take
   * effect at once ('done'); a lower cut on entries already indexed takes them back
   * ('retract', see `takeCuts`); anything that changes whether entries already processed were
   * valid (a lost membership, a fact that counts only now) needs a rebuild.
   * `indexed(writer)`: blocks of that writer's log processed so far.
   */
  add(fact: MembershipFact, indexed: (writer: string) => number | undefined): MembershipOutcome {
    const current = entryId(fact.writer, fact.seq)
    this.facts.set(current, fact)
    return this.recompute(current, indexed)
  }

  /** `current`: the id of the fact just read (it is being processed, not processed yet). */
  private recompute(current: string | null, indexed: (writer: string) => number | undefined): MembershipOutcome {
    const before = this.current
    const after = this.resolve()
    this.current = after

    // Whether an applied id names a log entry already processed (successions are no entries).
    const processed = (id: string) => {
      if (!this.facts.has(id)) return false
      const { writer, seq } = parseEntryId(id)
      const done = indexed(writer)
      return id !== current && done !== undefined && seq < done
    }
    const lost = [...before.applied].some((id) => !after.applied.has(id))
    const gained = [...after.applied].some((id) => !before.applied.has(id) && processed(id))
    const dropped = [...before.members.keys()].some((id) => !after.members.has(id))
    if (lost || gained || dropped) return 'rebuild'

    let outcome: MembershipOutcome = 'done'
    for (const [id, m] of after.members) {
      const done = indexed(id)
      const old = before.members.get(id)?.cut ?? Infinity
      if (done !== undefined && m.cut < old && m.cut < done) {
        this.cuts.set(id, { from: m.cut, to: Math.min(old, done) })
        outcome = 'retract'
      }
    }
    return outcome
  }

  /** The cuts a 'retract' outcome asked for, by writer id; they are handed over once. */
  takeCuts(): Map<string, Cut> {
    const cuts = this.cuts
    this.cuts = new Map()
    return cuts
  }
}
