import path from 'node:path'
import type { Command } from 'commander'
import { PeerBee, PeerBeeError, checkStorage, type PeerBeeOptions } from '../lib/index.js'
import { UserError } from './errors.js'
import { abortable, shutdown } from './waits.js'

/** The options every command inherits from `peerbee` itself. */
export interface GlobalOptions {
  storage: string
  bootstrap: string[]
  json: boolean
  /** Bytes of one writer's log this peer downloads at most; the library's default without. */
  maxWriterBytes: number | undefined
  /** Bytes of the index reads may keep in memory; the library's default without. */
  cacheSize: number | undefined
  membersOnly: boolean
  maxInbound: number | undefined
  maxOutbound: number | undefined
  lan: boolean
}

export const DEFAULT_STORAGE = './.peerbee'

/** The global options as seen from a command. */
export function globals(cmd: Command): GlobalOptions {
  const opts = cmd.optsWithGlobals<Partial<GlobalOptions>>()
  return {
    storage: opts.storage ?? DEFAULT_STORAGE,
    bootstrap: opts.bootstrap ?? [],
    json: opts.json === true,
    maxWriterBytes: opts.maxWriterBytes,
    cacheSize: opts.cacheSize,
    membersOnly: opts.membersOnly === true,
    maxInbound: opts.maxInbound,
    maxOutbound: opts.maxOutbound,
    lan: opts.lan !== false
  }
}

/** The db options the global flags set: the DHT, and who may connect. */
export function networkOptions(opts: GlobalOptions): PeerBeeOptions {
  return {
    ...(opts.bootstrap.length > 0 ? { bootstrap: opts.bootstrap } : {}),
    membersOnly: opts.membersOnly,
    lan: opts.lan,
    ...(opts.maxInbound === undefined ? {} : { maxInbound: opts.maxInbound }),
    ...(opts.maxOutbound === undefined ? {} : { maxOutbound: opts.maxOutbound })
  }
}

/**
 * How a command finds its db: one the storage holds (recovered, if asked), a new one
 * (encrypted or not), or one named by its key (with the key of an encrypted db, if given).
 */
export type OpenMode =
  | { existing: true; recover?: true }
  | { create: true; encrypt?: boolean }
  | { key: string | Uint8Array; encryptionKey?: Uint8Array }

/**
 * Checks what the storage folder holds before anything opens it: only `init`, `open` and
 * `join` make a database, and a folder of other files is refused (`STORAGE_NOT_EMPTY`).
 */
export function checkStorageFor(storage: string, mode: OpenMode): void {
  const state = checkStorage(storage)
  if ('existing' in mode && state === 'new') {
    throw new UserError(`No database in ${storage}: run \`peerbee init\` or \`peerbee open <key>\` first`)
  }
  if ('create' in mode && state === 'peerbee') {
    throw new UserError(`${storage} already holds a database (\`peerbee status\` shows it)`)
  }
}

/**
 * Opens the db of the storage dir, runs `fn`, and closes the db whatever happens. The first
 * signal ends `fn`'s wait at once and closes the db, so the storage is never left half-open.
 */
export async function withDb<T>(
  cmd: Command,
  mode: OpenMode,
  fn: (db: PeerBee, opts: GlobalOptions) => Promise<T>
): Promise<T> {
  const opts = globals(cmd)
  checkStorageFor(opts.storage, mode)
  const db = new PeerBee(opts.storage, {
    ...('key' in mode ? { key: mode.key } : {}),
    ...('recover' in mode ? { recover: true } : {}),
    ...('encryptionKey' in mode ? { encryptionKey: mode.encryptionKey } : {}),
    ...('encrypt' in mode ? { encrypt: mode.encrypt } : {}),
    ...(opts.maxWriterBytes === undefined ? {} : { maxWriterBytes: opts.maxWriterBytes }),
    ...(opts.cacheSize === undefined ? {} : { cacheSize: opts.cacheSize }),
    ...networkOptions(opts)
  })
  return closingOnSignal(db, async () => {
    await abortable(
      db.ready().catch((err: unknown) => {
        throw explainOpenError(err, opts.storage)
      })
    )
    return abortable(fn(db, opts))
  })
}

/** Runs `fn`, then closes `db` (or a seeder); a signal closes it at once. */
export async function closingOnSignal<T>(db: { close(): Promise<void> }, fn: () => Promise<T>): Promise<T> {
  const close = () => void db.close().catch(() => {})
  shutdown.signal.addEventListener('abort', close, { once: true })
  try {
    return await fn()
  } finally {
    shutdown.signal.removeEventListener('abort', close)
    await db.close()
  }
}

/** A storage another process holds: say which dir, and what to do about it. */
function explainOpenError(err: unknown, storage: string): unknown {
  if (err instanceof PeerBeeError && err.code === 'STORAGE_LOCKED') {
    return new UserError(
      `${path.resolve(storage)} is in use by another process (a \`peerbee serve\` or an app): stop it, or use another --storage`
    )
  }
  return err
}
