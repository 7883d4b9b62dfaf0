import { EventEmitter } from 'events'
import b4a from 'b4a'
import type Hypercore from 'hypercore'
import { DecodeError, MAX_ENTRY_BYTES, decodeEntry, decodeHeader } from '../log/codec.js'
import type { DataOp, LogEntry } from '../log/entry.js'
import { IndexBatch, type IndexView } from '../view/index-view.js'
import type { Cursor, KeyRecord } from '../view/records.js'
import { keyId, type IdentifiedKey } from '../view/keys.js'
import { RecordCache } from '../view/record-cache.js'
import type { Clock } from './clock.js'
import { addVersion, headsOf, refId, type CitingVersion, type KeyedVersion } from './heads.js'
import { factId, resolveMembership, type Member, type MembershipFact, type Membership } from './membership.js'
import { checkEntry, touchesKey, type Limits } from './validate.js'

/** Ops per index step: large enough to amortise a Hyperbee batch, small enough to stay responsive. */
const STEP_OPS = 4096
const ENTRY_CACHE = 2048
const MAX_REBUILD_PASSES = 8

export interface WriterState {
  key: Uint8Array
  hex: string
  core: Hypercore
  /** Where indexing is, including a step not yet written. */
  cursor: Cursor
  /** Blocks processed by steps already written: what reads of the index reflect. */
  written: number
}

/** A key changed by an index step, with its record after the step (null: no valid version). */
export interface IndexedChange {
  key: Uint8Array
  record: KeyRecord | null
}

export interface IndexerOptions {
  dbKey: Uint8Array
  view: IndexView
  limits: Limits
  /** Opens (and starts downloading) the log of a writer the membership names. */
  openWriter(key: Uint8Array): Promise<Hypercore>
  /** Every clock of an indexed entry, so the local clock stays ahead of what it has seen. */
  observeClock(clock: Clock): void
}

type StepResult = 'blocked' | 'done' | 'retract' | 'rebuild'

/** A data entry of this peer's own, as its versions. */
export interface PrimedEntry {
  clock: Clock
  versions: readonly KeyedVersion[]
}

/**
 * A block held locally, or null. A log can close under the indexer: Hypercore closes every
 * session of a writer that signed two histories. That writer stops being indexed; it must not
 * take the whole index down with it.
 */
async function readBlock(core: Hypercore, seq: number): Promise<Uint8Array | null> {
  if (core.closed) return null
  try {
    return await core.get(seq, { wait: false })
  } catch (err) {
    if (core.closed) return null
    throw err
  }
}

/**
 * Applies writer logs to the index, deterministically. Each entry is indexed once everything
 * it cites has been processed; waiting on one writer never blocks another. The state reached
 * depends only on the set of blocks held, never on their arrival order.
 *
 * Events: 'flushing' when an index step starts writing, 'progress' once it is written (always
 * paired), 'step' (IndexedChange[]) after each written step that changed keys, 'invalid' for each skipped entry, 'membership' when the set of writers or roles changes, 'error' if indexing fails.
 */
export class Indexer extends EventEmitter {
  readonly writers = new Map<string, WriterState>()
  membership: Membership
  private readonly opts: IndexerOptions
  private readonly view: IndexView
  private readonly root: string
  private readonly facts = new Map<string, MembershipFact>()
  private readonly entries = new RecordCache<LogEntry | string>(ENTRY_CACHE)
  private readonly primed = new Map<string, PrimedEntry>()
  private pendingCuts = new Map<string, { from: number; to: number }>()
  private rebuildNeeded = false
  private dirty = false
  private running: Promise<void> | null = null
  private closed = false
  private idleWaiters: Array<() => void> = []
  private indexWaiters: Array<{ hex: string; length: number; resolve: () => void }> = []
  error: Error | null = null

  constructor(opts: IndexerOptions) {
    super()
    this.opts = opts
    this.view = opts.view
    this.root = b4a.toString(opts.dbKey, 'hex')
    this.membership = resolveMembership(this.root, [])
  }

  /** Loads cursors and membership facts, and opens the log of every member. */
  async open(): Promise<void> {
    const cursors = await this.view.cursors()
    for (const fact of await this.view.facts()) this.facts.set(factId(fact.writer, fact.seq), fact)
    this.membership = resolveMembership(this.root, this.facts.values())
    for (const hex of this.membership.members.keys()) await this.addWriter(hex, cursors.get(hex))
  }

  member(hex: string): Member | undefined {
    return this.membership.members.get(hex)
  }

  /**
   * Hands over the versions of a data entry this peer just built and appended: they are valid
   * by construction (ops checked by the API, parents the heads this index holds), so the
   * entry is neither read back, decoded nor checked. After a restart it is read back and
   * checked like any other.
   */
  prime(hex: string, seq: number, entry: PrimedEntry): void {
    this.primed.set(hex + ':' + seq, entry)
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

  /** Resolves once the writer's first `length` blocks are processed and written. */
  indexed(hex: string, length: number): Promise<void> {
    const w = this.writers.get(hex)
    if (w !== undefined && w.written >= length) return Promise.resolve()
    return new Promise((resolve) => this.indexWaiters.push({ hex, length, resolve }))
  }

  close(): void {
    this.closed = true
  }

  private async addWriter(hex: string, cursor?: Cursor): Promise<void> {
    if (this.writers.has(hex)) return
    const key = b4a.from(hex, 'hex')
    const core = await this.opts.openWriter(key)
    if (this.writers.has(hex)) return
    const start = cursor ?? { indexed: 0, invalid: 0, foreign: false }
    this.writers.set(hex, { key, hex, core, cursor: start, written: start.indexed })
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
        this.emit('error', err)
      }
    } finally {
      this.running = null
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const resolve of waiters) resolve()
    }
  }

  /** One index step: one Hyperbee batch. Returns whether more work is known to be ready. */
  private async drainStep(): Promise<boolean> {
    if (this.rebuildNeeded) return this.rebuild()
    const batch = this.view.batch()
    const changes = new Map<string, IndexedChange>()
    const outcome = await this.fill(batch, changes, STEP_OPS)
    await this.commit(batch, changes)
    if (outcome === 'retract') await this.retract()
    return outcome === 'retract' || outcome === 'rebuild' || batch.opCount >= STEP_OPS
  }

  /** Processes ready entries of every member into the batch, until blocked or full. */
  private async fill(batch: IndexBatch, changes: Map<string, IndexedChange>, maxOps: number): Promise<StepResult> {
    let any = false
    for (;;) {
      let round = false
      for (const w of [...this.writers.values()]) {
        while (batch.opCount < maxOps) {
          const result = await this.step(w, batch, changes)
          if (result === 'blocked') break
          any = round = true
          if (result !== 'done') return result
        }
        if (batch.opCount >= maxOps) return 'done'
      }
      if (!round) return any ? 'done' : 'blocked'
    }
  }

  private async commit(batch: IndexBatch, changes: Map<string, IndexedChange>): Promise<void> {
    if (batch.size === 0) return
    this.emit('flushing')
    await batch.flush()
    if (changes.size > 0) this.emit('step', [...changes.values()])
    this.wakeIndexWaiters()
  }

  private wakeIndexWaiters(): void {
    // Called right after a step is written, before the next one starts: cursors are written.
    for (const w of this.writers.values()) w.written = w.cursor.indexed
    this.emit('progress')
    if (this.indexWaiters.length === 0) return
    this.indexWaiters = this.indexWaiters.filter((w) => {
      const writer = this.writers.get(w.hex)
      if (writer === undefined || writer.written < w.length) return true
      w.resolve()
      return false
    })
  }

  private async readEntry(w: WriterState, seq: number): Promise<LogEntry | string | null> {
    const id = w.hex + ':' + seq
    const cached = this.entries.get(id)
    if (cached !== undefined) return cached
    const block = await readBlock(w.core, seq)
    if (block === null) return null
    let entry: LogEntry | string
    try {
      // Sized before decoding: a remote block is not bounded by the local append limit.
      if (block.byteLength > MAX_ENTRY_BYTES) throw new DecodeError('entry-too-large')
      entry = decodeEntry(block)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      entry = err.reason
    }
    this.entries.set(id, entry)
    return entry
  }

  private skipInvalid(w: WriterState, batch: IndexBatch, seq: number, reason: string): StepResult {
    w.cursor.indexed = seq + 1
    w.cursor.invalid++
    batch.putInvalid(w.key, seq, reason)
    batch.setCursor(w.key, w.cursor)
    batch.opCount++
    this.emit('invalid', { writer: w.key, seq, reason })
    return 'done'
  }

  private async step(w: WriterState, batch: IndexBatch, changes: Map<string, IndexedChange>): Promise<StepResult> {
    const seq = w.cursor.indexed
    const member = this.member(w.hex)
    if (member === undefined || w.cursor.foreign || seq >= w.core.length) return 'blocked'

    if (seq >= member.cut) {
      // Past the cut nothing counts; these blocks are processed without being read.
      w.cursor.indexed = w.core.length
      batch.setCursor(w.key, w.cursor)
      return 'done'
    }

    if (seq === 0) {
      const block = await readBlock(w.core, 0)
      if (block === null) return 'blocked'
      let db: Uint8Array | null = null
      try {
        db = decodeHeader(block).db
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err
      }
      if (db === null || !b4a.equals(db, this.opts.dbKey)) {
        w.cursor.foreign = true
        return this.skipInvalid(w, batch, 0, db === null ? 'bad-header' : 'foreign-header')
      }
      w.cursor.indexed = 1
      batch.setCursor(w.key, w.cursor)
      return 'done'
    }

    const entryId = w.hex + ':' + seq
    const primed = this.primed.get(entryId)
    if (primed !== undefined) {
      this.primed.delete(entryId)
      // Usually cached since the write looked its keys up; a busy cache may have let them go.
      await this.preload(batch, primed.versions)
      for (const { key, id, version } of primed.versions) await this.apply(batch, changes, key, id, version)
      this.advance(w, batch, seq, primed.clock, primed.versions.length)
      return 'done'
    }

    const entry = await this.readEntry(w, seq)
    if (entry === null) return 'blocked'
    if (typeof entry === 'string') return this.skipInvalid(w, batch, seq, entry)

    const reason = checkEntry(entry, w.key, seq, this.opts.limits)
    if (reason !== null) return this.skipInvalid(w, batch, seq, reason)

    for (const op of entry.ops) {
      if (op.type !== 'put' && op.type !== 'del') continue
      for (const parent of op.parents) {
        const pw = this.writers.get(b4a.toString(parent.writer, 'hex'))
        // A parent that may still arrive makes this entry (and only this writer) wait.
        if (pw === undefined || pw.cursor.indexed <= parent.seq) return 'blocked'
        const cited = await this.readEntry(pw, parent.seq)
        if (cited === null) return 'blocked'
        if (typeof cited === 'string' || !touchesKey(cited, op.key)) return this.skipInvalid(w, batch, seq, 'bad-parent')
      }
    }

    let outcome: StepResult = 'done'
    const membershipOps = entry.ops.filter((op) => op.type === 'add-writer' || op.type === 'remove-writer')
    if (membershipOps.length > 0) {
      const fact: MembershipFact = {
        writer: w.hex,
        seq,
        clock: entry.clock,
        ops: membershipOps.map((op) =>
          op.type === 'add-writer'
            ? { type: 'add-writer', key: b4a.toString(op.key, 'hex'), role: op.role }
            : { type: 'remove-writer', key: b4a.toString(op.key, 'hex'), length: op.length }
        )
      }
      this.facts.set(factId(w.hex, seq), fact)
      batch.putFact(w.key, fact)
      outcome = await this.updateMembership(factId(w.hex, seq))
      if (outcome === 'rebuild') return outcome
      if (!this.membership.applied.has(factId(w.hex, seq))) {
        this.skipInvalid(w, batch, seq, 'not-allowed')
        return outcome
      }
    }

    const data: Array<IdentifiedKey & { op: DataOp }> = []
    for (const op of entry.ops) if (op.type === 'put' || op.type === 'del') data.push({ key: op.key, id: keyId(op.key), op })
    await this.preload(batch, data)
    for (const { key, id, op } of data) {
      const version = {
        writer: w.key,
        seq,
        clock: entry.clock,
        deleted: op.type === 'del',
        value: op.type === 'put' ? op.value : null,
        parents: op.parents
      }
      await this.apply(batch, changes, key, id, version)
    }
    this.advance(w, batch, seq, entry.clock, entry.ops.length)
    return outcome
  }

  /** Loads, in one range scan, the records of an entry's keys that neither the step nor the cache holds. */
  private async preload(batch: IndexBatch, keys: readonly IdentifiedKey[]): Promise<void> {
    await this.view.prefetch(keys.filter(({ id }) => batch.knownRecord(id) === undefined))
  }

  /** Adds one version to its key's heads; the heads it cites move to the versions space. */
  private async apply(
    batch: IndexBatch,
    changes: Map<string, IndexedChange>,
    key: Uint8Array,
    id: string,
    version: CitingVersion
  ): Promise<void> {
    const known = batch.knownRecord(id)
    const record = known !== undefined ? known : await batch.getRecord(key, id)
    const { heads, superseded } = addVersion(record?.heads ?? [], version)
    const next = { heads }
    batch.setRecord(key, next, id)
    for (const v of superseded) batch.putVersion(key, v)
    changes.set(id, { key, record: next })
  }

  /** Moves the writer's cursor past an entry whose ops are in the batch. */
  private advance(w: WriterState, batch: IndexBatch, seq: number, clock: Clock, ops: number): void {
    batch.opCount += ops
    this.opts.observeClock(clock)
    w.cursor.indexed = seq + 1
    batch.setCursor(w.key, w.cursor)
  }

  /**
   * Recomputes membership after a new fact. New members and additive changes apply at once;
   * a lower cut on entries already indexed needs a retraction; anything that changes the
   * validity of entries already processed (a lost membership, a fact that now counts) needs
   * a rebuild.
   */
  private async updateMembership(current: string): Promise<StepResult> {
    const before = this.membership
    const after = resolveMembership(this.root, this.facts.values())
    this.membership = after

    const processed = (id: string) => {
      const [hex, seq] = id.split(':') as [string, string]
      const w = this.writers.get(hex)
      return id !== current && w !== undefined && Number(seq) < w.cursor.indexed
    }
    const lost = [...before.applied].some((id) => !after.applied.has(id))
    const gained = [...after.applied].some((id) => !before.applied.has(id) && processed(id))
    const dropped = [...before.members.keys()].some((hex) => !after.members.has(hex))
    if (lost || gained || dropped) {
      this.rebuildNeeded = true
      return 'rebuild'
    }

    let outcome: StepResult = 'done'
    for (const [hex, m] of after.members) {
      const w = this.writers.get(hex)
      const old = before.members.get(hex)?.cut ?? Infinity
      if (w !== undefined && m.cut < old && m.cut < w.cursor.indexed) {
        this.pendingCuts.set(hex, { from: m.cut, to: Math.min(old, w.cursor.indexed) })
        outcome = 'retract'
      }
    }
    for (const hex of after.members.keys()) await this.addWriter(hex)
    this.emit('membership')
    return outcome
  }

  /**
   * Removes versions a new cut invalidates and recomputes their keys from the versions that
   * stay valid, so whatever a retracted version had superseded becomes a head again.
   */
  private async retract(): Promise<void> {
    const cuts = this.pendingCuts
    this.pendingCuts = new Map()
    const batch = this.view.batch()
    const changes = new Map<string, IndexedChange>()
    const dirty = new Map<string, Uint8Array>()
    const isRetracted = (writer: Uint8Array, seq: number) => {
      const cut = cuts.get(b4a.toString(writer, 'hex'))
      return cut !== undefined && seq >= cut.from && seq < cut.to
    }

    for (const [hex, { from, to }] of cuts) {
      const w = this.writers.get(hex)!
      const invalid = new Set(await this.view.invalidSeqs(w.key, from))
      for (let seq = from; seq < to; seq++) {
        if (invalid.has(seq)) {
          batch.delInvalid(w.key, seq)
          w.cursor.invalid--
          continue
        }
        const entry = await this.readEntry(w, seq)
        if (entry === null || typeof entry === 'string') continue
        for (const op of entry.ops) {
          if (op.type !== 'put' && op.type !== 'del') continue
          batch.delVersion(op.key, w.key, seq)
          dirty.set(keyId(op.key), op.key)
        }
      }
      batch.setCursor(w.key, w.cursor)
    }

    for (const [id, key] of dirty) {
      const record = await batch.getRecord(key, id)
      const stored = await this.view.versionsOf(key)
      const valid = [...stored, ...(record?.heads ?? [])].filter((v) => !isRetracted(v.writer, v.seq))
      const heads = headsOf(valid)
      const isHead = new Set(heads.map(refId))
      // Keep the invariant: heads live in the key's record, every other valid version in the versions space.
      for (const v of stored) if (isHead.has(refId(v))) batch.delVersion(key, v.writer, v.seq)
      for (const v of record?.heads ?? []) {
        if (!isHead.has(refId(v)) && !isRetracted(v.writer, v.seq)) batch.putVersion(key, v)
      }
      const next = heads.length === 0 ? null : { heads }
      batch.setRecord(key, next, id)
      changes.set(id, { key, record: next })
    }
    await this.commit(batch, changes)
  }

  /**
   * Re-derives the whole index from the logs with the membership known now, in one batch so
   * readers never see it half done. Facts are kept: they are content of the logs, and the
   * membership they resolve to already holds every cut, so nothing being removed is re-indexed.
   */
  private async rebuild(): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      this.rebuildNeeded = false
      this.pendingCuts.clear()
      this.membership = resolveMembership(this.root, this.facts.values())
      for (const hex of this.membership.members.keys()) await this.addWriter(hex)
      for (const w of this.writers.values()) w.cursor = { indexed: 0, invalid: 0, foreign: false }

      const batch = new IndexBatch(this.view, { fresh: true })
      const changes = new Map<string, IndexedChange>()
      let result: StepResult = 'done'
      while (result === 'done' && !this.rebuildNeeded) result = await this.fill(batch, changes, Infinity)
      // A rebuild can reveal entries past an old cut whose facts change membership again:
      // start over with what it learnt. Each pass only adds facts, so this settles quickly.
      if ((result === 'retract' || this.rebuildNeeded) && attempt < MAX_REBUILD_PASSES) {
        continue
      }
      for (const w of this.writers.values()) batch.setCursor(w.key, w.cursor)
      this.emit('flushing')
      for (const key of await batch.flush()) {
        const id = keyId(key)
        if (!changes.has(id)) changes.set(id, { key, record: null })
      }
      this.rebuildNeeded = false
      this.emit('step', [...changes.values()])
      this.emit('membership')
      this.wakeIndexWaiters()
      return true
    }
  }
}
