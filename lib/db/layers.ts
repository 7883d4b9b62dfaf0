import type Corestore from 'corestore'
import type Hypercore from 'hypercore'
import { PeerBeeError } from '../errors.js'
import { Indexer } from '../indexer/indexer.js'
import type { HybridClock } from '../log/hybrid-clock.js'
import { writerId } from '../model/ids.js'
import type { KeyChange } from '../model/version.js'
import type { InvalidEntry, Key, PeerInfo } from '../types.js'
import type { IndexView } from '../view/index-view.js'
import type { Encodings } from './encoding.js'
import type { Overlay } from './overlay.js'
import { ReadPath } from './read-path.js'
import { Replication } from './replication.js'
import { openStorage } from './storage.js'
import { WritePath } from './write-path.js'

/** The layers of an open db. */
export interface Layers<K extends Key, V> {
  dbKey: Uint8Array
  writerLog: Hypercore
  rootLog: Hypercore
  view: IndexView
  indexer: Indexer
  replication: Replication
  writes: WritePath
  reads: ReadPath<K, V>
}

/** What the layers need of the db that opens them: its settings, the state it shares, where to report. */
export interface LayersHost<K extends Key, V> {
  store: Corestore
  /** How errors name the storage. */
  where: string
  /** The db asked for; null: the one the storage holds, else a new one. */
  requested: Uint8Array | null
  enc: Encodings<K, V>
  maxBatchOps: number
  clock: HybridClock
  overlay: Overlay
  /** Rejects when the db starts closing or indexing fails. */
  failure: Promise<never>
  /** Throws once the db is closing or indexing failed. */
  check(): void
  /** Registers how to close a layer; the db closes them last registered first. */
  closing(close: () => unknown): void
  /** After an index step that changed keys. */
  stepped(changes: KeyChange[]): void
  /** After every index step. */
  progressed(): void
  /** A writer log changed (replication progress). */
  changed(): void
  invalid(info: InvalidEntry): void
  failed(err: Error): void
  peer(event: 'peer-add' | 'peer-remove', peer: PeerInfo): void
}

/**
 * Opens the storage and wires the layers over it: the indexer follows the logs replication
 * keeps, the write path appends and hands its entries to the indexer, the read path pairs
 * the index with the overlay. Resolves once everything already held is indexed.
 */
export async function openLayers<K extends Key, V>(host: LayersHost<K, V>): Promise<Layers<K, V>> {
  const { dbKey, view, writerLog, rootLog } = await openStorage(host.store, host.requested, host.where)
  host.closing(() => view.close().catch(() => {}))
  const writer = writerId(writerLog.key)
  const { enc, overlay } = host

  const indexer: Indexer = new Indexer({
    dbKey,
    view,
    limits: { maxKeySize: enc.maxKeySize, maxValueSize: enc.maxValueSize, maxBatchOps: host.maxBatchOps },
    openWriter: (key) => replication.openLog(key),
    observeClock: (clock) => host.clock.observe(clock),
    landed: () => overlay.dropBelow(indexer.committed(writer)),
    stepped: host.stepped,
    progressed: host.progressed,
    invalid: host.invalid,
    failed: host.failed
  })
  host.closing(async () => {
    indexer.close()
    await indexer.idle()
  })
  const replication: Replication = new Replication({
    ownLog: writerLog,
    rootLog,
    open: (key) => host.store.get({ key }),
    changed: () => {
      indexer.trigger()
      host.changed()
    },
    indexer,
    ownReadable: () => writes.readable
  })
  host.closing(() => replication.close())
  const writes: WritePath = new WritePath({
    log: writerLog,
    view,
    indexer,
    overlay,
    clock: host.clock,
    maxBatchOps: host.maxBatchOps,
    failure: host.failure,
    check: host.check
  })
  host.closing(() => writes.close())
  const reads = new ReadPath<K, V>({ view, overlay, indexer, enc, writerKey: writerLog.key, failure: host.failure })

  await writes.resumeClock()
  rootLog.on('peer-add', (peer) => host.peer('peer-add', { publicKey: peer.remotePublicKey }))
  rootLog.on('peer-remove', (peer) => host.peer('peer-remove', { publicKey: peer.remotePublicKey }))
  await indexer.open()
  // Entries appended before a crash, or downloaded before a close, are indexed now.
  indexer.trigger()
  await indexer.idle()
  if (indexer.error !== null) throw PeerBeeError.INDEX_FAILED(indexer.error)
  return { dbKey, writerLog, rootLog, view, indexer, replication, writes, reads }
}
