import { PeerBeeError } from '../errors.js'
import type { HyperswarmLike, KeyEncoding, ValueEncoding } from '../types.js'
import { DEFAULT_CACHE_SIZE } from '../view/index-view.js'
import type { BudgetAccount } from './download-budget.js'

/** Options of `new PeerBee(storage, opts)`. */
export interface PeerBeeOptions {
  /** An existing db (hex or z-base32). Omitted: open the db this storage holds, else create one. */
  key?: string | Uint8Array
  /**
   * Create the db encrypted: its writer logs are encrypted block by block (a peer with the db key
   * only replicates and serves them) and its local index at rest. `db.encryptionKey` is the key
   * other peers need.
   */
  encrypt?: boolean
  /**
   * The key of an encrypted db (hex, z-base32 or bytes), as `db.encryptionKey` or an invite
   * gave it. The storage keeps it: later opens need it no more. A newer key (after a writer was
   * removed) given to a storage that holds an older one reads the newer entries too.
   */
  encryptionKey?: string | Uint8Array
  keyEncoding?: KeyEncoding
  valueEncoding?: ValueEncoding
  /** `'host:port'` DHT bootstrap nodes for `join()`. Default: the public DHT. */
  bootstrap?: string[]
  /** A Hyperswarm to use instead of making one in `join()`. peerbee does not destroy it on close. */
  swarm?: HyperswarmLike
  /** Default 1024 bytes. */
  maxKeySize?: number
  /** Default 1 MiB. */
  maxValueSize?: number
  /** Ops per entry (a batch or a group commit). Default 10,000. */
  maxBatchOps?: number
  /** Wall clock in ms for the hybrid logical clock. Default `Date.now`. */
  now?: () => number
  /**
   * How long a call waits for a rebuild of the index (after damage, a format change or
   * `reindex()`) before it rejects with `INDEX_REBUILDING`. Default 60 s.
   */
  rebuildTimeout?: number
  /**
   * Open a storage that was copied or restored from a backup (refused with `STORAGE_MOVED`
   * otherwise): its writer log is never appended to again, and this peer goes on with a new
   * one that the old key certifies (peers admit it with the old role). Directories only.
   */
  recover?: boolean
  /** Swarm keys (`db.peerKey` of other peers) always admitted, and preferred at the caps. */
  allow?: Array<string | Uint8Array>
  /** Swarm keys always refused, in the swarm's firewall. Deny wins over allow and membership. */
  deny?: Array<string | Uint8Array>
  /**
   * Only peers whose swarm keys current writers bound to their writer keys, peers in `allow`
   * and candidates presenting an open invite of this peer may connect. Default false.
   */
  membersOnly?: boolean
  /** Connections other peers open to this one (it seeds), at most. Default 48. */
  maxInbound?: number
  /** Connections this peer opens to others (it seeks), at most. Default 16. */
  maxOutbound?: number
  /** Announce and find peers of this db on the local network (multicast). Default true. */
  lan?: boolean
  /**
   * Bytes of one writer's log this peer downloads at most (default 1 GiB): past it, the writer
   * is cut where its log crossed the quota (`overQuota` in `writers()`) and the others go on.
   * Peers with the same quota agree on the state.
   */
  maxWriterBytes?: number
  /**
   * Bytes of memory that reads may keep of the local index: key records (fifteen sixteenths, held
   * outside the JS heap), and the decoded tree nodes that find the others (by estimate).
   * Default 256 MiB, taken only as records come in; 0 caches nothing. Reads of keys it holds
   * cost no storage read; the bound holds however many keys the db has.
   */
  cacheSize?: number
}

/** What a Seeder gives each db it follows; not part of the public options. */
export interface SeededOptions extends PeerBeeOptions {
  /** The db's share of the seeder's `maxBytes`. */
  account?: BudgetAccount
}

export const DEFAULT_MAX_KEY_SIZE = 1024
export const DEFAULT_MAX_VALUE_SIZE = 1024 * 1024
export const DEFAULT_MAX_BATCH_OPS = 10_000
export const DEFAULT_REBUILD_TIMEOUT = 60_000
export const DEFAULT_MAX_WRITER_BYTES = 1024 * 1024 * 1024

/** The `cacheSize` option, checked: a bad one throws `INVALID_ARGUMENT`. */
export function cacheSizeOf(opts: PeerBeeOptions): number {
  const size = opts.cacheSize
  if (size === undefined) return DEFAULT_CACHE_SIZE
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw PeerBeeError.INVALID_ARGUMENT('cacheSize is a number of bytes (an integer, 0 or more)')
  }
  return size
}
