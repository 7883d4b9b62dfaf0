import type Corestore from 'corestore'
import { carryLogId, copyChanges, copyTree, type CopyHooks } from '../view/index-copy.js'
import type { IndexView } from '../view/index-view.js'
import {
  abandonCompaction,
  indexInUse,
  openIndex,
  startCompaction,
  type ChosenIndex,
  type OpenedStorage
} from './storage.js'

/**
 * Catch-up rounds before the swap: each copies what the index steps changed during the
 * previous one, so the last, done while no step may land, is short. They stop early once a
 * round finds fewer changes than this.
 */
const CATCH_UP_ROUNDS = 4
const FEW_CHANGES = 4096

/**
 * A compaction of the index in use: its live entries (every record of the current tree: data,
 * versions, cursors, facts, invalid entries, the change log) copied in key order into a fresh
 * core, which is then swapped in (`IndexKeeper.compact`). The index holds nothing the db no
 * longer needs; what it sheds is the tree nodes each step rewrote, which only a fresh tree
 * drops. The copy reads its own session of the index, so index steps go on meanwhile.
 */
export class IndexCompaction {
  readonly target: ChosenIndex
  /** Its own view of the index in use, as the layers open one. */
  private readonly view: IndexView
  /** The source's version copied so far. */
  private version = 0

  private constructor(target: ChosenIndex, view: IndexView) {
    this.target = target
    this.view = view
  }

  /** Opens the index in use and a fresh core to copy it into (noted in the settings first). */
  static async start(store: Corestore, storage: OpenedStorage, cacheSize: number): Promise<IndexCompaction> {
    const indexKey = storage.keys.indexKey
    const name = await indexInUse(storage.local)
    const source = openIndex(store, name, indexKey, cacheSize)
    await source.ready()
    const target = await startCompaction(store, storage.local, indexKey, cacheSize)
    return new IndexCompaction(target, source)
  }

  /** Bytes of the index in use (its blocks: entries, each with the tree nodes its step rewrote). */
  get sourceBytes(): number {
    return this.view.bee.core.byteLength
  }

  /** Bytes of the copy. */
  get targetBytes(): number {
    return this.target.view.bee.core.byteLength
  }

  /**
   * Copies the index as it is now, then, in rounds, what the steps that landed meanwhile
   * changed. Returns the entries of the first copy.
   */
  async copy(hooks: CopyHooks): Promise<number> {
    this.version = this.view.bee.core.length
    const entries = await copyTree(this.view.bee, this.version, this.target.view.bee, hooks)
    for (let round = 0; round < CATCH_UP_ROUNDS; round++) {
      hooks.check()
      if ((await this.catchUp()) < FEW_CHANGES) break
    }
    return entries
  }

  /**
   * Copies what changed since the last copy, and the change log's name. Called last, once no
   * index step can land on the source: the copy then holds exactly the source's state.
   */
  async finish(): Promise<void> {
    await this.catchUp()
    await carryLogId(this.view.bee, this.target.view.bee)
  }

  private async catchUp(): Promise<number> {
    const to = this.view.bee.core.length
    const changed = await copyChanges(this.view.bee, this.version, to, this.target.view.bee)
    this.version = to
    return changed
  }

  /** The compaction stopped before its swap: the copy is freed. */
  async abandon(store: Corestore, storage: OpenedStorage): Promise<void> {
    await abandonCompaction(store, storage.local, this.target)
  }

  /** Closes the session of the source (the layers have their own). */
  close(): Promise<void> {
    return this.view.close()
  }
}
