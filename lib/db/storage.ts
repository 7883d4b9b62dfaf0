import path from 'path'
import b4a from 'b4a'
import Corestore from 'corestore'
import type Hypercore from 'hypercore'
import * as ids from 'hypercore-id-encoding'
import { PeerBeeError } from '../errors.js'
import { encodeHeader } from '../log/codec.js'
import type { CorestoreLike } from '../types.js'
import { IndexView } from '../view/index-view.js'

/** Core names inside the store: the writer log of this peer and its local index. */
export const WRITER_LOG_NAME = 'peerbee/writer'
const INDEX_NAME = 'peerbee/index'
/** The local setting that names the db a storage holds. */
const HELD_DB = 'db'

/** This peer's cores, opened, and the db they belong to. */
export interface OpenedStorage {
  dbKey: Uint8Array
  view: IndexView
  /** This peer's writer log; its header is written. */
  writerLog: Hypercore
  /** The root writer's log: `writerLog` itself on the db's creator. */
  rootLog: Hypercore
}

/**
 * The store a db keeps its cores in: a new Corestore on a directory, or a session of an app's
 * own. `where` names it in errors.
 */
export function openStore(storage: string | CorestoreLike): { store: Corestore; where: string } {
  if (typeof storage === 'string') return { store: new Corestore(storage), where: path.resolve(storage) }
  const session = storage.session()
  // The public type promises only what an app's store must have; the session is checked here.
  if (!isCorestore(session)) throw PeerBeeError.INVALID_ARGUMENT('storage must be a directory path or a Corestore')
  return { store: session, where: 'The Corestore' }
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
 * The storage engine reports a directory another process holds as a plain error; this is
 * the one place that recognises it, so everything above branches on `STORAGE_LOCKED`.
 */
function isLockError(err: unknown): boolean {
  return err instanceof Error && /could not be locked/i.test(err.message)
}

/**
 * Opens the store and this peer's cores in it, and settles which db the storage holds: the
 * one it already holds, else `requested`, else a new one whose root writer is this peer.
 * `where` names the storage in errors.
 */
export async function openStorage(
  store: Corestore,
  requested: Uint8Array | null,
  where: string
): Promise<OpenedStorage> {
  try {
    await store.ready()
  } catch (err) {
    throw isLockError(err) ? PeerBeeError.STORAGE_LOCKED(where, err) : err
  }
  const view = new IndexView(store.get({ name: INDEX_NAME }))
  await view.ready()
  const writerLog = store.get({ name: WRITER_LOG_NAME })
  await writerLog.ready()

  const held = await view.getLocal(HELD_DB)
  if (held !== null && requested !== null && !b4a.equals(held, requested)) {
    throw PeerBeeError.DB_EXISTS(`The storage already holds the db ${ids.encode(held)}`)
  }
  const dbKey = held ?? requested ?? writerLog.key
  if (held === null) await view.putLocal(HELD_DB, dbKey)
  if (writerLog.length === 0) await writerLog.append(encodeHeader({ protocol: 'peerbee', db: dbKey }))

  const rootLog = b4a.equals(dbKey, writerLog.key) ? writerLog : store.get({ key: dbKey })
  await rootLog.ready()
  return { dbKey, view, writerLog, rootLog }
}
