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
 * The membership facts known to this peer and the membership they resolve to. Facts are log
 * content, stored in the index as they are read; the membership is recomputed from all of
 * them (`resolveMembership`), so it never depends on the order they arrived in.
 */
export class MembershipTracker {
  private readonly root: string
  private readonly facts = new Map<string, MembershipFact>()
  private current: Membership
  private cuts = new Map<string, Cut>()

  /** `root`: the writer id of the db's creator, admin from the start. */
  constructor(root: string) {
    this.root = root
    this.current = resolveMembership(root, [])
  }

  get members(): ReadonlyMap<string, Member> {
    return this.current.members
  }

  member(id: string): Member | undefined {
    return this.current.members.get(id)
  }

  /** Whether the fact of entry `writer:seq` took effect. */
  applied(writer: string, seq: number): boolean {
    return this.current.applied.has(entryId(writer, seq))
  }

  /** Facts read back from the index on open. */
  load(facts: Iterable<MembershipFact>): void {
    for (const fact of facts) this.facts.set(entryId(fact.writer, fact.seq), fact)
    this.current = resolveMembership(this.root, this.facts.values())
  }

  /** Recomputes from every fact known and forgets pending cuts: where a rebuild starts. */
  reset(): void {
    this.cuts.clear()
    this.current = resolveMembership(this.root, this.facts.values())
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
    const before = this.current
    const after = resolveMembership(this.root, this.facts.values())
    this.current = after

    const processed = (id: string) => {
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
