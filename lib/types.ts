/** Public types of peerbee. No Holepunch class appears here: the API owns its types. */
import type { EventEmitter } from 'events'
import type { Duplex } from 'stream'
import type { Role } from './model/membership.js'

export type { Role }

/** A key as the application sees it: a string with `'utf-8'`, bytes with `'binary'`. */
export type Key = string | Uint8Array

export type KeyEncoding = 'utf-8' | 'binary'
export type ValueEncoding = 'json' | 'utf-8' | 'binary'

/** A head of a key that lost to the winner: concurrent with it, neither cites the other. */
export interface Conflict<V = unknown> {
  value: V | null
  deleted: boolean
  writer: Uint8Array
  seq: number
  clock: number
}

/** The current state of a key: the winning version plus the other heads. */
export interface Entry<K extends Key = Key, V = unknown> {
  key: K
  value: V
  writer: Uint8Array
  seq: number
  /** Wall-clock ms of the version's hybrid logical clock. */
  clock: number
  conflicts: Array<Conflict<V>>
}

/** One valid `put` or `del` of a key. */
export interface Version<K extends Key = Key, V = unknown> {
  key: K
  value: V | null
  deleted: boolean
  writer: Uint8Array
  seq: number
  clock: number
}

/** One key changed by an index step. */
export interface Change<K extends Key = Key, V = unknown> {
  key: K
  value: V | null
  deleted: boolean
}

export interface WriterInfo {
  key: Uint8Array
  role: Role
  /** Blocks known to exist in the writer's log (local length, or a peer's longer length). */
  length: number
  /** Blocks of the writer's log held locally. */
  downloaded: number
  /** Blocks of the writer's log processed by the local index (indexed, skipped or retracted). */
  indexed: number
  /** An admin removed this writer: its entries from `cut` on never count. */
  removed: boolean
  /** This writer signed two histories: its entries from `cut` (where they part) on never count. */
  forked: boolean
  /** This writer's log grew past this peer's `maxWriterBytes`: nothing of it from `cut` on is downloaded. */
  overQuota: boolean
  /** Entries of this writer from this seq on never count (a removal, a fork, the quota); null: none. */
  cut: number | null
}

export interface Status {
  key: string
  writable: boolean
  peers: number
  writers: WriterInfo[]
  /** Entries skipped as invalid remote input. */
  invalid: number
  /** Blocks of other writers held locally but not yet visible to reads (being indexed, or waiting on parents or membership). */
  pending: number
  /** Set while the index is being rebuilt from the logs: reads and writes wait for it. */
  reindexing: ReindexProgress | null
  /**
   * The db is encrypted: `'key'` when this peer holds a key of it, `'no-key'` when it only
   * replicates and serves it; null for a db without encryption (or one whose root log this
   * peer has not seen yet).
   */
  encryption: 'key' | 'no-key' | null
}

/** How far a rebuild of the index from the logs got, in blocks. */
export interface ReindexProgress {
  indexed: number
  /** Blocks held of every member's log: what the rebuild indexes before it is done. */
  total: number
  done: boolean
}

/** `db.compact()` options. */
export interface CompactOptions {
  /** Called as the copy goes on, and once more with `done: true` when the compacted index serves. */
  progress?: (progress: CompactProgress) => void
}

export interface CompactProgress {
  /** Entries of the index copied so far. */
  copied: number
  done: boolean
}

/** What `db.compact()` did. */
export interface CompactResult {
  /**
   * Entries of the index when the compaction began (data, versions, cursors, membership facts,
   * invalid entries, the change log), all copied; the steps that landed meanwhile add theirs.
   */
  entries: number
  /**
   * Bytes of the index core's blocks before and after (the storage engine's own overhead
   * aside): each index step appends, with its entries, the tree nodes it rewrote.
   */
  bytesBefore: number
  bytesAfter: number
}

/** Why an entry was skipped; reported by the `'invalid'` event. */
export interface InvalidEntry {
  writer: Uint8Array
  seq: number
  reason: string
}

/** Progress of replication, emitted as `'sync'`. */
export interface SyncProgress {
  peers: number
  /** Sum over writers of blocks known to exist. */
  length: number
  /** Sum over writers of blocks held locally. */
  downloaded: number
  /** Sum over writers of blocks processed by the index. */
  indexed: number
}

export interface Range<K extends Key = Key> {
  gt?: K
  gte?: K
  lt?: K
  lte?: K
  prefix?: K
  reverse?: boolean
  limit?: number
}

/** The keys of a range, without an order or a limit: what `changes()` filters on. */
export type KeyBounds<K extends Key = Key> = Pick<Range<K>, 'gt' | 'gte' | 'lt' | 'lte' | 'prefix'>

/** Options of `changes()`. */
export interface ChangesOptions<K extends Key = Key> {
  /** A `checkpoint` a batch of changes gave: only what changed after it. Default: from the first change. */
  since?: string
  /** Go on after catching up, yielding each index step as it lands, until the db closes. Default false. */
  live?: boolean
  /** Only keys in this range. */
  range?: KeyBounds<K>
}

/**
 * What `changes()` yields: the keys one index step changed (or a part of a large step), each
 * with its value after the step, in the order of the steps; `checkpoint` names the place
 * after them, for `changes({ since })`.
 */
export interface ChangeBatch<K extends Key = Key, V = unknown> {
  checkpoint: string
  changes: Array<Change<K, V>>
}

/** Options of `sub()`: the encodings of the sub-database; by default those of its parent. */
export interface SubOptions {
  keyEncoding?: KeyEncoding
  valueEncoding?: ValueEncoding
}

/**
 * A sub-database: the data API of a PeerBee over the keys under a prefix, given and returned
 * relative to it (`db.sub('users').put('ada', v)` writes the key `users` 0x00 `ada`).
 */
export interface SubDatabase<K extends Key = string, V = unknown> {
  /** What this sub-database's keys are stored after: each name on its path, followed by 0x00. */
  readonly prefix: Uint8Array
  put(key: K, value: V): Promise<void>
  del(key: K): Promise<void>
  batch(): Batch<K, V>
  get(key: K): Promise<Entry<K, V> | null>
  list(range?: Range<K>): AsyncIterable<Entry<K, V>>
  snapshot(): Snapshot<K, V>
  watch(range?: Range<K>): AsyncIterable<Array<Change<K, V>>>
  changes(opts?: ChangesOptions<K>): AsyncIterable<ChangeBatch<K, V>>
  history(key: K): Promise<Array<Version<K, V>>>
  /** Deletes every key of the range this peer sees; resolves with how many. */
  clear(range?: Range<K>): Promise<number>
  sub<K2 extends Key = K, V2 = V>(name: string | Uint8Array, opts?: SubOptions): SubDatabase<K2, V2>
}

/** A consistent read-only view of the db at one moment. */
export interface Snapshot<K extends Key = string, V = unknown> {
  get(key: K): Promise<Entry<K, V> | null>
  list(range?: Range<K>): AsyncIterable<Entry<K, V>>
  close(): Promise<void>
}

/** Ops collected by `db.batch()`, written as one entry: on every peer all of them count or none. */
export interface Batch<K extends Key = string, V = unknown> {
  /** Ops added so far. */
  readonly length: number
  put(key: K, value: V): this
  del(key: K): this
  /**
   * Writes the ops as one entry. Resolves once it is durable in the local log and visible to
   * reads on this peer (the index takes it in a few ms later; `watch()` sees it then). A bad
   * key or value, or too many ops, rejects and writes nothing. A batch is flushed once.
   */
  flush(): Promise<void>
}

/** Options of `db.join()`: announce this peer (server), look others up (client); both by default. */
export interface JoinOptions {
  server?: boolean
  client?: boolean
}

/** Options of `db.createInvite()`. */
export interface InviteOptions {
  role?: Role
  /** Wall-clock ms after which the invite is refused. Default: `DEFAULT_INVITE_TTL` (one day) from now. */
  expires?: number
}

/** A peer connected to this db, as `'peer-add'` and `'peer-remove'` report it. */
export interface PeerInfo {
  /** The peer's swarm public key (not a writer key). */
  publicKey: Uint8Array
}

/** How a connected peer stands with this db: members and allowed peers are preferred at the caps. */
export type PeerStanding = 'member' | 'allowed' | 'invited' | 'stranger'

/** A connection replicating this db, as `db.connections()` lists it. */
export interface PeerConnection {
  /** The peer's swarm key (`db.peerKey` on its side). */
  publicKey: Uint8Array
  /** The writer key this swarm key is bound to, when that writer is a current member. */
  writer: Uint8Array | null
  standing: PeerStanding
  /** `'inbound'`: the peer dialled this one; `'outbound'`: this peer dialled it. */
  direction: 'inbound' | 'outbound'
  /** `host:port` of the peer, once known. */
  address: string | null
  /** Bytes received and sent on the connection, encrypted frames included. */
  bytesRead: number
  bytesWritten: number
  /** Found by LAN discovery rather than on the DHT. */
  lan: boolean
}

/** One finding of `db.diagnose()`: one line of `peerbee doctor`. */
export interface Finding {
  /** `'ok'` works; `'info'` worth knowing; `'warn'` may keep peers apart; `'fail'` no peer is found this way. */
  level: 'ok' | 'info' | 'warn' | 'fail'
  /** What it is about: `'dht'`, `'nat'`, `'topic'`, `'peers'`, `'refused'`, `'dials'`, `'relay'`, `'lan'`, `'access'`. */
  topic: string
  message: string
  /** What to do about it; null when nothing. */
  advice: string | null
}

/** What `db.diagnose()` finds: why peers are, or are not, found and connected. */
export interface Diagnosis {
  /** This peer's swarm key. */
  peerKey: Uint8Array
  /** Each DHT bootstrap node: whether it answered a ping, and its round trip in ms. */
  bootstrap: Array<{ address: string; answered: boolean; rtt: number | null }>
  /**
   * The NAT as HyperDHT sees this peer: `'open'` (reachable), `'consistent'` (a NAT that keeps
   * ports: holepunching works), `'random'` (a NAT that changes ports: holepunching rarely
   * does), `'unknown'` (not joined, or no DHT node answered).
   */
  nat: 'open' | 'consistent' | 'random' | 'unknown'
  /** This peer's address as DHT nodes see it. */
  publicAddress: string | null
  joined: boolean
  /** The announce and first lookup of the discovery key finished. */
  announced: boolean
  /** Distinct peers found on the topic (DHT lookups, LAN, inbound). */
  found: number
  inbound: number
  outbound: number
  maxInbound: number | null
  maxOutbound: number | null
  /** Peers refused or dropped since joining, by why. */
  refused: { denied: number; notMember: number; full: number; idle: number }
  /** Dials that ended without a connection, by why. */
  failed: { timeout: number; holepunch: number; notFound: number; other: number }
  /** peerbee relays no connection (Hyperswarm's blind relays are not configured). */
  relay: boolean
  lan: { enabled: boolean; active: boolean; heard: number; note: string | null }
  membersOnly: boolean
  findings: Finding[]
}

/** The events of a PeerBee and their arguments. */
export interface PeerBeeEvents {
  /** The db is open. */
  ready: []
  /** The db closed. */
  close: []
  /** After each index step (writes of this and other peers, membership changes). */
  update: []
  /** Remote input was skipped (it never counts, on any peer). */
  invalid: [info: InvalidEntry]
  'peer-add': [peer: PeerInfo]
  'peer-remove': [peer: PeerInfo]
  /** Replication progress, after each download and index step. */
  sync: [progress: SyncProgress]
  /** While the index is rebuilt from the logs (after damage, a format change, or `reindex()`). */
  reindex: [progress: ReindexProgress]
  /**
   * Indexing failed; every later call rejects with `INDEX_FAILED`. Emitted only when someone
   * listens, so an app without a listener is not crashed by it.
   */
  error: [err: Error]
}

/**
 * A listener of a PeerBee event. An event without arguments takes any function, so that
 * `new Promise((resolve) => db.once('update', resolve))` works as it does on any emitter.
 */
export type PeerBeeListener<E extends keyof PeerBeeEvents> = PeerBeeEvents[E] extends []
  ? (...args: never[]) => void
  : (...args: PeerBeeEvents[E]) => void

/** A Corestore (the `corestore` package) to keep the db in, beside an app's own cores. */
export interface CorestoreLike extends EventEmitter {
  ready(): Promise<void>
  close(): Promise<void>
  session(): unknown
  replicate(isInitiatorOrStream: boolean | Duplex, opts?: object): Duplex
}

/** A connection of a Hyperswarm: an authenticated, encrypted stream to one peer. */
export interface SwarmConnection extends Duplex {
  readonly remotePublicKey: Uint8Array
  /** Set once the handshake is done; the same on both ends. */
  readonly handshakeHash: Uint8Array | null
  /** True on the end that dialled. */
  readonly isInitiator: boolean
  userData: unknown
}

/** One joined topic of a Hyperswarm. */
export interface SwarmDiscovery {
  flushed(): Promise<boolean>
  refresh(opts?: { server?: boolean; client?: boolean }): Promise<boolean>
  destroy(): Promise<void>
}

/** A Hyperswarm (the `hyperswarm` package, version 4): what peerbee uses of an app's own swarm. */
export interface HyperswarmLike extends EventEmitter {
  /** The swarm identity: its public key is this peer's key on the network. */
  readonly keyPair: { readonly publicKey: Uint8Array }
  readonly connections: Set<SwarmConnection>
  join(topic: Uint8Array, opts?: { server?: boolean; client?: boolean }): SwarmDiscovery
  joinPeer(publicKey: Uint8Array): void
  leavePeer(publicKey: Uint8Array): void
  flush(): Promise<boolean>
  destroy(): Promise<void>
}
