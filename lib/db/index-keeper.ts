import type Corestore from 'corestore'
import { PeerBeeError } from '../errors.js'
import type { CompactOptions, CompactResult, Key, ReindexProgress } from '../types.js'
import { IndexCompaction } from './compaction.js'
import { wireLayers, type Layers, type LayersHost } from './layers.js'
import { chooseIndex, freeRetired, markStale, swapIndex, type ChosenIndex, type OpenedStorage } from './storage.js'

export interface IndexKeeperOptions<K extends Key, V> {
  store: Corestore
  storage: OpenedStorage
  host: LayersHost<K, V>
  /** How long a call waits for a rebuild before it gives up with `INDEX_REBUILDING`. */
  rebuildTimeout: number
  /** Bytes the index view in use may cache: each index, rebuilt or not, has a cache of its own. */
  cacheSize: number
  /** Progress of a rebuild, and its end. */
  reindexed(progress: ReindexProgress): void
  /** The index cannot be served at all: the db stops with this error. */
  failed(err: Error): void
  /** Throws once the db is closing or failed. */
  check(): void
}

/**
 * Keeps the layers that serve the db over a healthy index. The index is a cache of the logs:
 * when it is damaged, of an older format, or asked to (`reindex()`), a new index is built from
 * the logs in a fresh core, as a new peer builds one, and swapped in once it has caught up
 * (a crash in between resumes the build on the next open). Meanwhile calls wait for it,
 * bounded by `rebuildTimeout`; none is served from an index that could be wrong.
 */
export class IndexKeeper<K extends Key, V> {
  private readonly opts: IndexKeeperOptions<K, V>
  private layers: Layers | null = null
  private serving = false
  private rebuild: Promise<void> | null = null
  private compaction: Promise<CompactResult> | null = null
  private progressNow: ReindexProgress | null = null

  constructor(opts: IndexKeeperOptions<K, V>) {
    this.opts = opts
  }

  /** The layers, once they serve: the hot paths use them without waiting. */
  get ready(): Layers | null {
    return this.serving ? this.layers : null
  }

  /** The layers being built or serving: status and progress read them at any time. */
  get current(): Layers | null {
    return this.layers
  }

  /** Set while a rebuild runs. */
  get progress(): ReindexProgress | null {
    return this.progressNow
  }

  /** A rebuild runs or is about to: the layers a call started on may close under it. */
  get rebuilding(): boolean {
    return this.rebuild !== null
  }

  /**
   * Opens the index in use, caught up with every block held; or, when it cannot serve, starts
   * a rebuild and resolves at once (calls then wait for the rebuild).
   */
  async open(): Promise<void> {
    const chosen = await this.choose()
    if (chosen.replaces !== null) {
      this.startRebuild(chosen)
      return
    }
    this.layers = await wireLayers(this.opts.host, this.opts.storage, chosen.view)
    try {
      await this.layers.catchUp()
    } catch (err) {
      // Damage further in than the header shows is found by the first step that reads it.
      if (!isCorruption(err)) throw err
      this.repair()
      return
    }
    this.serving = true
  }

  /** The serving layers, after a rebuild if one runs (bounded). */
  async serve(): Promise<Layers> {
    const rebuild = this.rebuild
    if (!this.serving && rebuild !== null) {
      const timeout = this.opts.rebuildTimeout
      let timer: NodeJS.Timeout | undefined
      const expired = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(PeerBeeError.INDEX_REBUILDING(timeout)), timeout)
      })
      try {
        await Promise.race([rebuild, expired])
      } finally {
        clearTimeout(timer)
      }
    }
    this.opts.check()
    return this.layers!
  }

  /**
   * Rebuilds the index from the logs now; resolves once the new index serves. `between` runs
   * once the old layers closed and before the new ones open: nothing reads or writes then.
   */
  async reindex(between?: () => Promise<void>): Promise<void> {
    while (this.rebuild !== null) await this.rebuild
    this.rebuild = this.replace(between)
    await this.rebuild
    this.opts.check()
  }

  /**
   * Compacts the index: copies its live entries into a fresh core while it goes on serving,
   * then, for as long as an index step takes, stops the layers as a rebuild does (calls wait),
   * copies what the last steps changed, swaps the copy in and frees the old core. One at a
   * time; one asked for during a rebuild runs after it.
   */
  async compact(opts: CompactOptions = {}): Promise<CompactResult> {
    for (;;) {
      if (this.rebuild !== null) await this.rebuild
      else if (this.compaction !== null) await this.compaction.catch(() => {})
      else break
    }
    this.opts.check()
    const run = this.runCompaction(opts)
    this.compaction = run
    try {
      return await run
    } finally {
      if (this.compaction === run) this.compaction = null
    }
  }

  private async runCompaction(opts: CompactOptions): Promise<CompactResult> {
    const base = await this.serve()
    const { store, storage } = this.opts
    const compaction = await IndexCompaction.start(store, storage, this.opts.cacheSize)
    const bytesBefore = compaction.sourceBytes
    let entries: number
    try {
      entries = await compaction.copy({
        copied: (copied) => opts.progress?.({ copied, done: false }),
        check: () => this.opts.check()
      })
      // A rebuild that started meanwhile replaces the index this copy was taken of.
      if (this.layers !== base || this.rebuild !== null) throw PeerBeeError.INDEX_REBUILDING(0)
    } catch (err) {
      await compaction.close()
      await compaction.abandon(store, storage).catch(() => {})
      throw err
    }
    this.rebuild = this.swapCompacted(base, compaction)
    await this.rebuild
    this.opts.check()
    const result = { entries, bytesBefore, bytesAfter: compaction.targetBytes }
    opts.progress?.({ copied: entries, done: true })
    await freeRetired(store, storage.local)
    return result
  }

  /** Stops the layers, copies the last changes, swaps the copy in and serves from it. */
  private async swapCompacted(old: Layers, compaction: IndexCompaction): Promise<void> {
    this.serving = false
    this.layers = null
    try {
      await old.close()
      this.opts.check()
      await compaction.finish()
      await compaction.close()
      await swapIndex(this.opts.storage.local, compaction.target)
      this.layers = await wireLayers(this.opts.host, this.opts.storage, compaction.target.view)
      await this.layers.catchUp()
      this.opts.check()
      this.serving = true
    } catch (err) {
      this.stopped(err)
    } finally {
      this.rebuild = null
    }
  }

  /** A read or an index step found the index damaged: rebuild it, once. */
  repair(): void {
    if (this.rebuild === null) this.rebuild = this.replace()
  }

  /** Closes the layers, serving or being built; a rebuild in progress stops (the next open resumes it). */
  async close(): Promise<void> {
    this.serving = false
    const layers = this.layers
    this.layers = null
    if (layers !== null) await layers.close()
    if (this.rebuild !== null) await this.rebuild
    if (this.compaction !== null) await this.compaction.catch(() => {})
  }

  private choose(): Promise<ChosenIndex> {
    const { store, storage, cacheSize } = this.opts
    return chooseIndex(store, storage.local, storage.keys.indexKey, cacheSize)
  }

  /** Marks the index in use stale, so a crash cannot bring it back, and builds its replacement. */
  private async replace(between?: () => Promise<void>): Promise<void> {
    this.serving = false
    const old = this.layers
    this.layers = null
    this.progressNow = { indexed: 0, total: 0, done: false }
    try {
      if (old !== null) await old.close()
      if (between !== undefined) await between()
      await markStale(this.opts.storage.local)
      this.opts.check()
      await this.build(await this.choose())
    } catch (err) {
      this.stopped(err)
    } finally {
      this.rebuild = null
    }
  }

  private startRebuild(chosen: ChosenIndex): void {
    this.progressNow = { indexed: 0, total: 0, done: false }
    this.rebuild = this.build(chosen).then(
      () => {
        this.rebuild = null
      },
      (err: unknown) => {
        this.rebuild = null
        this.stopped(err)
      }
    )
  }

  private async build(chosen: ChosenIndex): Promise<void> {
    const layers = await wireLayers(this.opts.host, this.opts.storage, chosen.view)
    try {
      this.opts.check()
    } catch (err) {
      await layers.close()
      throw err
    }
    this.layers = layers
    await layers.catchUp()
    this.opts.check()
    await swapIndex(this.opts.storage.local, chosen)
    this.serving = true
    this.report(true)
    this.progressNow = null
    await freeRetired(this.opts.store, this.opts.storage.local)
  }

  /** Called after each step of a rebuild. */
  report(done = false): void {
    const layers = this.layers
    if (layers === null || this.progressNow === null) return
    let indexed = 0
    let total = 0
    for (const w of layers.replication.writers()) {
      indexed += w.indexed
      total += w.downloaded
    }
    this.progressNow = { indexed: Math.min(indexed, total), total, done }
    this.opts.reindexed(this.progressNow)
  }

  private stopped(err: unknown): void {
    this.progressNow = null
    // Closing stops a rebuild on purpose; the next open resumes it.
    try {
      this.opts.check()
    } catch {
      return
    }
    this.opts.failed(err instanceof Error ? err : new Error(String(err)))
  }
}

/** Damage of the local index, reported by a read or by the index step that met it. */
export function isCorruption(err: unknown): boolean {
  if (!(err instanceof PeerBeeError)) return false
  if (err.code === 'STORAGE_CORRUPT') return true
  return err.code === 'INDEX_FAILED' && isCorruption(err.cause)
}
