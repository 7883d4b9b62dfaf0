import { publicChanges, type ChangeFeed } from './change-feed.js'
import { changesOf, type ChangesHost } from './changes.js'
import { clearRange } from './clear.js'
import { EntryBatch } from './batch.js'
import type { Encodings } from './encoding.js'
import type { Layers } from './layers.js'
import { deferredSnapshot } from './read-path.js'
import type { QueuedOp } from '../log/group-commit.js'
import type {
  Batch,
  Change,
  ChangeBatch,
  ChangesOptions,
  Entry,
  Key,
  Range,
  Snapshot,
  SubDatabase,
  SubOptions,
  Version
} from '../types.js'
import { dataRange } from '../view/keys.js'

/** What the data API needs of the db it runs on. */
export interface DataHost extends ChangesHost {
  maxBatchOps: number
  feed: ChangeFeed
  /** The layers when open and serving now: the hot paths skip an await. */
  usable(): Layers | null
  /**
   * Runs a read (on `layers` if given, so it starts at once); if the index turned out damaged
   * or was replaced meanwhile, runs it again on the new one.
   */
  repaired<T>(read: (layers: Layers) => Promise<T>, layers?: Layers | null): Promise<T>
}

/**
 * The data API (writes, reads, watch, changes, clear) in one key space: the whole db, as
 * PeerBee's own methods use it, or a sub-database's prefix with its own encodings. Every
 * view of a db shares its layers: a sub costs no more than a range under its prefix.
 */
export class KeySpace<K extends Key, V> implements SubDatabase<K, V> {
  private readonly host: DataHost
  private readonly enc: Encodings<K, V>

  constructor(host: DataHost, enc: Encodings<K, V>) {
    this.host = host
    this.enc = enc
  }

  get prefix(): Uint8Array {
    return this.enc.prefix
  }

  async put(key: K, value: V): Promise<void> {
    const op: QueuedOp = { type: 'put', key: this.enc.encodeWriteKey(key), value: this.enc.encodeValue(value) }
    await this.host.repaired((layers) => layers.writes.write([op]), this.host.usable())
  }

  async del(key: K): Promise<void> {
    const op: QueuedOp = { type: 'del', key: this.enc.encodeWriteKey(key) }
    await this.host.repaired((layers) => layers.writes.write([op]), this.host.usable())
  }

  batch(): Batch<K, V> {
    return new EntryBatch<K, V>(this.enc, this.host.maxBatchOps, (ops) =>
      this.host.repaired((layers) => layers.writes.write(ops))
    )
  }

  async get(key: K): Promise<Entry<K, V> | null> {
    return this.host.repaired((layers) => layers.reads.get(this.enc, key), this.host.usable())
  }

  list(range: Range<K> = {}): AsyncIterable<Entry<K, V>> {
    const layers = this.host.usable()
    if (layers !== null) return layers.reads.iterate(this.enc, layers.reads.frozen(), range)
    return this.later((l) => l.reads.iterate(this.enc, l.reads.frozen(), range))
  }

  snapshot(): Snapshot<K, V> {
    const layers = this.host.usable()
    if (layers !== null) return layers.reads.snapshot(this.enc)
    return deferredSnapshot(this.host.live().then((l) => l.reads.snapshot(this.enc)))
  }

  watch(range: Range<K> = {}): AsyncIterable<Array<Change<K, V>>> {
    const bounds = dataRange(this.enc.encodeRange(range))
    // Subscribed at the call, so no step after it is missed; a peer without the key of an
    // encrypted db is refused at the first read.
    return this.keyed(this.host.feed.subscribe(bounds, (changes) => publicChanges(this.enc, changes)))
  }

  changes(opts: ChangesOptions<K> = {}): AsyncIterable<ChangeBatch<K, V>> {
    return changesOf(this.host, this.enc, opts)
  }

  async history(key: K): Promise<Array<Version<K, V>>> {
    return this.host.repaired((layers) => layers.reads.history(this.enc, key))
  }

  async clear(range: Range<K> = {}): Promise<number> {
    const keys = this.enc.encodeRange(range)
    const limit = range.limit ?? Infinity
    return this.host.repaired((layers) => clearRange(layers, keys, limit, this.host.maxBatchOps), this.host.usable())
  }

  sub<K2 extends Key = K, V2 = V>(name: string | Uint8Array, opts: SubOptions = {}): SubDatabase<K2, V2> {
    return new KeySpace<K2, V2>(this.host, this.enc.sub<K2, V2>(name, opts))
  }

  private async *keyed<T>(items: AsyncIterable<T>): AsyncIterable<T> {
    const iterator = items[Symbol.asyncIterator]()
    // A db that closes or fails meanwhile ends or fails the feed itself.
    const layers = await this.host.live().catch(() => null)
    try {
      layers?.reads.requireKey()
    } catch (err) {
      await iterator.return?.()
      throw err
    }
    yield* { [Symbol.asyncIterator]: () => iterator }
  }

  /** An iterable that opens the db first (a call made before `ready()`). */
  private async *later<T>(iterate: (layers: Layers) => AsyncIterable<T>): AsyncIterable<T> {
    yield* iterate(await this.host.live())
  }
}
