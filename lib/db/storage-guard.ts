import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { PeerBeeError } from '../errors.js'

/** The file peerbee writes into a storage folder it makes; its first line names the layout. */
export const STORAGE_MARKER = 'PEERBEE'
const MARKER_LINE = 'peerbee storage 1'
/** Corestore's own device file; once it exists, Corestore leaves the other entries alone. */
const CORESTORE_FILE = 'CORESTORE'
/** Everything Corestore keeps in its folder: its device file and its RocksDB. */
const CORESTORE_ENTRIES = new Set([CORESTORE_FILE, 'db'])
/** Names a refusal quotes; the rest are counted. */
const NAMES_SHOWN = 3

/**
 * What a storage folder holds, as far as opening it goes:
 * - `'new'`: missing or empty; a database can be made there.
 * - `'peerbee'`: a peerbee store: it has the marker, or only Corestore's own files (a store
 *   made before the marker existed, which gets the marker on its next open).
 * - `'foreign'`: files peerbee did not make. peerbee refuses it and never touches them.
 */
export type StorageState = 'new' | 'peerbee' | 'foreign'

interface Survey {
  state: StorageState
  /** Why a foreign folder is foreign: the entries peerbee did not make. */
  foreign: string[]
}

/** What the storage folder `dir` holds (see {@link StorageState}); reads it, changes nothing. */
export function inspectStorage(dir: string): StorageState {
  return survey(dir).state
}

/**
 * Whether the storage folder `dir` is new or a peerbee store; any other folder is refused with
 * `STORAGE_NOT_EMPTY`. Reads it, changes nothing.
 */
export function checkStorage(dir: string): 'new' | 'peerbee' {
  const { state, foreign } = survey(dir)
  if (state === 'foreign') throw refusal(dir, foreign)
  return state
}

/**
 * Makes the store of the storage folder `dir` (`make`), only if the folder is new or a
 * peerbee store; then the folder gets the marker. A folder with other files is refused with
 * `STORAGE_NOT_EMPTY` before Corestore sees it: its one-off layout step, run when the folder
 * has no `CORESTORE` file yet, moves every entry it does not know into `db/`.
 */
export function guarded<T>(dir: string, make: () => T): T {
  checkStorage(dir)
  const marker = path.join(dir, STORAGE_MARKER)
  // That layout step would move the marker too; it is written again once the step has run.
  if (!existsSync(path.join(dir, CORESTORE_FILE))) rmSync(marker, { force: true })
  const store = make()
  mkdirSync(dir, { recursive: true })
  if (!existsSync(marker)) writeFileSync(marker, MARKER_LINE + '\n')
  return store
}

function survey(dir: string): Survey {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { state: 'new', foreign: [] }
    if (code === 'ENOTDIR') return { state: 'foreign', foreign: [] }
    throw err
  }
  if (entries.length === 0) return { state: 'new', foreign: [] }
  const hasCorestore = entries.includes(CORESTORE_FILE)
  if (entries.includes(STORAGE_MARKER) && isMarker(path.join(dir, STORAGE_MARKER))) {
    // With Corestore's file present nothing gets moved, so other files may sit beside the store.
    const foreign = hasCorestore ? [] : entries.filter((e) => e !== STORAGE_MARKER && !CORESTORE_ENTRIES.has(e))
    return { state: foreign.length === 0 ? 'peerbee' : 'foreign', foreign }
  }
  const foreign = entries.filter((e) => !CORESTORE_ENTRIES.has(e))
  return {
    state: hasCorestore && foreign.length === 0 ? 'peerbee' : 'foreign',
    foreign: hasCorestore ? foreign : entries
  }
}

function isMarker(file: string): boolean {
  try {
    return readFileSync(file, 'utf-8').split('\n', 1)[0] === MARKER_LINE
  } catch {
    // A folder named like the marker is not one.
    return false
  }
}

function refusal(dir: string, foreign: string[]): PeerBeeError {
  if (foreign.length === 0) return PeerBeeError.STORAGE_NOT_EMPTY(`${dir} is a file, not a folder`)
  const names =
    foreign.slice(0, NAMES_SHOWN).join(', ') +
    (foreign.length > NAMES_SHOWN ? ` and ${foreign.length - NAMES_SHOWN} more` : '')
  return PeerBeeError.STORAGE_NOT_EMPTY(
    `${dir} holds files that are not a peerbee store (${names}); peerbee leaves them untouched: use an empty or new folder`
  )
}
