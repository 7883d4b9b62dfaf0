import b4a from 'b4a'
import type Corestore from 'corestore'
import type Hypercore from 'hypercore'
import * as ids from 'hypercore-id-encoding'
import { PeerBeeError } from '../errors.js'
import { encodeHeader } from '../log/codec.js'
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
