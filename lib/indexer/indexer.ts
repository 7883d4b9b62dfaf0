import type { Clock } from '../model/clock.js'
import type { SuccessionFact } from '../model/evidence.js'
import { keyId, writerId } from '../model/ids.js'
import type { KeyChange } from '../model/version.js'
import type { Limits } from '../merge/validate.js'
import type { InvalidEntry } from '../types.js'
import { IndexBatch } from '../view/index-batch.js'
import type { IndexView } from '../view/index-view.js'
import { Applier, type PrimedEntry, type StepChanges } from './apply.js'
import { KeyScanner, type IndexerKeys } from './key-scan.js'
import { LogReader, type LogSource } from './log-reader.js'
import { MembershipTracker } from './membership-tracker.js'
import { rebuild } from './rebuild.js'
import { retract } from './retraction.js'
import { WriterTable } from './writers.js'

/** Ops per index step: large enough to amortise a Hyperbee batch, small enough to stay responsive. */
const STEP_OPS = 4096

export interface IndexerOptions {
  dbKey: Uint8Array
  /** The root writer's log (its header tells whether the db is encrypted). */
  root: LogSource
  /** The db keys this peer holds, in an encrypted db; null: none (it follows membership only). */
  keys: IndexerKeys | null
  view: IndexView
  limits: Limits
  /** Evidence known when the indexer opens (later evidence comes through `succession`, `forked`). */
  evidence: { successions: SuccessionFact[]; forkCuts: Array<[string, number]>; quotaCuts: Array<[string, number]> }
  /** Opens (and starts downloading) the log of a writer the membership names. */
  openWriter(key: Uint8Array): Promise<LogSource>
  /** Every clock of an indexed entry, so the local clock stays ahead of what it has seen. */
  observeClock(clock: Clock): void
  /**
   * Runs in the synchronous block that makes a step visible to reads (`IndexBatch.flush`):
   * the place to drop state the step makes redundant. It must not wait or read the index.
   */
  landed(): void
  /** After a step that changed keys is written: the keys, with their records after it. */
  stepped(changes: KeyChange[]): void
  /** After every step is written, membership-only ones included. */
  progressed(): void
  /** An entry was skipped as invalid. */
  invalid(info: InvalidEntry): void
  /** A sealed entry was passed over for want of any key: this index holds no data of it. */
  opaque(): void
  /** Indexing stopped on this error; it stays in `error`. */
  failed(err: Error): void
}

/**
 * Applies writer logs to the index, deterministically, in steps. Each entry is indexed once
 * everything it cites has been processed; waiting on one writer never blocks another. The
 * state reached depends only on the set of blocks held, never on their arrival order.
 *
 * This class schedules steps and wakes whoever waits on them; the units it drives do the
 * work: `Applier` (entries into a step), `MembershipTracker`, `retract`, `rebuild`.
 */
export class Indexer {
  readonly writers: WriterTable
  readonly membership: MembershipTracker
  private readonly opts: IndexerOptions
  private readonly view: IndexView
  readonly reader: LogReader
  private readonly applier: Applier
  private readonly scanner: KeyScanner | null
  private rebuildNeeded = false
  /** Evidence learnt since the last step: it takes effect at the start of the next one. */
  private learnt: Array<
    { succession: SuccessionFact } | { writer: string; at: number } | { overQuota: string; at: number }
  > = []
  private dirty = false
  private running: Promise<void> | null = null
  private closed = false
  private idleWaiters: Array<() => void> = []
  /**
   * A step that cut writers below what was indexed of them landed, and the retraction it calls
   * for has not: blocks it processed do not count as indexed until then.
   */
  private retractionOwed = false
  private indexWaiters: Array<{ writer: string; length: number; resolve: () => void }> = []
  error: Error | null = null

  constructor(opts: IndexerOptions) {
    this.opts = opts
    this.view = opts.view
    this.writers = new WriterTable(opts.openWriter)
    this.membership = new MembershipTracker(writerId(opts.dbKey))
    this.reader = new LogReader({ root: opts.root, keys: opts.keys })
    this.scanner = opts.keys === null ? null : new KeyScanner(this.reader, opts.keys)
    this.applier = new Applier({
      dbKey: opts.dbKey,
      view: opts.view,
      writers: this.writers,
      reader: this.reader,
      membership: this.membership,
      limits: opts.limits,
      keys: opts.keys,
      observeClock: opts.observeClock,
      invalid: opts.invalid,
      opaque: opts.opaque
    })
  }

  /** Loads cursors and membership facts, and opens the log of every member. */
  async open(): Promise<void> {
    // Read now if held: the db refuses data calls without a key once it knows it is encrypted.
    await this.reader.mode()
    const cursors = await this.view.cursors()
    // A fresh index (a new peer, or a rebuild into a new core) adopts the valid key ops again.
    if (cursors.size === 0) await this.opts.keys?.forget()
    const { successions, forkCuts, quotaCuts } = this.opts.evidence
    this.membership.load(await this.view.facts(), successions, forkCuts, quotaCuts)
    for (const id of this.membership.members.keys()) await this.writers.add(id, cursors.get(id))
  }

  /** @see Applier.prime */
  prime(writer: string, seq: number, entry: PrimedEntry): void {
    this.applier.prime(writer, seq, entry)
  }

  /** @see Applier.primedCount */
  get primedCount(): number {
    return this.applier.primedCount
  }

  /** Blocks of a writer's log (by id) that reads of the index reflect. */
  committed(writer: string): number {
    return this.writers.committed(writer)
  }

  /** Entries skipped as invalid, over every writer. */
  get invalid(): number {
    let n = 0
    for (const w of this.writers.values()) n += w.cursor.invalid
    return n
  }

  /** A checked succession: its successor is a member from the next step on. */
  succession(fact: SuccessionFact): void {
    this.learnt.push({ succession: fact })
    this.trigger()
  }

  /** A checked fork proof: the writer is cut where its histories part, from the next step on. */
  forked(writer: string, at: number): void {
    this.learnt.push({ writer, at })
    this.trigger()
  }

  /** A writer's log grew past this peer's quota: it is cut there, from the next step on. */
  overQuota(writer: string, at: number): void {
    this.learnt.push({ overQuota: writer, at })
    this.trigger()
  }

  /** Something changed (an append, a download, a new member): index what became ready. */
  trigger(): void {
    if (this.closed) return
    this.dirty = true
    if (this.running === null) this.running = this.run()
  }

  /** Resolves once no indexing is running or scheduled. */
  idle(): Promise<void> {
    if (this.running === null) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Resolves once the first `length` blocks of a writer's log (by id) are processed and written. */
  indexed(writer: string, length: number): Promise<void> {
    if (!this.retractionOwed && this.writers.committed(writer) >= length) return Promise.resolve()
    return new Promise((resolve) => this.indexWaiters.push({ writer, length, resolve }))
  }

  /**
   * Stops scheduling steps; a step being written still lands (`idle()` waits for it). Whoever
   * waits for blocks to be indexed is let go: they are durable, and the next index takes them.
   */
  close(): void {
    this.closed = true
    for (const w of this.indexWaiters) w.resolve()
    this.indexWaiters = []
  }

  private async run(): Promise<void> {
    try {
      // One step per trigger: entries that arrive during a step are taken by the next one,
      // so steps grow with the write rate instead of following each append.
      while (this.dirty && !this.closed) {
        this.dirty = false
        if (await this.drainStep()) this.dirty = true
      }
    } catch (err) {
      if (!this.closed) {
        this.error = err as Error
        this.opts.failed(this.error)
      }
    } finally {
      this.running = null
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const resolve of waiters) resolve()
    }
  }

  /** One index step. Returns whether more work is known to be ready. */
  private async drainStep(): Promise<boolean> {
    await this.takeEvidence()
    if (this.rebuildNeeded) {
      this.rebuildNeeded = false
      const fresh = await rebuild({
        view: this.view,
        writers: this.writers,
        membership: this.membership,
        applier: this.applier,
        keys: this.opts.keys
      })
      await this.flushStep(fresh.batch, fresh.changes)
      return true
    }
    const batch = new IndexBatch(this.view)
    const changes: StepChanges = new Map()
    const outcome = await this.applier.fill(batch, changes, STEP_OPS)
    if (outcome === 'rebuild') this.rebuildNeeded = true
    // The retraction reads the index this step writes, so it is a step of its own, right after.
    this.retractionOwed = outcome === 'retract'
    await this.flushStep(batch, changes)
    // Entries under a key this peer does not hold yet wait; the key may be announced further on
    // in a log, past entries that wait on it themselves.
    if (outcome === 'blocked' && this.applier.takeLocked() && (await this.scanner?.scan(this.writers.values()))) {
      return true
    }
    if (outcome === 'retract') {
      const taken = await retract(this.membership.takeCuts(), {
        view: this.view,
        writers: this.writers,
        reader: this.reader
      })
      this.retractionOwed = false
      await this.flushStep(taken.batch, taken.changes)
      // A retraction that changed nothing writes no step, which would wake no one.
      if (taken.batch.size === 0) this.wakeIndexWaiters()
    }
    return outcome === 'retract' || outcome === 'rebuild' || batch.opCount >= STEP_OPS
  }

  /** Lets membership take in the evidence learnt, and opens the logs of members it adds. */
  private async takeEvidence(): Promise<void> {
    if (this.learnt.length === 0) return
    const learnt = this.learnt
    this.learnt = []
    const indexed = (id: string) => this.writers.indexed(id)
    for (const e of learnt) {
      const outcome =
        'succession' in e
          ? this.membership.addSuccession(e.succession, indexed)
          : 'overQuota' in e
            ? this.membership.addQuotaCut(e.overQuota, e.at)
            : this.membership.addForkCut(e.writer, e.at)
      // No cut comes from evidence that a retraction could take: a fork rebuilds.
      if (outcome === 'rebuild') this.rebuildNeeded = true
    }
    for (const id of this.membership.members.keys()) await this.writers.add(id)
  }

  private async flushStep(batch: IndexBatch, changes: StepChanges): Promise<void> {
    if (batch.size === 0) return
    const wiped = await batch.flush(() => {
      this.writers.commitCursors()
      this.opts.landed()
    })
    for (const key of wiped) {
      const id = keyId(key)
      if (!changes.has(id)) changes.set(id, { key, record: null })
    }
    if (changes.size > 0) this.opts.stepped([...changes.values()])
    this.wakeIndexWaiters()
    this.opts.progressed()
  }

  private wakeIndexWaiters(): void {
    if (this.indexWaiters.length === 0 || this.retractionOwed) return
    this.indexWaiters = this.indexWaiters.filter((w) => {
      if (this.writers.committed(w.writer) < w.length) return true
      w.resolve()
      return false
    })
  }
}
