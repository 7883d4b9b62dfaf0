import { EventEmitter } from 'events'
import type { Duplex } from 'stream'
import b4a from 'b4a'
import Corestore from 'corestore'
import type Hypercore from 'hypercore'
import * as ids from 'hypercore-id-encoding'
import { ChangeFeed } from './db/change-feed.js'
import { dbNetwork } from './db/db-network.js'
import { Encodings } from './db/encoding.js'
import { decodeDbKey, decodeEncryptionKey, decodePeerKey, decodeWriterKey } from './db/key-input.js'
import { EvidenceKeeper } from './db/evidence-keeper.js'
import { IndexKeeper, isCorruption } from './db/index-keeper.js'
import { KeySpace, type DataHost } from './db/key-space.js'
import type { Layers } from './db/layers.js'
import { Lifecycle } from './db/lifecycle.js'
import {
  DEFAULT_MAX_BATCH_OPS,
  DEFAULT_MAX_KEY_SIZE,
  DEFAULT_MAX_VALUE_SIZE,
  DEFAULT_MAX_WRITER_BYTES,
  DEFAULT_REBUILD_TIMEOUT,
  type PeerBeeOptions,
  type SeededOptions
} from './db/options.js'
import { Overlay } from './db/overlay.js'
import { reshareOp, rotationOp } from './db/key-sharing.js'
import { openAccess, peerOptions, publicConnection, type PeerAccess, type PeerOptions } from './db/peer-access.js'
import { pairDb } from './db/pairing.js'
import { recoverStorage, storageMoved } from './db/recovery.js'
import { ReplicationStreams } from './db/replication-streams.js'
import { checkStorage } from './db/storage-guard.js'
import { openStorage, openStore, storeIn, type OpenedStorage } from './db/storage.js'
import { WriterRotation } from './db/writer-rotation.js'
import { PeerBeeError } from './errors.js'
import type { QueuedOp } from './log/group-commit.js'
import { HybridClock } from './log/hybrid-clock.js'
import { writerId } from './model/ids.js'
import { probeBootstrap } from './net/bootstrap-probe.js'
import type { KeyPair } from './net/create-swarm.js'
import { diagnosis } from './net/diagnosis.js'
import { decodeInvite } from './net/invite.js'
import type { Network } from './net/network.js'
import type {
  Batch,
  Change,
  ChangeBatch,
  ChangesOptions,
  CorestoreLike,
  Diagnosis,
  Entry,
  InviteOptions,
  JoinOptions,
  Key,
  PeerBeeEvents,
  PeerBeeListener,
  PeerConnection,
  Range,
  Role,
  Snapshot,
  Status,
  SubDatabase,
  SubOptions,
  Version,
  WriterInfo
} from './types.js'

/** Events typed as `PeerBeeEvents` lists them. */
export interface PeerBee<K extends Key = string, V = unknown> {
  on<E extends keyof PeerBeeEvents>(event: E, listener: PeerBeeListener<E>): this
  once<E extends keyof PeerBeeEvents>(event: E, listener: PeerBeeListener<E>): this
  off<E extends keyof PeerBeeEvents>(event: E, listener: PeerBeeListener<E>): this
  emit<E extends keyof PeerBeeEvents>(event: E, ...args: PeerBeeEvents[E]): boolean
}

/**
 * A peer-to-peer key-value database. Each writer appends to its own signed log; every peer
 * merges all valid logs, deterministically, into a local Hyperbee index that answers queries.
 * This class wires the layers (storage, write path, read path, indexer, replication, network)
 * and is the public API; events are listed in `PeerBeeEvents`.
 */
export class PeerBee<K extends Key = string, V = unknown> extends EventEmitter {
  private readonly opts: SeededOptions
  private readonly enc: Encodings<K, V>
  private readonly maxBatchOps: number
  /** The store: made by the constructor, or by the open when it may have to recover the storage first. */
  private made: Corestore | null
  /** How errors name the storage. */
  private readonly where: string
  /** The storage directory; null for an app's own Corestore. */
  private readonly dir: string | null
  private recoveredHere = false
  private readonly lifecycle = new Lifecycle(
    () => this.open(),
    () => this.feed.end()
  )
  private readonly clock: HybridClock
  private readonly feed = new ChangeFeed()
  private readonly overlay = new Overlay()
  private readonly streams = new ReplicationStreams()
  private readonly data: KeySpace<K, V>
  private storage: OpenedStorage | null = null
  private keeper: IndexKeeper<K, V> | null = null
  private rotation: WriterRotation | null = null
  private sharing = false
  private network: Network | null = null
  private readonly peerOpts: PeerOptions
  private access: PeerAccess | null = null
  /** The key pair of the swarm `join()` makes; null with the app's own swarm. */
  private swarmKeys: KeyPair | null = null

  constructor(storage: string | CorestoreLike, opts: PeerBeeOptions = {}) {
    super()
    this.opts = opts
    this.enc = new Encodings<K, V>(
      opts.keyEncoding ?? 'utf-8',
      opts.valueEncoding ?? 'json',
      opts.maxKeySize ?? DEFAULT_MAX_KEY_SIZE,
      opts.maxValueSize ?? DEFAULT_MAX_VALUE_SIZE
    )
    this.maxBatchOps = opts.maxBatchOps ?? DEFAULT_MAX_BATCH_OPS
    this.peerOpts = peerOptions(opts)
    // Made here so replicate() works before ready(), as corestore's does; so a folder holding
    // other files throws STORAGE_NOT_EMPTY here, before Corestore sees it.
    ;({ store: this.made, where: this.where, dir: this.dir } = openStore(storage, opts.recover === true))
    this.clock = new HybridClock(opts.now ?? Date.now)
    this.data = new KeySpace<K, V>(this.dataHost(), this.enc)
    this.lifecycle.on('ready', () => this.emit('ready'))
    this.lifecycle.on('close', () => this.emit('close'))
  }

  /** True once the db is open (ready-resource semantics, as `opening`, `closing`, `closed`). */
  get opened(): boolean {
    return this.lifecycle.opened
  }

  get opening(): Promise<void> | null {
    return this.lifecycle.opening
  }

  /** Set from the first `close()`: every call made after it rejects with `CLOSED`. */
  get closing(): Promise<void> | null {
    return this.lifecycle.closing
  }

  /** True once `close()` finished. */
  get closed(): boolean {
    return this.lifecycle.closed
  }

  /** The db key: the key of the root writer log. */
  get key(): Uint8Array {
    return this.required().dbKey
  }

  /** The db key in z-base32. */
  get id(): string {
    return ids.encode(this.key)
  }

  get discoveryKey(): Uint8Array {
    return this.required().rootLog.discoveryKey
  }

  /**
   * The key of an encrypted db that other peers open it with (`{ key, encryptionKey }`): the
   * newest this peer holds (it reads what older keys encrypted too). Null for a db without
   * encryption, or when this peer was given no key.
   */
  get encryptionKey(): Uint8Array | null {
    return this.required().keys.keyring?.current ?? null
  }

  /** This peer's writer log key; it exists before the peer is a member. */
  get writerKey(): Uint8Array {
    return this.required().writerLog.key
  }

  /** True when this open recovered a copied or restored storage (`recover`): this peer writes to a new log. */
  get recovered(): boolean {
    return this.recoveredHere
  }

  /** This peer is a member (writer or admin) that was not removed. */
  get writable(): boolean {
    return this.keeper?.current?.writes.writable ?? false
  }

  get role(): Role | null {
    return this.keeper?.current?.writes.role ?? null
  }

  ready(): Promise<void> {
    return this.lifecycle.ready()
  }

  close(): Promise<void> {
    return this.lifecycle.close()
  }

  private get store(): Corestore {
    if (this.made === null)
      throw PeerBeeError.INVALID_ARGUMENT('A db opened with recover replicates once ready() resolved')
    return this.made
  }

  private required(): OpenedStorage {
    if (this.storage === null) throw PeerBeeError.INVALID_ARGUMENT('Await db.ready() before reading this property')
    return this.storage
  }

  private async open(): Promise<void> {
    const { lifecycle } = this
    lifecycle.onClosing(() => this.made?.close())
    lifecycle.onClosing(() => this.streams.close())
    if (this.made === null && this.dir !== null) {
      if (await storageMoved(this.dir)) {
        await recoverStorage(this.dir, this.opts.now ?? Date.now)
        this.recoveredHere = true
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
    storage.rootLog.on('peer-add', (peer) => this.emit('peer-add', { publicKey: peer.remotePublicKey }))
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
    storage.rootLog.on('peer-remove', (peer) => this.emit('peer-remove', { publicKey: peer.remotePublicKey }))
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
      reindexed: (progress) => {
        // Readers of the change log of the index being replaced must stop.
        this.feed.interrupt()
        this.emit('reindex', progress)
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
          this.emit('update')
          this.emitSync()
        },
        changed: () => this.emitSync(),
        conflict: (writer, length) => void evidence.conflict(writer, length),
        salvaged: (writer, seq) => evidence.salvaged(writer, seq),
        invalid: (info) => this.emit('invalid', info),
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
    if (this.listenerCount('error') > 0) this.emit('error', failure)
  }

  /** The layers when open and serving now: the hot paths skip an await. */
  private usable(): Layers | null {
    return this.lifecycle.usable ? (this.keeper?.ready ?? null) : null
  }

  /**
   * Opens the db if needed and waits (bounded) for a rebuild of the index; rejects once the db
   * is closing or failed. The guard of every call.
   */
  private async live(): Promise<Layers> {
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
  private async repaired<T>(read: (layers: Layers) => Promise<T>, layers?: Layers | null): Promise<T> {
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
  private dataHost(): DataHost {
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
      }
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

  // Data: the whole db as a key space (a sub-database is another, under a prefix). The
  // methods of KeySpace are async: errors reach the caller as rejections.

  put(key: K, value: V): Promise<void> {
    return this.data.put(key, value)
  }

  del(key: K): Promise<void> {
    return this.data.del(key)
  }

  /** Ops added to the batch are written as one entry: all of them or none, on every peer. */
  batch(): Batch<K, V> {
    return this.data.batch()
  }

  get(key: K): Promise<Entry<K, V> | null> {
    return this.data.get(key)
  }

  /** Entries in key order over a snapshot taken at the call; deleted keys are skipped. */
  list(range: Range<K> = {}): AsyncIterable<Entry<K, V>> {
    return this.data.list(range)
  }

  /** A consistent read-only view: it sees every write resolved before the call and none after. */
  snapshot(): Snapshot<K, V> {
    return this.data.snapshot()
  }

  /**
   * Yields the changes of each index step that touches the range and lands after the call,
   * until the db closes. A write that resolved just before the call may still be indexed after
   * it (and so be yielded); after `await update()` it was indexed already.
   */
  watch(range: Range<K> = {}): AsyncIterable<Array<Change<K, V>>> {
    return this.data.watch(range)
  }

  /**
   * The changes of each index step, in order, from the first (or after `since`, a checkpoint
   * an earlier batch gave, in this process or before a restart), each batch with the checkpoint
   * after it. It includes every write resolved before the call; without `live` it ends once
   * caught up, with `live` it goes on until the db closes.
   */
  changes(opts: ChangesOptions<K> = {}): AsyncIterable<ChangeBatch<K, V>> {
    return this.data.changes(opts)
  }

  /** Every valid version of a key, oldest first by clock. */
  history(key: K): Promise<Array<Version<K, V>>> {
    return this.data.history(key)
  }

  /**
   * Deletes every key of the range this peer sees at the call, as one entry (several past
   * `maxBatchOps`, then not atomic); resolves with how many keys it deleted.
   */
  clear(range: Range<K> = {}): Promise<number> {
    return this.data.clear(range)
  }

  /** The sub-database `name`: the same data API over the keys under `name` 0x00, relative to it. */
  sub<K2 extends Key = K, V2 = V>(name: string | Uint8Array, opts: SubOptions = {}): SubDatabase<K2, V2> {
    return this.data.sub<K2, V2>(name, opts)
  }

  // Membership

  /** Adds a writer (or admin). Admin only; resolves once the op is durable and indexed. */
  async addWriter(writerKey: string | Uint8Array, opts: { role?: Role } = {}): Promise<void> {
    const key = decodeWriterKey(writerKey)
    const role = opts.role ?? 'writer'
    if (role !== 'writer' && role !== 'admin') throw PeerBeeError.INVALID_ARGUMENT(`Unknown role: ${String(role)}`)
    await this.repaired(async ({ writes }) => {
      writes.checkAdmin()
      await writes.write([{ type: 'add-writer', key, role }])
    })
  }

  /**
   * Removes a writer: its entries beyond the length this peer holds stop counting on every
   * peer, including those already indexed. Admin only; the root cannot be removed.
   */
  async removeWriter(writerKey: string | Uint8Array): Promise<void> {
    const key = decodeWriterKey(writerKey)
    // On a writer log that forked under it, the op goes to the new log (see `repaired`).
    await this.repaired(async (layers) => {
      const { writes, writerLog, replication, indexer } = layers
      writes.checkAdmin()
      if (indexer.membership.isRoot(writerId(key))) {
        throw PeerBeeError.INVALID_ARGUMENT('The root writer cannot be removed (nor a writer log that succeeds it)')
      }
      // Removing oneself keeps the removal entry itself valid.
      const self = b4a.equals(key, writerLog.key)
      const length = self ? writerLog.length + 1 : (replication.log(writerId(key))?.length ?? 0)
      const ops: QueuedOp[] = [{ type: 'remove-writer', key, length }]
      // In an encrypted db, what is written from now on is under a key the removed writer never gets.
      const { keyring } = this.required().keys
      if (keyring !== null) ops.push(await rotationOp(keyring, layers, key))
      await writes.write(ops)
    })
  }

  async writers(): Promise<WriterInfo[]> {
    return (await this.live()).replication.writers()
  }

  // Replication

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

  status(): Status {
    const layers = this.keeper?.current ?? null
    const reindexing = this.keeper?.progress ?? null
    const encryption = this.encryption(layers)
    if (layers === null || !this.opened) {
      const empty = { key: '', writable: false, writers: [], invalid: 0, pending: 0 }
      return { ...empty, peers: this.peerCount(), reindexing, encryption }
    }
    return { ...layers.replication.status(this.id, this.writable, this.peerCount()), reindexing, encryption }
  }

  private encryption(layers: Layers | null): Status['encryption'] {
    if (this.storage?.keys.keyring) return 'key'
    return layers?.indexer.reader.modeKnown === 'encrypted' ? 'no-key' : null
  }

  private emitSync(): void {
    const layers = this.keeper?.current
    if (this.listenerCount('sync') === 0 || !layers) return
    this.emit('sync', layers.replication.progress(this.peerCount()))
  }

  /** Peers replicating this db, over the swarm or `replicate()` streams. */
  private peerCount(): number {
    return Math.max(this.storage?.rootLog.peers.length ?? 0, this.network?.peers ?? 0)
  }

  // Network

  private async net(): Promise<Network> {
    const { dbKey, rootLog } = await this.live()
    if (this.network !== null) return this.network
    const network = dbNetwork({
      store: this.store,
      local: this.required().local,
      dbKey,
      discoveryKey: rootLog.discoveryKey,
      keyPair: this.swarmKeys,
      access: this.access!,
      bootstrap: this.opts.bootstrap,
      swarm: this.opts.swarm,
      maxInbound: this.peerOpts.maxInbound,
      maxOutbound: this.peerOpts.maxOutbound,
      lan: this.peerOpts.lan,
      isAdmin: () => this.role === 'admin',
      encryptionKey: () => this.encryptionKey,
      addWriter: (key, role) => this.addWriter(key, { role })
    })
    this.network = network
    this.lifecycle.onClosing(() => network.destroy())
    return network
  }

  /**
   * Joins the Hyperswarm topic of this db (its discovery key) and replicates with every peer
   * found. Resolves once announced and the first lookup is done.
   */
  async join(opts: JoinOptions = {}): Promise<void> {
    await (await this.net()).join(opts)
  }

  /** Leaves the topic and closes the connections the join made. */
  async leave(): Promise<void> {
    await this.live()
    if (this.network !== null) await this.network.leave()
  }

  /**
   * An invite for one new writer (admin only): single-use, refused after `expires`. This peer
   * must be joined when the invite is presented, since it is the one that checks it.
   */
  async createInvite(opts: InviteOptions = {}): Promise<string> {
    return (await this.net()).createInvite(opts)
  }

  /**
   * Opens the db an invite names in `storage` and has this peer added as a writer by the
   * admin that issued it. Resolves with the ready db; `join()` and `update()` then bring it
   * up to date (and writable).
   */
  static async pair<K extends Key = string, V = unknown>(
    storage: string | CorestoreLike,
    invite: string,
    opts: Omit<PeerBeeOptions, 'key'> & { timeout?: number } = {}
  ): Promise<PeerBee<K, V>> {
    // Refused before the invite is presented, not once the issuer has accepted it.
    if (typeof storage === 'string') checkStorage(storage)
    // The issuer is admitted even by a peer that admits only members: it knows none yet.
    const allow = [...(opts.allow ?? []), decodeInvite(invite).issuer]
    return pairDb(
      invite,
      opts,
      (key, encryptionKey) => {
        const given = encryptionKey === null ? {} : { encryptionKey }
        return new PeerBee<K, V>(storage, { ...opts, key, allow, ...given })
      },
      (db) => db.access?.ownBinding() ?? null
    )
  }

  // Who may connect

  /** This peer's swarm key: what other peers list in `allow`/`deny`, and see it connect with. */
  get peerKey(): Uint8Array {
    this.required()
    return this.access!.publicKey
  }

  /** Always admits this peer (kept in the storage), and prefers it at the caps. */
  async allowPeer(key: string | Uint8Array): Promise<void> {
    await (await this.peerAccess()).list('allow', decodePeerKey(key))
  }

  /** Always refuses this peer (kept in the storage); its open connections close. */
  async denyPeer(key: string | Uint8Array): Promise<void> {
    await (await this.peerAccess()).list('deny', decodePeerKey(key))
  }

  /** Takes this peer off the allow and deny lists (the options' too, for this session). */
  async unlistPeer(key: string | Uint8Array): Promise<void> {
    await (await this.peerAccess()).unlist(decodePeerKey(key))
  }

  /** The peers this peer always admits and always refuses: those kept in the storage and the options'. */
  listedPeers(): { allow: Uint8Array[]; deny: Uint8Array[] } {
    this.required()
    return this.access!.listed()
  }

  /** The connections replicating this db over the swarm (none before `join()`). */
  connections(): PeerConnection[] {
    const access = this.access
    if (access === null || this.network === null) return []
    return this.network.connections().map((c) => publicConnection(c, access))
  }

  /**
   * Why peers are, or are not, found and connected: the DHT's bootstrap nodes (pinged now),
   * the NAT as the DHT sees this peer, the topic, peers found, connected, refused and failed,
   * LAN discovery. What `peerbee doctor` prints.
   */
  async diagnose(): Promise<Diagnosis> {
    const access = await this.peerAccess()
    return diagnosis({
      peerKey: access.publicKey,
      bootstrap: await probeBootstrap(this.opts.bootstrap),
      state: this.network?.state() ?? null,
      membersOnly: this.peerOpts.membersOnly,
      lan: this.peerOpts.lan
    })
  }

  private async peerAccess(): Promise<PeerAccess> {
    await this.live()
    return this.access!
  }
}
