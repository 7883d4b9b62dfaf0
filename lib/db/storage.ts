import path from 'path'
import b4a from 'b4a'
import Corestore from 'corestore'
import crypto from 'hypercore-crypto'
import Hypercore from 'hypercore'
import * as ids from 'hypercore-id-encoding'
import { PeerBeeError } from '../errors.js'
import { encodeHeader } from '../log/codec.js'
import { EvidenceStore } from '../trust/evidence-store.js'
import type { CorestoreLike } from '../types.js'
import { IndexView } from '../view/index-view.js'
import { localCore } from './local-core.js'
import { LocalSettings } from './local-settings.js'
import { QuotaBook } from './quota.js'
import { checkStorage, guarded } from './storage-guard.js'
import { StorageKeys } from './storage-keys.js'

/** Core names inside the store: the writer log of this peer and its local index. */
export const WRITER_LOG_NAME = 'peerbee/writer'
/** The index of a db's first storage; each rebuild writes a core of its own, `peerbee/index/<random hex>`. */
const FIRST_INDEX = 'peerbee/index'
/**
 * Local settings: the db this storage holds, the index core in use, the one known stale, and
 * after a recovery, this peer's writer log and the seed of its swarm identity.
 */
export const HELD_DB = 'db'
export const INDEX = 'index'
const STALE = 'stale'
const REBUILDING = 'rebuilding'
/** The index core a compaction writes, and the one a swap replaced until its blocks are freed. */
const COMPACTING = 'compacting'
const RETIRED = 'retired'
export const WRITER = 'writer'
export const SWARM_SEED = 'swarm-seed'

/** This peer's cores, opened, and the db they belong to. */
export interface OpenedStorage {
  dbKey: Uint8Array
  local: LocalSettings
  /** Successions and fork proofs this peer learnt and checked. */
  evidence: EvidenceStore
  /** Writers past this peer's quota, and where they are cut. */
  quota: QuotaBook
  /** The db keys this peer holds (an encrypted db), and its index's key at rest. */
  keys: StorageKeys
  /** This peer's writer log; its header is written. */
  writerLog: Hypercore
  /** The root writer's log: `writerLog` itself on the db's creator. */
  rootLog: Hypercore
}

/**
 * The store a db keeps its cores in: a new Corestore on a directory, or a session of an app's
 * own. `where` names it in errors. `later`: a directory's store is made by the open instead
 * (a Corestore starts opening as it is made, and a recovery must run before that).
 */
export function openStore(
  storage: string | CorestoreLike,
  later: boolean
): { store: Corestore | null; where: string; dir: string | null } {
  if (typeof storage === 'string') {
    if (later) checkStorage(storage)
    return { store: later ? null : storeIn(storage), where: path.resolve(storage), dir: storage }
  }
  const session = sessionOf(storage)
  // The public type promises only what an app's store must have; the session is checked here.
  if (!isCorestore(session)) throw PeerBeeError.INVALID_ARGUMENT('storage must be a directory path or a Corestore')
  return { store: session, where: 'The Corestore', dir: null }
}

/**
 * A session of an app's store. Corestore's `session()` starts in the default namespace: a
 * namespaced store (`store.namespace(name)`, how one store holds several dbs) passes its own on.
 */
function sessionOf(storage: CorestoreLike): unknown {
  const namespace = (storage as { ns?: unknown }).ns
  if (!(namespace instanceof Uint8Array)) return storage.session()
  return (storage.session as (opts: { namespace: Uint8Array }) => unknown).call(storage, { namespace })
}

/**
 * Bytes of RocksDB's write buffer in a store peerbee makes, where Hypercore's default is 64 MiB.
 * RocksDB holds up to two while one is written out, and a db writes its index and its log
 * through them: on a million keys (W8) this took the resident memory after the load from about
 * 500 to 410 MB, the load's time unchanged.
 */
const WRITE_BUFFER_SIZE = 16 * 2 ** 20

/** A Corestore on a storage folder that is new or peerbee's own (see `guarded`). */
export function storeIn(dir: string): Corestore {
  return guarded(dir, () => new Corestore(Hypercore.defaultStorage(dir, { writeBufferSize: WRITE_BUFFER_SIZE })))
}

function isCorestore(value: unknown): value is Corestore {
  const store = value as Partial<Record<'get' | 'replicate' | 'session' | 'createKeyPair', unknown>> | null
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof store.get === 'function' &&
    typeof store.replicate === 'function' &&
    typeof store.session === 'function' &&
    typeof store.createKeyPair === 'function'
  )
}

/**
 * What the storage engine reports when it cannot open a directory, as peerbee's codes. This
 * is the one place that reads the engine's errors: a directory copied or restored from a
 * backup (hypercore-storage's DEVICE_FILE: opening it as is could sign a second history),
 * damaged files (RocksDB's EIO: a checksum or format that does not hold), and another process
 * holding the directory (a plain error, recognised by its text).
 */
function storageError(err: unknown, where: string): unknown {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'DEVICE_FILE') return PeerBeeError.STORAGE_MOVED(where, err)
  if (code === 'EIO') {
    const reason = (err as Error).message.replace(/\s+/g, ' ').trim()
    return PeerBeeError.STORAGE_CORRUPT(`${where} cannot be read, its files are damaged (${reason})`, err)
  }
  if (err instanceof Error && /could not be locked/i.test(err.message)) return PeerBeeError.STORAGE_LOCKED(where, err)
  return err
}

/** What an open asks of the storage: which db, and its encryption. */
export interface StorageRequest {
  /** The db asked for (`key`); null: the one the storage holds, else a new one. */
  key: Uint8Array | null
  /** Create the db encrypted. */
  encrypt: boolean
  /** A key of the (encrypted) db given to this open. */
  encryptionKey: Uint8Array | null
}

/**
 * Opens the store and this peer's cores in it, and settles which db the storage holds: the
 * one it already holds, else the one requested, else a new one whose root writer is this peer.
 * `where` names the storage in errors.
 */
export async function openStorage(store: Corestore, request: StorageRequest, where: string): Promise<OpenedStorage> {
  try {
    await store.ready()
  } catch (err) {
    throw storageError(err, where)
  }
  const local = await LocalSettings.open(store)
  const requested = request.key
  const held = (await local.get(HELD_DB)) ?? (await adoptLegacySettings(store, local))
  if (held !== null && requested !== null && !b4a.equals(held, requested)) {
    throw PeerBeeError.DB_EXISTS(`The storage already holds the db ${ids.encode(held)}`)
  }
  const keys = await StorageKeys.open(local, {
    creating: held === null && requested === null,
    encrypt: request.encrypt,
    given: request.encryptionKey
  })
  // An index built without a key (of a db it could only follow) holds none of the data.
  if (await keys.keylessIndex()) {
    await markStale(local)
    await keys.clearKeylessIndex()
  }
  const writerLog = await openWriterLog(store, local, keys)

  const dbKey = held ?? requested ?? writerLog.key
  if (held === null) await local.set(HELD_DB, dbKey)
  if (writerLog.length === 0) await writerLog.append(encodeHeader({ protocol: 'peerbee', db: dbKey }))

  const rootLog = b4a.equals(dbKey, writerLog.key) ? writerLog : store.get({ key: dbKey })
  await rootLog.ready()
  const evidence = await EvidenceStore.open(local)
  const quota = await QuotaBook.open(local)
  return { dbKey, local, evidence, quota, keys, writerLog, rootLog }
}

/**
 * This peer's writer log: the first one, or the one a recovery went on with. In an encrypted
 * db it appends through the provider that frames and encrypts its blocks.
 */
export async function openWriterLog(store: Corestore, local: LocalSettings, keys: StorageKeys): Promise<Hypercore> {
  const key = await local.get(WRITER)
  const encryption = keys.writerEncryption() ?? undefined
  const log = key === null ? store.get({ name: WRITER_LOG_NAME, encryption }) : store.get({ key, encryption })
  await log.ready()
  return log
}

/**
 * A storage whose index is of the first format kept its local settings in that index: they
 * move to the local settings, so the rebuild that replaces that index cannot lose them.
 * Returns the db the storage holds, if any.
 */
async function adoptLegacySettings(store: Corestore, local: LocalSettings): Promise<Uint8Array | null> {
  // Read once, for its settings: nothing worth caching.
  const view = new IndexView(store, localCore(store, FIRST_INDEX), 0)
  try {
    await view.ready()
    const health = await view.health()
    if (health === 'empty' || health === 'current') return null
    const settings = await view.legacySettings()
    for (const [name, value] of settings) await local.set(name, value)
    return settings.get(HELD_DB) ?? null
  } catch (err) {
    // Settings lost with the index: the db is then the one `key` names, as for a new storage.
    if (err instanceof PeerBeeError && err.code === 'STORAGE_CORRUPT') return null
    throw err
  } finally {
    await view.close()
  }
}

/** The index an open will use, and the one it replaces once it has caught up (a rebuild). */
export interface ChosenIndex {
  view: IndexView
  name: string
  /** The index a rebuild replaces; null when the index in use serves as it is. */
  replaces: string | null
}

/**
 * The index to serve from: the one in use when it is whole and current (or empty: a new
 * index fills as a new peer's does). Otherwise (damaged, of an older format, or known stale)
 * a fresh index core, which a rebuild fills from the logs; a rebuild interrupted by a crash
 * resumes there, since any content of it is a valid index that has not caught up yet.
 */
export async function chooseIndex(
  store: Corestore,
  local: LocalSettings,
  indexKey: Uint8Array | null,
  cacheSize: number
): Promise<ChosenIndex> {
  const name = await indexInUse(local)
  await freeLeftovers(store, local, name)
  const stale = (await local.getText(STALE)) === name
  const current = openIndex(store, name, indexKey, cacheSize)
  await current.ready()
  const health = stale ? 'outdated' : await current.health()
  if (health === 'current') return { view: current, name, replaces: null }
  if (health === 'empty') {
    await current.markCurrent()
    await local.setText(INDEX, name)
    return { view: current, name, replaces: null }
  }
  await current.close()
  // A rebuild cut short by a crash resumes in the core it had chosen.
  let next = await local.getText(REBUILDING)
  if (next === null || next === name) {
    next = freshIndexName()
    await local.setText(REBUILDING, next)
  }
  const view = openIndex(store, next, indexKey, cacheSize)
  await view.ready()
  return { view, name: next, replaces: name }
}

/** The name of the index core in use. */
export async function indexInUse(local: LocalSettings): Promise<string> {
  return (await local.getText(INDEX)) ?? FIRST_INDEX
}

/** Marks the index in use as stale: the next open rebuilds it from the logs. */
export async function markStale(local: LocalSettings): Promise<void> {
  await local.setText(STALE, await indexInUse(local))
}

/**
 * A rebuilt or compacted index has caught up: it becomes the index in use, in one write of
 * the settings (`INDEX`), so a crash leaves either index in use, never a mix. The one it
 * replaces is noted first as retired: `freeRetired` frees its blocks once the new index
 * serves, and an open after a crash before that frees them then.
 */
export async function swapIndex(local: LocalSettings, chosen: ChosenIndex): Promise<void> {
  if (chosen.replaces === null) return
  await chosen.view.markCurrent()
  await local.setText(RETIRED, chosen.replaces)
  await local.setText(INDEX, chosen.name)
  await local.setText(STALE, null)
  await local.setText(REBUILDING, null)
  await local.setText(COMPACTING, null)
}

/** Frees the blocks of the index a swap replaced, and of a compaction's copy never swapped in. */
export async function freeRetired(store: Corestore, local: LocalSettings): Promise<void> {
  await freeLeftovers(store, local, await indexInUse(local))
}

/**
 * Frees what a swap or a compaction left behind: the index a swap replaced, and the core of
 * a compaction cut short (by a crash or a close) before its swap. Never the index in use. The
 * settings name them until their space is given back, so a crash before then frees them again.
 */
async function freeLeftovers(store: Corestore, local: LocalSettings, inUse: string): Promise<void> {
  const named: string[] = []
  let freed = false
  for (const setting of [RETIRED, COMPACTING]) {
    const name = await local.getText(setting)
    if (name === null) continue
    named.push(setting)
    if (name === inUse) continue
    await freeCore(store, name)
    freed = true
  }
  if (freed) await giveSpaceBack(store)
  for (const setting of named) await local.setText(setting, null)
}

/**
 * Clears a local core's blocks. Hypercore 11.37's `purge()` fails, and deleting a core's
 * records under Corestore leaves it unable to open the name again; so the core stays, empty but
 * for its tree nodes (a few dozen bytes a block).
 */
async function freeCore(store: Corestore, name: string): Promise<void> {
  const core = localCore(store, name)
  try {
    await core.ready()
    await core.clear(0, core.length)
  } finally {
    await core.close()
  }
}

/** RocksDB's `compactRange` options: force blob garbage collection, and compact the last level too. */
const FORCE = 1
const FORCE_BOTTOMMOST = 2

/**
 * Has RocksDB give the space of cleared blocks back to the disk. A block of a few KB or more
 * (an index node, a batch) sits in a blob file shared with other cores' blocks, which goes only
 * once none of its blobs is live; a cleared block's record goes only when a compaction reaches
 * the last level. Hypercore's `compact()` compacts only the files around a core's first key.
 * So the whole storage is compacted, down to its last level, with the live blobs of every blob
 * file moved on. On W11 (a million overwrites) the disk went from 593 to 742 MB through a
 * compaction before, and from 593 to 407 MB with this, about 3 s of the compaction's 21.5 s.
 */
async function giveSpaceBack(store: Corestore): Promise<void> {
  await store.storage.compact({
    blobGarbageCollectionPolicy: FORCE,
    blobGarbageCollectionAgeCutoff: 1,
    bottommostLevelCompaction: FORCE_BOTTOMMOST
  })
}

/** A compaction's target: a fresh index core, named in the settings so a crash frees it. */
export async function startCompaction(
  store: Corestore,
  local: LocalSettings,
  indexKey: Uint8Array | null,
  cacheSize: number
): Promise<ChosenIndex> {
  const name = freshIndexName()
  await local.setText(COMPACTING, name)
  const view = openIndex(store, name, indexKey, cacheSize)
  await view.ready()
  return { view, name, replaces: await indexInUse(local) }
}

/** A compaction that stopped before its swap: its core is freed. */
export async function abandonCompaction(store: Corestore, local: LocalSettings, target: ChosenIndex): Promise<void> {
  await target.view.close()
  await freeRetired(store, local)
}

/** An index core: block-encrypted at rest when this peer holds keys of an encrypted db. */
export function openIndex(store: Corestore, name: string, indexKey: Uint8Array | null, cacheSize: number): IndexView {
  return new IndexView(store, localCore(store, name, indexKey), cacheSize)
}

/**
 * A name for a new index core, random: cores named alike have the same key in every copy of
 * a storage (their keys derive from its primary key), and two copies must never write to one.
 */
export function freshIndexName(): string {
  return `${FIRST_INDEX}/${b4a.toString(crypto.randomBytes(8), 'hex')}`
}
