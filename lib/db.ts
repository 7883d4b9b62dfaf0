import { EventEmitter } from 'events'
import type { Duplex } from 'stream'
import * as ids from 'hypercore-id-encoding'
import { DbCore } from './db/db-core.js'
import { decodeWriterKey } from './db/key-input.js'
import { KeySpace } from './db/key-space.js'
import { addWriter, removeWriter } from './db/membership-calls.js'
import { NetworkCalls } from './db/network-calls.js'
import type { PeerBeeOptions } from './db/options.js'
import { pairDb } from './db/pairing.js'
import { checkStorage } from './db/storage-guard.js'
import { decodeInvite } from './net/invite.js'
import type {
  Batch,
  Change,
  ChangeBatch,
  ChangesOptions,
  CompactOptions,
  CompactResult,
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
 * This class is the public API; `DbCore` opens the storage, wires the layers and guards every
 * call. Events are listed in `PeerBeeEvents`.
 */
export class PeerBee<K extends Key = string, V = unknown> extends EventEmitter {
  private readonly core: DbCore<K, V>
  private readonly data: KeySpace<K, V>
  private readonly network: NetworkCalls<K, V>

  constructor(storage: string | CorestoreLike, opts: PeerBeeOptions = {}) {
    super()
    this.core = new DbCore<K, V>(storage, opts, this)
    this.data = new KeySpace<K, V>(this.core.dataHost(), this.core.enc)
    this.network = new NetworkCalls(this.core, (key, role) => this.addWriter(key, { role }))
  }

  /** True once the db is open (ready-resource semantics, as `opening`, `closing`, `closed`). */
  get opened(): boolean {
    return this.core.lifecycle.opened
  }

  get opening(): Promise<void> | null {
    return this.core.lifecycle.opening
  }

  /** Set from the first `close()`: every call made after it rejects with `CLOSED`. */
  get closing(): Promise<void> | null {
    return this.core.lifecycle.closing
  }

  /** True once `close()` finished. */
  get closed(): boolean {
    return this.core.lifecycle.closed
  }

  /** The db key: the key of the root writer log. */
  get key(): Uint8Array {
    return this.core.required().dbKey
  }

  /** The db key in z-base32. */
  get id(): string {
    return ids.encode(this.key)
  }

  get discoveryKey(): Uint8Array {
    return this.core.required().rootLog.discoveryKey
  }

  /**
   * The key of an encrypted db that other peers open it with (`{ key, encryptionKey }`): the
   * newest this peer holds (it reads what older keys encrypted too). Null for a db without
   * encryption, or when this peer was given no key.
   */
  get encryptionKey(): Uint8Array | null {
    return this.core.required().keys.keyring?.current ?? null
  }

  /** This peer's writer log key; it exists before the peer is a member. */
  get writerKey(): Uint8Array {
    return this.core.required().writerLog.key
  }

  /** True when this open recovered a copied or restored storage (`recover`): this peer writes to a new log. */
  get recovered(): boolean {
    return this.core.recovered
  }

  /** This peer is a member (writer or admin) that was not removed. */
  get writable(): boolean {
    return this.core.keeper?.current?.writes.writable ?? false
  }

  get role(): Role | null {
    return this.core.keeper?.current?.writes.role ?? null
  }

  ready(): Promise<void> {
    return this.core.lifecycle.ready()
  }

  close(): Promise<void> {
    return this.core.lifecycle.close()
  }

  /**
   * Rebuilds the local index from the writer logs, in a fresh core swapped in once it has
   * caught up; resolves once the new index serves. Calls made meanwhile wait for it.
   */
  reindex(): Promise<void> {
    return this.core.reindex()
  }

  /**
   * Compacts the local index: every index step appends the tree nodes it rewrote, so an index
   * that took many small steps (keys overwritten often) holds far more than its entries. The
   * live entries (data, the versions `history()` and retraction need, cursors, membership, the
   * change log) are copied in key order into a fresh core, which is swapped in atomically (a
   * crash leaves the old index or the new one); the old core's blocks are then freed. Reads
   * and writes go on meanwhile; during the swap (an index step's time) they wait, as during a
   * rebuild. Checkpoints of `changes()` stay valid: the compacted index carries the same log.
   */
  compact(opts?: CompactOptions): Promise<CompactResult> {
    return this.core.compact(opts)
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
    // On a writer log that forked under it, the op goes to the new log (see `repaired`).
    await this.core.repaired((layers) => addWriter(layers, key, opts.role ?? 'writer'))
  }

  /**
   * Removes a writer: its entries beyond the length this peer holds stop counting on every
   * peer, including those already indexed. Admin only; the root cannot be removed.
   */
  async removeWriter(writerKey: string | Uint8Array): Promise<void> {
    const key = decodeWriterKey(writerKey)
    await this.core.repaired((layers) => removeWriter(layers, key, this.core.required().keys.keyring))
  }

  async writers(): Promise<WriterInfo[]> {
    return (await this.core.live()).replication.writers()
  }

  // Replication

  /** Replicates every log of this db over a stream, as `corestore.replicate`. */
  replicate(isInitiatorOrStream: boolean | Duplex): Duplex {
    return this.core.replicate(isInitiatorOrStream)
  }

  /**
   * Resolves once everything the connected peers had at the call is downloaded and indexed,
   * including the logs of writers discovered on the way.
   */
  update(): Promise<void> {
    return this.core.update()
  }

  /** Writers, peers, what is indexed and what waits; `reindexing` while the index is rebuilt. */
  status(): Status {
    return this.core.status(() => this.id, this.writable)
  }

  // Network

  /**
   * Joins the Hyperswarm topic of this db (its discovery key) and replicates with every peer
   * found. Resolves once announced and the first lookup is done.
   */
  join(opts: JoinOptions = {}): Promise<void> {
    return this.network.join(opts)
  }

  /** Leaves the topic and closes the connections the join made. */
  leave(): Promise<void> {
    return this.network.leave()
  }

  /**
   * An invite for one new writer (admin only): single-use, refused after `expires`. This peer
   * must be joined when the invite is presented, since it is the one that checks it.
   */
  createInvite(opts: InviteOptions = {}): Promise<string> {
    return this.network.createInvite(opts)
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
      (db) => db.core.access?.ownBinding() ?? null
    )
  }

  // Who may connect

  /** This peer's swarm key: what other peers list in `allow`/`deny`, and see it connect with. */
  get peerKey(): Uint8Array {
    return this.network.peerKey
  }

  /** Always admits this peer (kept in the storage), and prefers it at the caps. */
  allowPeer(key: string | Uint8Array): Promise<void> {
    return this.network.allowPeer(key)
  }

  /** Always refuses this peer (kept in the storage); its open connections close. */
  denyPeer(key: string | Uint8Array): Promise<void> {
    return this.network.denyPeer(key)
  }

  /** Takes this peer off the allow and deny lists (the options' too, for this session). */
  unlistPeer(key: string | Uint8Array): Promise<void> {
    return this.network.unlistPeer(key)
  }

  /** The peers this peer always admits and always refuses: those kept in the storage and the options'. */
  listedPeers(): { allow: Uint8Array[]; deny: Uint8Array[] } {
    return this.network.listedPeers()
  }

  /** The connections replicating this db over the swarm (none before `join()`). */
  connections(): PeerConnection[] {
    return this.network.connections()
  }

  /**
   * Why peers are, or are not, found and connected: the DHT's bootstrap nodes (pinged now),
   * the NAT as the DHT sees this peer, the topic, peers found, connected, refused and failed,
   * LAN discovery. What `peerbee doctor` prints.
   */
  diagnose(): Promise<Diagnosis> {
    return this.network.diagnose()
  }
}
