import b4a from 'b4a'
import { isDataOp, isMembershipOp, type LogEntry, type MembershipOp } from '../log/entry.js'
import type { Clock } from '../model/clock.js'
import { entryId, keyId, writerId, type IdentifiedKey } from '../model/ids.js'
import type { MembershipChange, MembershipFact } from '../model/membership.js'
import type { KeyChange, KeyedVersion, KeyVersion } from '../model/version.js'
import { addVersion } from '../merge/heads.js'
import type { Limits } from '../merge/validate.js'
import type { InvalidEntry } from '../types.js'
import type { IndexBatch } from '../view/index-batch.js'
import type { IndexView } from '../view/index-view.js'
import type { IndexerKeys } from './key-scan.js'
import { isEntry, type LogReader } from './log-reader.js'
import type { MembershipOutcome, MembershipTracker } from './membership-tracker.js'
import { readiness } from './readiness.js'
import type { WriterState, WriterTable } from './writers.js'

/** What processing entries into a step came to: stop here, or go on after a retraction or a rebuild. */
export type StepResult = 'blocked' | 'done' | 'retract' | 'rebuild'

/** The keys a step changed, by `keyId`, with their records after it. */
export type StepChanges = Map<string, KeyChange>

/** A data entry of this peer's own, as its versions. */
export interface PrimedEntry {
  clock: Clock
  versions: readonly KeyedVersion[]
}

export interface ApplierOptions {
  dbKey: Uint8Array
  view: IndexView
  writers: WriterTable
  reader: LogReader
  membership: MembershipTracker
  limits: Limits
  /** The db keys this peer holds (encrypted dbs); null: none. */
  keys: IndexerKeys | null
  /** Every clock of an indexed entry, so the local clock stays ahead of what it has seen. */
  observeClock(clock: Clock): void
  invalid(info: InvalidEntry): void
  /** @see IndexerOptions.opaque */
  opaque(): void
}

/**
 * Processes the ready entries of every member into an index step, in log order per writer:
 * the header check, causal readiness and validity, membership facts, and the versions of
 * data ops added to their keys' heads.
 */
export class Applier {
  private readonly opts: ApplierOptions
  private readonly primed = new Map<string, PrimedEntry>()
  /** An entry waited for a key this peer does not hold, since `takeLocked()` was last asked. */
  private locked = false

  constructor(opts: ApplierOptions) {
    this.opts = opts
  }

  /** Whether an entry waited for a key since the last call. */
  takeLocked(): boolean {
    const locked = this.locked
    this.locked = false
    return locked
  }

  /**
   * Takes the versions of a data entry this peer just built and appended: they are valid by
   * construction (ops checked by the API, parents the heads this index holds), so the entry
   * is neither read back, decoded nor checked. After a restart it is read back and checked
   * like any other.
   */
  prime(writer: string, seq: number, entry: PrimedEntry): void {
    // The append wakes the indexer before the writer primes: a step may have read the entry
    // from the log already, and a primed entry no step takes would stay for good.
    const w = this.opts.writers.get(writer)
    if (w !== undefined && w.cursor.indexed > seq) return
    this.primed.set(entryId(writer, seq), entry)
  }

  /** Entries primed that no step took yet. */
  get primedCount(): number {
    return this.primed.size
  }

  /** Processes ready entries of every member into the batch, until blocked or `maxOps`. */
  async fill(batch: IndexBatch, changes: StepChanges, maxOps: number): Promise<StepResult> {
    let any = false
    for (;;) {
      let round = false
      for (const w of [...this.opts.writers.values()]) {
        while (batch.opCount < maxOps) {
          const seq = w.cursor.indexed
          const result = await this.step(w, batch, changes)
          if (result === 'blocked') break
          // Read from the log while the writer primed it: that entry is done with too.
          this.primed.delete(entryId(w.id, seq))
          any = round = true
          if (result !== 'done') return result
        }
        if (batch.opCount >= maxOps) return 'done'
      }
      if (!round) return any ? 'done' : 'blocked'
    }
  }

  private async step(w: WriterState, batch: IndexBatch, changes: StepChanges): Promise<StepResult> {
    const seq = w.cursor.indexed
    const member = this.opts.membership.member(w.id)
    if (member === undefined || w.cursor.foreign || seq >= w.core.length) return 'blocked'

    if (seq >= member.cut) {
      // Past the cut nothing counts; these blocks are processed without being read.
      w.cursor.indexed = w.core.length
      batch.setCursor(w.key, w.cursor)
      return 'done'
    }
    if (seq === 0) return this.checkHeader(w, batch)

    const primed = this.primed.get(entryId(w.id, seq))
    if (primed !== undefined) this.primed.delete(entryId(w.id, seq))
    if (primed !== undefined && this.citesIndexed(primed)) {
      // Usually cached since the write looked its keys up; a busy cache may have let them go.
      await this.preload(batch, primed.versions)
      for (const { key, id, version } of primed.versions) await applyVersion(batch, changes, key, id, version)
      this.advance(w, batch, seq, primed.clock, primed.versions.length)
      return 'done'
    }

    const entry = await this.opts.reader.read(w.id, w.core, seq)
    if (entry === null) return 'blocked'
    if (typeof entry === 'string') return this.skipInvalid(w, batch, seq, entry)
    if (!isEntry(entry)) {
      if (entry.sealed === 'opaque') return this.passOpaque(w, batch, seq)
      this.locked = true
      return 'blocked'
    }
    const ready = await readiness(entry, w, seq, this.opts)
    if (ready === 'blocked') return 'blocked'
    if (ready !== 'ready') return this.skipInvalid(w, batch, seq, ready.invalid)

    const { outcome, applied } = await this.applyMembership(w, batch, seq, entry)
    if (outcome === 'rebuild') return outcome
    if (!applied) {
      this.skipInvalid(w, batch, seq, 'not-allowed')
      return outcome
    }

    const data: Array<IdentifiedKey & { version: KeyVersion }> = []
    for (const op of entry.ops) {
      if (!isDataOp(op)) continue
      const value = op.type === 'put' ? op.value : null
      const version = { writer: w.key, seq, clock: entry.clock, deleted: value === null, value, parents: op.parents }
      data.push({ key: op.key, id: keyId(op.key), version })
    }
    await this.preload(batch, data)
    for (const { key, id, version } of data) await applyVersion(batch, changes, key, id, version)
    this.advance(w, batch, seq, entry.clock, entry.ops.length)
    return outcome
  }

  /**
   * Whether every version a primed entry cites is processed: it was when the entry was built,
   * but a rebuild since (a fork, a lower cut) processes the logs again from the start, and the
   * entry then goes through readiness like any other.
   */
  private citesIndexed(primed: PrimedEntry): boolean {
    const { writers, membership } = this.opts
    return primed.versions.every(({ version }) =>
      version.parents.every((parent) => {
        const writer = writerId(parent.writer)
        if (parent.seq >= membership.unreadFrom(writer)) return true
        const cites = writers.get(writer)
        return cites !== undefined && cites.cursor.indexed > parent.seq
      })
    )
  }

  /** Block 0: a log whose header names another db is never indexed. */
  private async checkHeader(w: WriterState, batch: IndexBatch): Promise<StepResult> {
    const db = await this.opts.reader.header(w.core)
    if (db === null) return 'blocked'
    if (typeof db === 'string' || !b4a.equals(db, this.opts.dbKey)) {
      w.cursor.foreign = true
      return this.skipInvalid(w, batch, 0, typeof db === 'string' ? db : 'foreign-header')
    }
    w.cursor.indexed = 1
    batch.setCursor(w.key, w.cursor)
    return 'done'
  }

  /**
   * Records the membership ops of an entry as a fact and lets membership take it in.
   * `applied` is false when the fact did not take effect (its writer may not change membership).
   */
  private async applyMembership(
    w: WriterState,
    batch: IndexBatch,
    seq: number,
    entry: LogEntry
  ): Promise<{ outcome: MembershipOutcome; applied: boolean }> {
    const ops = entry.ops.filter(isMembershipOp)
    if (ops.length === 0) return { outcome: 'done', applied: true }
    const fact: MembershipFact = {
      writer: w.id,
      seq,
      clock: entry.clock,
      ops: ops.map(membershipChange)
    }
    batch.putFact(w.key, fact)
    const { membership, writers, keys } = this.opts
    const outcome = membership.add(fact, (id) => writers.indexed(id))
    if (outcome === 'rebuild') return { outcome, applied: false }
    for (const id of membership.members.keys()) await writers.add(id)
    const applied = membership.applied(w.id, seq)
    if (applied && keys !== null) {
      for (const op of ops) if (op.type === 'keys') await keys.adopt(op, { clock: entry.clock, writer: w.id, seq })
    }
    return { outcome, applied }
  }

  /** Loads, in one range scan, the records of an entry's keys that neither the step nor the cache holds. */
  private async preload(batch: IndexBatch, keys: readonly IdentifiedKey[]): Promise<void> {
    await this.opts.view.prefetch(keys.filter(({ id }) => batch.knownRecord(id) === undefined))
  }

  private skipInvalid(w: WriterState, batch: IndexBatch, seq: number, reason: string): StepResult {
    w.cursor.indexed = seq + 1
    w.cursor.invalid++
    batch.putInvalid(w.key, seq, reason)
    batch.setCursor(w.key, w.cursor)
    batch.opCount++
    this.opts.invalid({ writer: w.key, seq, reason })
    return 'done'
  }

  /** A sealed entry of a db this peer holds no key of: passed over, so membership goes on. */
  private passOpaque(w: WriterState, batch: IndexBatch, seq: number): StepResult {
    w.cursor.indexed = seq + 1
    batch.setCursor(w.key, w.cursor)
    batch.opCount++
    this.opts.opaque()
    return 'done'
  }

  /** Moves the writer's cursor past an entry whose ops are in the batch. */
  private advance(w: WriterState, batch: IndexBatch, seq: number, clock: Clock, ops: number): void {
    batch.opCount += ops
    this.opts.observeClock(clock)
    w.cursor.indexed = seq + 1
    batch.setCursor(w.key, w.cursor)
  }
}

/** Adds one version to its key's heads; the heads it cites move to the versions space. */
export async function applyVersion(
  batch: IndexBatch,
  changes: StepChanges,
  key: Uint8Array,
  id: string,
  version: KeyVersion
): Promise<void> {
  const known = batch.knownRecord(id)
  const record = known !== undefined ? known : await batch.getRecord(key, id)
  const { heads, superseded } = addVersion(record?.heads ?? [], version)
  const next = { heads }
  batch.setRecord(key, next, id)
  for (const v of superseded) batch.putVersion(key, v)
  changes.set(id, { key, record: next })
}

/** A membership op as facts keep it. */
export function membershipChange(op: MembershipOp): MembershipChange {
  switch (op.type) {
    case 'add-writer':
      return { type: 'add-writer', key: writerId(op.key), role: op.role }
    case 'remove-writer':
      return { type: 'remove-writer', key: writerId(op.key), length: op.length }
    case 'keys':
      return { type: 'keys', id: b4a.toString(op.id, 'hex') }
  }
}
