import type { Duplex } from 'stream'
import Corestore from 'corestore'
import type Hypercore from 'hypercore'
import { PeerBeeError } from '../errors.js'
import { HybridClock } from '../log/hybrid-clock.js'
import type { KeyPair } from '../net/create-swarm.js'
import type { Network } from '../net/network.js'
import type { CompactOptions, CompactResult, CorestoreLike, Key, PeerBeeEvents, Status } from '../types.js'
import { ChangeFeed } from './change-feed.js'
import { Encodings } from './encoding.js'
import { EvidenceKeeper } from './evidence-keeper.js'
import { IndexKeeper, isCorruption } from './index-keeper.js'
import { decodeDbKey, decodeEncryptionKey } from './key-input.js'
import { reshareOp } from './key-sharing.js'
import type { DataHost } from './key-space.js'
import type { Layers } from './layers.js'
import { Lifecycle } from './lifecycle.js'
import {
  DEFAULT_MAX_BATCH_OPS,
  DEFAULT_MAX_KEY_SIZE,
  DEFAULT_MAX_VALUE_SIZE,
  DEFAULT_MAX_WRITER_BYTES,
  DEFAULT_REBUILD_TIMEOUT,
  cacheSizeOf,
  type PeerBeeOptions,
  type SeededOptions
} from './options.js'
import { Overlay } from './overlay.js'
import { openAccess, peerOptions, type PeerAccess, type PeerOptions } from './peer-access.js'
import { recoverStorage, storageMoved } from './recovery.js'
import { ReplicationStreams } from './replication-streams.js'
import { openStorage, openStore, storeIn, type OpenedStorage } from './storage.js'
import { WriterRotation } from './writer-rotation.js'

/** What the core tells the db it runs: its events, and whether anyone listens to one. */
export interface CoreEvents {
  emit<E extends keyof PeerBeeEvents>(event: E, ...args: PeerBeeEvents[E]): boolean
  listenerCount(event: keyof PeerBeeEvents): number
}

/**
 * What a `PeerBee` runs on: it opens the storage (recovering a copied one), wires the layers
 * (who may connect, evidence, writer rotation, the index keeper and through it the write path,
 * read path, indexer and replication), guards every call (`live`, `repaired`) and reports
 * status. `PeerBee` is the public API over it.
 */
export class DbCore<K extends Key, V> {
  readonly opts: SeededOptions
  readonly enc: Encodings<K, V>
  private readonly maxBatchOps: number
  /** Bytes each index view may cache (`cacheSize`). */
  private readonly cacheSize: number
  /** The store: made by the constructor, or by the open when it may have to recover the storage first. */
  private made: Corestore | null
  /** How errors name the storage. */
  private readonly where: string
  /** The storage directory; null for an app's own Corestore. */
  private readonly dir: string | null
  /** This open recovered a copied or restored storage (`recover`). */
  recovered = false
  readonly lifecycle = new Lifecycle(
    () => this.open(),
    () => this.feed.end()
  )
  private readonly clock: HybridClock
  private readonly feed = new ChangeFeed()
  private readonly overlay = new Overlay()
  private readonly streams = new ReplicationStreams()
  storage: OpenedStorage | null = null
  keeper: IndexKeeper<K, V> | null = null
  private rotation: WriterRotation | null = null
  private sharing = false
  network: Network | null = null
  readonly peerOpts: PeerOptions
  access: PeerAccess | null = null
  /** The key pair of the swarm `join()` makes; null with the app's own swarm. */
  swarmKeys: KeyPair | null = null

  private readonly events: CoreEvents

  constructor(storage: string | CorestoreLike, opts: PeerBeeOptions, events: CoreEvents) {
    this.opts = opts
    this.events = events
    this.enc = new Encodings<K, V>(
      opts.keyEncoding ?? 'utf-8',
      opts.valueEncoding ?? 'json',
      opts.maxKeySize ?? DEFAULT_MAX_KEY_SIZE,
      opts.maxValueSize ?? DEFAULT_MAX_VALUE_SIZE
    )
    this.maxBatchOps = opts.maxBatchOps ?? DEFAULT_MAX_BATCH_OPS
    this.cacheSize = cacheSizeOf(opts)
    this.peerOpts = peerOptions(opts)
    // Made here so replicate() works before ready(), as corestore's does; so a folder holding
    // other files throws STORAGE_NOT_EMPTY here, before Corestore sees it.
    ;({ store: this.made, where: this.where, dir: this.dir } = openStore(storage, opts.recover === true))
    this.clock = new HybridClock(opts.now ?? Date.now)
    this.lifecycle.on('ready', () => events.emit('ready'))
    this.lifecycle.on('close', () => events.emit('close'))
    // Registered here, not in the open: a db closed before it was opened closes its store too.
    this.lifecycle.onClosing(() => this.made?.close())
    this.lifecycle.onClosing(() => this.streams.close())
  }

  get store(): Corestore {
    if (this.made === null)
      throw PeerBeeError.INVALID_ARGUMENT('A db opened with recover replicates once ready() resolved')
    return this.made
  }

  required(): OpenedStorage {
    if (this.storage === null) throw PeerBeeError.INVALID_ARGUMENT('Await db.ready() before reading this property')
    return this.storage
  }

  private async open(): Promise<void> {
    const { lifecycle } = this
    if (this.made === null && this.dir !== null) {
      if (await storageMoved(this.dir)) {
        await recoverStorage(this.dir, this.opts.now ?? Date.now)
        this.recovered = true
      }
      this.made = storeIn(this.dir)
    }
    const { key, encrypt, encryptionKey } = this.opts
    const storage = await openStorage(
      this.store,
      {
        key: key === undefined ? null : decodeDbKey(key),
        encrypt: encrypt === true,
        encryptionKey: encryptionKey === undefined ? null : decodeEncryptionKey(encryptionKey)
      },
      this.where
    )
    this.storage = storage
    storage.rootLog.on('peer-add', (peer) => this.events.emit('peer-add', { publicKey: peer.remotePublicKey }))
    const opened = await openAccess(this.store, storage, { ...this.peerOpts, swarm: this.opts.swarm }, (writer) => {
      const member = this.keeper?.current?.indexer.membership.member(writer)
      // A writer over this peer's quota is still a member: only its log past the quota is not read.
      return this.keeper?.current ? member !== undefined && !member.removed && !member.forked : null
    })
    const access = opened.access
    ;({ access: this.access, keyPair: this.swarmKeys } = opened)
    access.changed = () => this.network?.recheck()
    lifecycle.onClosing(() => access.close())
    // A peer whose root log channel opened holds the db key: it may learn members' bindings.
    storage.rootLog.on('peer-add', (peer) => access.attach(peer.protomux))
    storage.rootLog.on('peer-remove', (peer) => this.events.emit('peer-remove', { publicKey: peer.remotePublicKey }))
    const evidence = new EvidenceKeeper({
      store: this.store,
      storage,
      indexer: () => keeper.current?.indexer ?? null,
      ownForked: (at) => rotation.forked(at),
      salvaged: () => keeper.current?.indexer.trigger()
    })
    lifecycle.onClosing(() => evidence.close())
    const rotation = new WriterRotation({
      store: this.store,
      storage,
      evidence,
      clock: this.clock,
      overlay: this.overlay,
      reindex: (between) => keeper.reindex(between),
      live: () => this.live(),
      failed: (err) => this.stop(err),
      closing: () => this.lifecycle.closing !== null
    })
    this.rotation = rotation
    const keeper: IndexKeeper<K, V> = new IndexKeeper<K, V>({
      store: this.store,
      storage,
      rebuildTimeout: this.opts.rebuildTimeout ?? DEFAULT_REBUILD_TIMEOUT,
      cacheSize: this.cacheSize,
      reindexed: (progress) => {
        // Readers of the change log of the index being replaced must stop.
        this.feed.interrupt()
        this.events.emit('reindex', progress)
      },
      failed: (err) => this.stop(err),
      check: () => lifecycle.check(),
      host: {
        store: this.store,
        enc: this.enc,
        maxBatchOps: this.maxBatchOps,
        maxWriterBytes: this.opts.maxWriterBytes ?? DEFAULT_MAX_WRITER_BYTES,
        clock: this.clock,
        overlay: this.overlay,
        account: this.opts.account ?? null,
        failure: lifecycle.failure,
        check: () => lifecycle.check(),
        // A rebuild re-derives what the index held: no key changes for watchers.
        stepped: (changes) => {
          if (keeper.progress === null) this.feed.publish(changes)
        },
        // Every index step, including one that only changed membership (this peer became writable).
        progressed: () => {
          evidence.retry()
          this.shareKeys()
          access.membersChanged()
          const layers = keeper.current
          if (layers !== null) void layers.replication.prune(layers.indexer.membership.members)
          if (keeper.progress !== null) return keeper.report()
          this.events.emit('update')
          this.emitSync()
        },
        changed: () => this.emitSync(),
        conflict: (writer, length) => void evidence.conflict(writer, length),
        salvaged: (writer, seq) => evidence.salvaged(writer, seq),
        invalid: (info) => this.events.emit('invalid', info),
        // An index core closed under the indexer was met by a copy of this storage writing to
        // it (Hypercore closes a core with two histories): rebuilt, it moves to a fresh core.
        failed: (err) => (isCorruption(err) || this.closedUnder(err) ? keeper.repair() : this.stop(err)),
        interrupted: (err) => {
          if (isCorruption(err)) keeper.repair()
          else if (keeper.rebuilding) return PeerBeeError.INDEX_REBUILDING(0)
          return err
        }
      }
    })
    this.keeper = keeper
    lifecycle.onClosing(() => keeper.close())
    await keeper.open()
    access.membersChanged()
    rotation.resume()
  }

  /**
   * An admin of an encrypted db seals the current key to members no valid op sealed it to,
   * once it has seen their logs (after each index step; one op in flight at a time).
   */
  private shareKeys(): void {
    const keyring = this.storage?.keys.keyring ?? null
    const layers = this.keeper?.ready ?? null
    if (keyring === null || layers === null || this.sharing || layers.writes.role !== 'admin') return
    const op = reshareOp(keyring, layers)
    if (op === null) return
    this.sharing = true
    layers.writes
      .write([op])
      // Closing, or no longer an admin: the next step tries again if it still applies.
      .catch(() => {})
      .finally(() => {
        this.sharing = false
      })
  }

  /** A core closed while the db is not closing. */
  private closedUnder(err: unknown): boolean {
    return (err as { code?: unknown } | null)?.code === 'SESSION_CLOSED' && this.lifecycle.closing === null
  }

  /** Indexing failed: the db stops, and every later call rejects with `INDEX_FAILED`. */
  private stop(err: Error): void {
    const failure = err instanceof PeerBeeError && err.code === 'INDEX_FAILED' ? err : PeerBeeError.INDEX_FAILED(err)
    this.lifecycle.fail(failure)
    this.feed.fail(failure)
    // Reported to whoever listens; every later call rejects with it anyway.
    if (this.events.listenerCount('error') > 0) this.events.emit('error', failure)
  }

  /** The layers when open and serving now: the hot paths skip an await. */
  usable(): Layers | null {
    return this.lifecycle.usable ? (this.keeper?.ready ?? null) : null
  }

  /**
   * Opens the db if needed and waits (bounded) for a rebuild of the index; rejects once the db
   * is closing or failed. The guard of every call.
   */
  async live(): Promise<Layers> {
    this.lifecycle.check()
    await this.lifecycle.ready()
    this.lifecycle.check()
    return this.keeper!.serve()
  }

  /**
   * Runs a call; if it found the index damaged, rebuilds it and runs again. A call that a
   * rebuild interrupted (its index closed under it), or a write whose writer log forked under
   * it (see `WriterRotation`), runs again on the new layers too.
   */
  async repaired<T>(read: (layers: Layers) => Promise<T>, layers?: Layers | null): Promise<T> {
    const writerLog = this.storage?.writerLog
    try {
      return await read(layers ?? (await this.live()))
    } catch (err) {
      if (isCorruption(err)) this.keeper!.repair()
      else if (!(await this.movedOn(err, writerLog)) && !this.keeper?.rebuilding) throw err
      return read(await this.live())
    }
  }

  /** Whether a call failed because this peer's writer log forked under it (see `WriterRotation`). */
  private async movedOn(err: unknown, writerLog: Hypercore | undefined): Promise<boolean> {
    return writerLog !== undefined && this.rotation !== null && this.rotation.retry(err, writerLog)
  }

  /** What the data API of the db and of its sub-databases runs on. */
  dataHost(): DataHost {
    return {
      maxBatchOps: this.maxBatchOps,
      feed: this.feed,
      failure: this.lifecycle.failure,
      usable: () => this.usable(),
      live: () => this.live(),
      serving: () => this.keeper?.ready ?? null,
      repaired: (read, layers) => this.repaired(read, layers),
      damaged: (err) => {
        if (isCorruption(err)) this.keeper?.repair()
      },
      reindexing: () => (this.keeper?.progress ?? null) !== null
    }
  }

  /**
   * Rebuilds the local index from the writer logs, in a fresh core swapped in once it has
   * caught up; resolves once the new index serves. Calls made meanwhile wait for it.
   */
  async reindex(): Promise<void> {
    await this.live()
    await this.keeper!.reindex()
  }

  /**
   * Compacts the local index into a fresh core holding only its live entries, swapped in
   * atomically; reads and writes go on meanwhile (waiting, during the swap, as for a rebuild).
   */
  async compact(opts?: CompactOptions): Promise<CompactResult> {
    await this.live()
    return this.keeper!.compact(opts)
  }

  /** Replicates every log of this db over a stream, as `corestore.replicate`. */
  replicate(isInitiatorOrStream: boolean | Duplex): Duplex {
    if (this.lifecycle.closing !== null) throw PeerBeeError.CLOSED()
    return this.streams.add(this.store.replicate(isInitiatorOrStream))
  }

  /**
   * Resolves once everything the connected peers had at the call is downloaded and indexed,
   * including the logs of writers discovered on the way.
   */
  async update(): Promise<void> {
    const { replication } = await this.live()
    await Promise.race([replication.catchUp(), this.lifecycle.failure])
  }

  status(id: () => string, writable: boolean): Status {
    const layers = this.keeper?.current ?? null
    const reindexing = this.keeper?.progress ?? null
    const encryption = this.encryption(layers)
    if (layers === null || !this.lifecycle.opened) {
      const empty = { key: '', writable: false, writers: [], invalid: 0, pending: 0 }
      return { ...empty, peers: this.peerCount(), reindexing, encryption }
    }
    return { ...layers.replication.status(id(), writable, this.peerCount()), reindexing, encryption }
  }

  private encryption(layers: Layers | null): Status['encryption'] {
    if (this.storage?.keys.keyring) return 'key'
    return layers?.indexer.reader.modeKnown === 'encrypted' ? 'no-key' : null
  }

  private emitSync(): void {
    const layers = this.keeper?.current
    if (this.events.listenerCount('sync') === 0 || !layers) return
    this.events.emit('sync', layers.replication.progress(this.peerCount()))
  }

  /** Peers replicating this db, over the swarm or `replicate()` streams. */
  peerCount(): number {
    return Math.max(this.storage?.rootLog.peers.length ?? 0, this.network?.peers ?? 0)
  }
}
