import type Corestore from 'corestore'
import type Hypercore from 'hypercore'
import { PeerBeeError } from '../errors.js'
import { Indexer, type IndexerOptions } from '../indexer/indexer.js'
import type { HybridClock } from '../log/hybrid-clock.js'
import type { Evidence, SuccessionFact } from '../model/evidence.js'
import { writerId } from '../model/ids.js'
import type { KeyChange } from '../model/version.js'
import type { InvalidEntry, Key } from '../types.js'
import type { IndexView } from '../view/index-view.js'
import type { BudgetAccount } from './download-budget.js'
import type { Encodings } from './encoding.js'
import type { Overlay } from './overlay.js'
import { ReadPath } from './read-path.js'
import { Replication } from './replication.js'
import type { OpenedStorage } from './storage.js'
import { WritePath } from './write-path.js'

/** The layers over one index: what serves reads and writes once it has caught up. */
export interface Layers {
  dbKey: Uint8Array
  writerLog: Hypercore
  rootLog: Hypercore
  view: IndexView
  indexer: Indexer
  replication: Replication
  writes: WritePath
  reads: ReadPath
  /** Resolves once every block held is indexed (or the layers closed). */
  catchUp(): Promise<void>
  /** Closes the layers; the storage (store, logs, local settings) stays open. */
  close(): Promise<void>
}

/** What the layers need of the db that opens them: its settings, the state it shares, where to report. */
export interface LayersHost<K extends Key, V> {
  store: Corestore
  enc: Encodings<K, V>
  maxBatchOps: number
  maxWriterBytes: number
  clock: HybridClock
  overlay: Overlay
  /** Rejects when the db starts closing or indexing fails. */
  failure: Promise<never>
  /** Throws once the db is closing or indexing failed. */
  check(): void
  /** After an index step that changed keys. */
  stepped(changes: KeyChange[]): void
  /** After every index step. */
  progressed(): void
  /** A writer log changed (replication progress). */
  changed(): void
  /** @see ReplicationOptions.conflict */
  conflict(writer: Uint8Array, length: number): void
  /** @see ReplicationOptions.salvaged */
  salvaged(writer: string, seq: number): Promise<Uint8Array | null>
  invalid(info: InvalidEntry): void
  failed(err: Error): void
  /** @see ReadPathOptions.interrupted */
  interrupted(err: unknown): unknown
  /** @see ReplicationOptions.account */
  account: BudgetAccount | null
}

/** What evidence kept on disk gives the membership: successions, and the lowest fork cut per writer. */
function membershipEvidence(evidence: Evidence[]): Omit<IndexerOptions['evidence'], 'quotaCuts'> {
  const successions: SuccessionFact[] = []
  const forkCuts: Array<[string, number]> = []
  for (const e of evidence) {
    if (e.type === 'succession') successions.push({ from: writerId(e.from), to: writerId(e.to), clock: e.clock })
    else forkCuts.push([writerId(e.writer), e.at])
  }
  return { successions, forkCuts }
}

/**
 * Wires the layers over an index: the indexer follows the logs replication keeps, the write
 * path appends and hands its entries to the indexer, the read path pairs the index with the
 * overlay. The indexer has loaded its cursors; `catchUp()` indexes what is held.
 */
export async function wireLayers<K extends Key, V>(
  host: LayersHost<K, V>,
  storage: OpenedStorage,
  view: IndexView
): Promise<Layers> {
  const { dbKey, writerLog, rootLog } = storage
  const writer = writerId(writerLog.key)
  const { enc, overlay } = host

  const { keys } = storage
  // Known once the root's header is held: until then nothing is indexed either.
  const keyless = () => keys.keyring === null && indexer.reader.modeKnown === 'encrypted'
  const indexer: Indexer = new Indexer({
    dbKey,
    root: rootLog,
    keys: keys.indexerKeys(() => storage.writerLog),
    view,
    evidence: { ...membershipEvidence(storage.evidence.all()), quotaCuts: [...storage.quota.cuts] },
    limits: { maxKeySize: enc.maxKeySize, maxValueSize: enc.maxValueSize, maxBatchOps: host.maxBatchOps },
    openWriter: (key) => replication.openLog(key),
    observeClock: (clock) => host.clock.observe(clock),
    landed: () => overlay.dropBelow(indexer.committed(writer)),
    stepped: host.stepped,
    progressed: host.progressed,
    invalid: host.invalid,
    opaque: () => keys.noteKeylessIndex(),
    failed: host.failed
  })
  const replication: Replication = new Replication({
    ownLog: writerLog,
    rootLog,
    open: (key) => host.store.get({ key }),
    changed: () => {
      indexer.trigger()
      host.changed()
    },
    conflict: host.conflict,
    salvaged: host.salvaged,
    maxWriterBytes: host.maxWriterBytes,
    quota: storage.quota,
    overQuota: (writer, at) => indexer.overQuota(writer, at),
    indexer,
    ownReadable: () => writes.readable,
    account: host.account
  })
  const writes: WritePath = new WritePath({
    log: writerLog,
    view,
    indexer,
    overlay,
    clock: host.clock,
    maxBatchOps: host.maxBatchOps,
    failure: host.failure,
    check: host.check,
    keyless
  })
  const reads = new ReadPath({
    view,
    overlay,
    indexer,
    writerKey: writerLog.key,
    failure: host.failure,
    interrupted: host.interrupted,
    keyless
  })
  const close = async () => {
    writes.close()
    indexer.close()
    await indexer.idle()
    await replication.close()
    await view.close().catch(() => {})
  }
  try {
    await writes.resumeClock()
    await indexer.open()
  } catch (err) {
    await close()
    throw err
  }

  return {
    dbKey,
    writerLog,
    rootLog,
    view,
    indexer,
    replication,
    writes,
    reads,
    close,
    // Entries appended before a crash, downloaded before a close, or (for a rebuild) every
    // entry of every log, are indexed now.
    async catchUp() {
      indexer.trigger()
      await indexer.idle()
      if (indexer.error !== null) throw PeerBeeError.INDEX_FAILED(indexer.error)
    }
  }
}
