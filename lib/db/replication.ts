import b4a from 'b4a'
import type Hypercore from 'hypercore'
import type { Indexer } from '../indexer/indexer.js'
import type { LogSource } from '../indexer/log-reader.js'
import { writerId, writerKeyOf } from '../model/ids.js'
import { askLength, knownLength, replicaProgress, replicated, syncProgress } from '../net/sync-progress.js'
import type { Member } from '../model/membership.js'
import type { Status, SyncProgress, WriterInfo } from '../types.js'
import type { BudgetAccount } from './download-budget.js'
import type { QuotaBook } from './quota.js'

export interface ReplicationOptions {
  /** This peer's writer log, appended to here (and downloaded only what a copy of it wrote). */
  ownLog: Hypercore
  /** Its connected peers are the peers of the db. */
  rootLog: Hypercore
  /** Opens a writer log that is not this peer's own. */
  open(key: Uint8Array): Hypercore
  /** A writer log changed (an append, a download): index what became ready. */
  changed(): void
  /** Hypercore met a second history of this writer's log, differing at `length`. */
  conflict(writer: Uint8Array, length: number): void
  /** A block of a forked writer's log kept apart (Hypercore no longer replicates it), or null. */
  salvaged(writer: string, seq: number): Promise<Uint8Array | null>
  /** Bytes of one writer's log this peer downloads at most. */
  maxWriterBytes: number
  /** Where writers past the quota are cut, kept across opens. */
  quota: QuotaBook
  /** A writer's log grew past the quota: it is cut at block `at`. */
  overQuota(writer: string, at: number): void
  indexer: Indexer
  /** Blocks of this peer's log that reads see: its writes are readable once appended. */
  ownReadable(): number
  /** Where the bytes held count against a limit shared with other dbs (a Seeder's); null: none. */
  account: BudgetAccount | null
}

/**
 * The writer logs as replicas: every member's log is downloaded in full and kept live (every
 * full peer serves every log, so any single node can fail without data loss), `update()`
 * catches up with what connected peers have, and status reports how far each log got.
 */
export class Replication {
  private readonly opts: ReplicationOptions
  /** The session each member's log is read through now. */
  private readonly logs = new Map<string, Hypercore>()
  private readonly opening = new Map<string, Promise<void>>()
  private readonly sources = new Map<string, LogSource>()
  private readonly downloads = new Map<string, { destroy(): void }>()
  /** The range each log is to be downloaded to, kept while a spent budget holds downloads back. */
  private readonly wanted = new Map<string, { core: Hypercore; end: number }>()
  private readonly onBudget = () => this.budgetChanged()
  /** Writers whose blocks past a removal were freed. */
  private readonly pruned = new Set<string>()
  private closed = false

  constructor(opts: ReplicationOptions) {
    this.opts = opts
    const id = writerId(opts.ownLog.key)
    this.logs.set(id, opts.ownLog)
    // A copy of this peer's storage (a backup restored while the original lived on) may have
    // written on: Hypercore takes that longer history as this log's, and its blocks count here
    // as any writer's do. A copy that went on from an equal length is a second history: this
    // peer's log is closed by Hypercore then, and the fork is sought as any writer's.
    opts.ownLog.on('download', opts.changed)
    opts.ownLog.on('conflict', (length) => opts.conflict(opts.ownLog.key, length))
    this.count(opts.ownLog, true)
    opts.account?.budget.on('change', this.onBudget)
    this.download(id, opts.ownLog, -1)
  }

  /** Counts what a log downloads against the budget, and (`fresh`) what it holds already. */
  private count(core: Hypercore, fresh: boolean): void {
    const { account } = this.opts
    if (account === null) return
    if (fresh) account.add(core.contiguousByteLength)
    core.on('download', (_index, bytes) => account.add(bytes))
  }

  /** The shared budget was spent, or bytes were freed: downloads stop, or go on. */
  private budgetChanged(): void {
    if (this.closed) return
    for (const [id, { core, end }] of this.wanted) this.download(id, core, end)
  }

  /**
   * The log of a member, opened and downloading; the indexer reads members through this. What
   * it returns reads whichever session is current: Hypercore closes every session of a log that
   * signed two histories, and the log is opened again (its blocks are still held).
   */
  async openLog(key: Uint8Array): Promise<LogSource> {
    const id = writerId(key)
    if (!this.logs.has(id)) {
      if (!this.opening.has(id)) this.opening.set(id, this.follow(id, key))
      await this.opening.get(id)
    }
    let source = this.sources.get(id)
    if (source === undefined) {
      const logs = this.logs
      source = {
        get length() {
          return logs.get(id)?.length ?? 0
        },
        get closed() {
          return logs.get(id)?.closed ?? true
        },
        get: async (seq, opts) => (await logs.get(id)!.get(seq, opts)) ?? this.opts.salvaged(id, seq)
      }
      this.sources.set(id, source)
    }
    return source
  }

  private async follow(id: string, key: Uint8Array): Promise<void> {
    const core = this.opts.open(key)
    await core.ready()
    this.logs.set(id, core)
    core.on('append', this.opts.changed)
    core.on('download', this.opts.changed)
    core.on('conflict', (length) => this.opts.conflict(key, length))
    // A log opened again after Hypercore closed it holds what it held: counted once.
    this.count(core, !this.wanted.has(id))
    core.once('close', () => {
      if (this.closed || this.logs.get(id) !== core) return
      this.follow(id, key).then(this.opts.changed, () => {})
    })
    const check = () => void this.checkQuota(id, core).catch(() => {})
    core.on('append', check)
    this.download(id, core, this.opts.quota.cuts.get(id) ?? -1)
    check()
  }

  /** Downloads a log in full and live (`end` -1), or up to a quota cut; not while the budget is spent. */
  private download(id: string, core: Hypercore, end: number): void {
    this.wanted.set(id, { core, end })
    this.downloads.get(id)?.destroy()
    this.downloads.delete(id)
    if (this.opts.account?.budget.spent) return
    this.downloads.set(id, core.download({ start: 0, end }))
  }

  /**
   * One writer cannot fill every peer's disk: once its log (as its signed head says, before
   * any block of it is fetched) passes `maxWriterBytes`, it is cut at the block holding that
   * byte, and nothing past it is downloaded or kept. Peers with the same quota cut it alike.
   */
  private async checkQuota(id: string, core: Hypercore): Promise<void> {
    const { maxWriterBytes, quota } = this.opts
    if (quota.cuts.has(id) || core === this.opts.ownLog || core.byteLength <= maxWriterBytes) return
    const found = await core.seek(maxWriterBytes)
    if (found === null || quota.cuts.has(id) || this.closed) return
    const [at] = found
    await quota.record(id, at)
    this.download(id, core, at)
    this.opts.overQuota(id, at)
    // Blocks that arrived before the quota was seen crossed are let go too.
    if (at < core.length) await core.clear(at, core.length)
  }

  /**
   * Frees what removed writers wrote past their cut: it never counts, and no peer needs it
   * from this one. Called as membership changes.
   */
  async prune(members: ReadonlyMap<string, Member>): Promise<void> {
    for (const [id, m] of members) {
      const core = this.logs.get(id)
      if (!m.removed || this.pruned.has(id) || core === undefined || core === this.opts.ownLog) continue
      this.pruned.add(id)
      this.download(id, core, m.cut)
      if (m.cut < core.length) await core.clear(m.cut, core.length).catch(() => {})
    }
  }

  /** A member's log, if it was opened. */
  log(id: string): Hypercore | undefined {
    return this.logs.get(id)
  }

  /** Peers replicating this db over `replicate()` streams or the swarm. */
  get peers(): number {
    return this.opts.rootLog.peers.length
  }

  /**
   * Resolves once everything the connected peers had at the call is downloaded and indexed,
   * including the logs of writers discovered on the way.
   */
  async catchUp(): Promise<void> {
    const { indexer } = this.opts
    for (;;) {
      const known = indexer.writers.size
      const logs = [...this.logs]
      // Learn what the connected peers have now, every log at once (this returns at once with no
      // peer). Hypercore's ask waits while a log's channel to a connected peer is still opening,
      // and a peer that does not hold the log refuses the channel at once: no log waits for a
      // peer that cannot give it anything. A log Hypercore froze on meeting a second history asks
      // no peer for anything: waiting for its update would never end (the fork, once proven,
      // decides what of it counts).
      const asking = logs.filter(([, c]) => c !== this.opts.ownLog && !c.core.header.frozen)
      await Promise.all(asking.map(([, c]) => askLength(c)))
      const targets = logs.map(([id, c]) => ({ id, core: c, target: this.downloadTarget(id, c) }))
      await this.untilSpent(Promise.all(targets.map(({ core, target }) => replicated(core, target))))
      indexer.trigger()
      await this.indexedUpTo(targets)
      if (indexer.error !== null) throw indexer.error
      // Writers discovered on the way are caught up too.
      if (indexer.writers.size === known) return
    }
  }

  /**
   * Resolves once the blocks of each log that `update()` waited for are indexed, or once the
   * indexer has nothing left it can index (an entry may wait on a log no peer gave). Not the
   * indexer's first idle moment alone: while peers keep sending, it is never idle, and a call
   * would wait for everything sent after it too.
   */
  private async indexedUpTo(targets: Array<{ id: string; core: Hypercore; target: number }>): Promise<void> {
    const { indexer } = this.opts
    const indexed = targets.map(({ id, core, target }) => indexer.indexed(id, Math.min(target, core.contiguousLength)))
    await Promise.race([Promise.all(indexed), indexer.idle()])
  }

  /** Waits for `work`, or until the shared budget is spent: downloads stop then, what is held is all there is. */
  private async untilSpent(work: Promise<unknown>): Promise<void> {
    const budget = this.opts.account?.budget
    if (budget === undefined) {
      await work
      return
    }
    let onChange = () => {}
    const spent = new Promise<void>((resolve) => {
      onChange = () => {
        if (budget.spent) resolve()
      }
    })
    budget.on('change', onChange)
    onChange()
    try {
      await Promise.race([work, spent])
    } finally {
      budget.off('change', onChange)
    }
  }

  /**
   * How much of a log `update()` waits for: the blocks that count. Nothing past a cut is
   * downloaded, and a forked log's copy stops where Hypercore saw the other history (what both
   * share below the fork comes salvaged, over the evidence channel), proven or not yet.
   */
  private downloadTarget(id: string, core: Hypercore): number {
    // Hypercore downloads nothing more of a log it froze, before the fork is proven here too.
    if (core.core.header.frozen) return 0
    // Past the budget nothing more is downloaded: what is held is all there will be.
    if (this.opts.account?.budget.spent) return core.contiguousLength
    const member = this.opts.indexer.membership.member(id)
    if (member === undefined) return knownLength(core)
    if (member.forked) return 0
    return Math.min(knownLength(core), member.cut)
  }

  /** Every member with how far its log got; this peer's own writes count as indexed once readable. */
  writers(): WriterInfo[] {
    const { indexer } = this.opts
    const own = writerId(this.opts.ownLog.key)
    const out: WriterInfo[] = []
    for (const [id, m] of indexer.membership.members) {
      const log = this.logs.get(id)
      const progress = log === undefined ? { length: 0, downloaded: 0 } : replicaProgress(log)
      const indexed = id === own ? Math.max(indexer.committed(id), this.opts.ownReadable()) : indexer.committed(id)
      const cut = m.cut === Infinity ? null : m.cut
      out.push({
        key: writerKeyOf(id),
        role: m.role,
        ...progress,
        indexed,
        removed: m.removed,
        forked: m.forked,
        overQuota: m.overQuota,
        cut
      })
    }
    return out
  }

  status(key: string, writable: boolean, peers: number): Omit<Status, 'reindexing' | 'encryption'> {
    const own = this.opts.ownLog.key
    const writers = this.writers()
    return {
      key,
      writable,
      peers,
      writers,
      invalid: this.opts.indexer.invalid,
      // This peer's own entries are readable (the overlay) before they are indexed.
      pending: writers
        .filter((w) => !b4a.equals(w.key, own))
        .reduce((n, w) => n + Math.max(0, w.downloaded - w.indexed), 0)
    }
  }

  progress(peers: number): SyncProgress {
    return syncProgress(peers, this.writers())
  }

  /** Stops the downloads and closes the logs this opened (the storage owns its own and the root's). */
  async close(): Promise<void> {
    this.closed = true
    for (const d of this.downloads.values()) d.destroy()
    this.opts.account?.budget.off('change', this.onBudget)
    // The layers that replace these (a rebuilt index) count again what is held.
    this.opts.account?.release()
    const { ownLog, rootLog } = this.opts
    const opened = [...this.logs.values()].filter((log) => log !== ownLog && log !== rootLog)
    await Promise.all(opened.map((log) => log.close().catch(() => {})))
  }
}
