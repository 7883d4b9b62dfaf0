import cliProgress from 'cli-progress'
import * as ids from 'hypercore-id-encoding'
import type { Change, Entry, PeerBee, Version, WriterInfo } from '../lib/index.js'
import { UserError } from './errors.js'
import { formatValue } from './values.js'

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

/** A non-negative integer option; `what` names it in the refusal. */
export function parseCount(text: string, what: string): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 0)
    throw new UserError(`${what} must be a non-negative integer, got ${JSON.stringify(text)}`)
  return n
}

/** A commander argument parser for a non-negative integer option, so its default shows as a number. */
export function countOption(what: string): (text: string) => number {
  return (text) => parseCount(text, what)
}

/** A db as `init`, `open` and `join` print it: its key, this peer's writer key and role, the key of an encrypted db. */
export function dbJson(db: PeerBee) {
  const encryptionKey = db.encryptionKey === null ? {} : { encryptionKey: formatKey(db.encryptionKey) }
  return { key: db.id, writerKey: formatKey(db.writerKey), role: db.role, ...encryptionKey }
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

/** The conflicting versions of an entry in one line, as `get` and `list` show them; '' without. */
export function conflictNote(e: Entry): string {
  if (e.conflicts.length === 0) return ''
  const others = e.conflicts.map((c) => `${c.deleted ? '(deleted)' : formatValue(c.value)} by ${shortKey(c.writer)}`)
  return `conflict: ${formatValue(e.value)} by ${shortKey(e.writer)} won over ${others.join(', ')}`
}

/** Output of one command: plain lines for people, or one JSON value per line with `--json`. */
export class Output {
  readonly json: boolean

  constructor(opts: { json: boolean }) {
    this.json = opts.json
  }

  /** A progress bar on stderr for people at a terminal; none with `--json` or when piped. */
  bar(format?: string): cliProgress.SingleBar | null {
    if (this.json || !process.stderr.isTTY) return null
    return new cliProgress.SingleBar({ stream: process.stderr, ...(format === undefined ? {} : { format }) })
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
