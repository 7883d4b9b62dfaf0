import { readdir } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import * as ids from 'hypercore-id-encoding'
import { PeerBee, PeerBeeError, type Change, type Entry, type Version, type WriterInfo } from '../lib/index.js'

/** The options every command inherits from `peerbee` itself. */
export interface GlobalOptions {
  storage: string
  bootstrap: string[]
  json: boolean
}

/** A mistake of the user, reported as one line on stderr with exit code 1. */
export class UserError extends Error {
  override get name(): string {
    return 'UserError'
  }
}

/** Aborted by the first SIGINT or SIGTERM: long-running commands stop, every open db closes. */
export const shutdown = new AbortController()

/** The global options as seen from a command. */
export function globals(cmd: Command): GlobalOptions {
  const opts = cmd.optsWithGlobals<Partial<GlobalOptions>>()
  return { storage: opts.storage ?? './.peerbee', bootstrap: opts.bootstrap ?? [], json: opts.json === true }
}

/** How a command finds its db: one the storage holds, a new one, or one named by its key. */
export type OpenMode = { existing: true } | { create: true } | { key: string | Uint8Array }

/**
 * Opens the db of the storage dir, runs `fn`, and closes the db whatever happens. A signal
 * closes the db too, so an interrupted command never leaves the storage half-open.
 */
export async function withDb<T>(
  cmd: Command,
  mode: OpenMode,
  fn: (db: PeerBee, opts: GlobalOptions) => Promise<T>
): Promise<T> {
  const opts = globals(cmd)
  const held = await holdsData(opts.storage)
  // PeerBee creates a db in an empty storage, so the CLI decides first what the user meant.
  if ('existing' in mode && !held) {
    throw new UserError(`No database in ${opts.storage}: run \`peerbee init\` or \`peerbee open <key>\` first`)
  }
  if ('create' in mode && held) {
    throw new UserError(`${opts.storage} already holds a database (\`peerbee status\` shows it)`)
  }
  const db = new PeerBee(opts.storage, {
    ...('key' in mode ? { key: mode.key } : {}),
    ...(opts.bootstrap.length > 0 ? { bootstrap: opts.bootstrap } : {})
  })
  const close = () => void db.close().catch(() => {})
  shutdown.signal.addEventListener('abort', close, { once: true })
  try {
    await db.ready().catch((err: unknown) => {
      throw explainOpenError(err, opts.storage)
    })
    return await fn(db, opts)
  } finally {
    shutdown.signal.removeEventListener('abort', close)
    await db.close()
  }
}

async function holdsData(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length > 0
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
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

/** Resolves when the user interrupts (SIGINT/SIGTERM). */
export function interrupted(): Promise<void> {
  const { signal } = shutdown
  return new Promise((resolve) => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
}

/** A key as the CLI prints it: z-base32. */
export function formatKey(key: Uint8Array): string {
  return ids.encode(key)
}

/** The first characters of a z-base32 key: enough to tell writers apart on screen. */
export function shortKey(key: Uint8Array): string {
  return formatKey(key).slice(0, 8)
}

/** A 32-byte key from hex or z-base32 text. */
export function parseKey(text: string, what: string): Uint8Array {
  try {
    return ids.decode(text)
  } catch {
    throw new UserError(`Not a valid ${what}: ${JSON.stringify(text)} (expected 64 hex or 52 z-base32 characters)`)
  }
}

/** A value typed on the command line: JSON if it parses as JSON, else the string itself. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * A value as plain output shows it, the inverse of {@link parseValue}: a string that would
 * not parse as JSON prints as is, anything else as JSON. So `put k "$(get k)"` keeps the value.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'string' && parseValue(value) === value) return value
  return JSON.stringify(value)
}

/** Parses a non-negative integer option. */
export function parseCount(text: string, what: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UserError(`${what} must be a non-negative integer, got ${JSON.stringify(text)}`)
  return n
}

export function entryJson(e: Entry) {
  return {
    key: e.key,
    value: e.value,
    writer: formatKey(e.writer),
    seq: e.seq,
    clock: e.clock,
    conflicts: e.conflicts.map((c) => ({ ...c, writer: formatKey(c.writer) }))
  }
}

export function versionJson(v: Version) {
  return { ...v, writer: formatKey(v.writer) }
}

export function writerJson(w: WriterInfo) {
  return { ...w, key: formatKey(w.key) }
}

export function changeJson(c: Change) {
  return { key: c.key, value: c.value, deleted: c.deleted }
}

/** Output of one command: plain lines for people, or one JSON value per line with `--json`. */
export class Output {
  readonly json: boolean

  constructor(opts: GlobalOptions) {
    this.json = opts.json
  }

  /** Prints `plain()` for people, or `value` as one JSON line. */
  emit(value: unknown, plain: () => string | null): void {
    if (this.json) {
      process.stdout.write(JSON.stringify(value) + '\n')
      return
    }
    const text = plain()
    if (text !== null) process.stdout.write(text + '\n')
  }

  /** A remark for people only (stderr), so stdout stays clean for pipes; silent with `--json`. */
  note(text: string): void {
    if (!this.json) process.stderr.write(text + '\n')
  }
}

/** `key -> value` lines plus visible conflicts, as `get` and `list` print them. */
export function conflictNote(e: Entry): string {
  if (e.conflicts.length === 0) return ''
  const others = e.conflicts.map((c) => `${c.deleted ? '(deleted)' : formatValue(c.value)} by ${shortKey(c.writer)}`)
  return `conflict: ${formatValue(e.value)} by ${shortKey(e.writer)} won over ${others.join(', ')}`
}

/**
 * Resolves once `check()` holds, re-checking after each index step (`'update'`), membership
 * changes included. Rejects with a {@link UserError} saying `what` after `timeout` ms, or if
 * `check` throws.
 */
export function until(
  db: PeerBee,
  check: () => boolean | Promise<boolean>,
  timeout: number,
  what: string
): Promise<void> {
  return new Promise((resolve, reject) => {
    let running = false
    let again = false
    const done = (err?: unknown) => {
      db.off('update', run)
      clearTimeout(timer)
      if (err === undefined) resolve()
      else reject(err)
    }
    // A step during a check must not be missed: check once more when the running one ends.
    const run = () => {
      if (running) {
        again = true
        return
      }
      running = true
      again = false
      Promise.resolve()
        .then(check)
        .then(
          (ok) => {
            running = false
            if (ok) done()
            else if (again) run()
          },
          (err: unknown) => done(err)
        )
    }
    // Node timers overflow past 2^31 ms (~24 days) and would fire at once.
    const timer = setTimeout(
      () => done(new UserError(`Timed out after ${Math.round(timeout / 1000)} s waiting for ${what}`)),
      Math.min(timeout, 2 ** 31 - 1)
    )
    db.on('update', run)
    run()
  })
}
