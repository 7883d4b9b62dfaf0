import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Transform, pipeline } from 'node:stream'
import type { TestContext } from 'node:test'
import { PeerBee, PeerBeeError, type PeerBeeErrorCode, type PeerBeeOptions } from '../lib/index.js'

const stacks = new WeakMap<TestContext, Array<() => unknown>>()

/**
 * Runs `fn` when the test ends, last registered first, so a db closes before its dir goes
 * and peers close before their network. (node:test runs `t.after` hooks in registration order.)
 */
export function teardown(t: TestContext, fn: () => unknown): void {
  let stack = stacks.get(t)
  if (stack === undefined) {
    const fns: Array<() => unknown> = []
    stacks.set(t, fns)
    t.after(async () => {
      while (fns.length > 0) await fns.pop()!()
    })
    stack = fns
  }
  stack.push(fn)
}

/** A temp dir removed when the test ends (an open store preallocates ~70 MB: never leak one). */
export async function tempDir(t: TestContext, prefix = 'peerbee-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix))
  teardown(t, () => rm(dir, { recursive: true, force: true }))
  return dir
}

/** A ready db in a fresh temp dir, closed before its dir is removed. */
export async function createDb<K extends string | Uint8Array = string, V = unknown>(
  t: TestContext,
  opts: PeerBeeOptions = {},
  dir?: string
): Promise<PeerBee<K, V>> {
  const storage = dir ?? (await tempDir(t))
  const db = new PeerBee<K, V>(storage, opts)
  teardown(t, () => db.close())
  await db.ready()
  return db
}

/** Opens a db and closes it again, for a test that expects the open to fail. */
export async function openAndClose(storage: string, opts: PeerBeeOptions): Promise<void> {
  const db = new PeerBee(storage, opts)
  try {
    await db.ready()
  } finally {
    await db.close()
  }
}

/** Replicates two dbs over an in-memory pipe; call the result to cut the connection. */
export function connect(a: PeerBee<any, any>, b: PeerBee<any, any>): () => void {
  return connectUpTo(a, b, Infinity)
}

/**
 * Like `connect`, but no more than `bytes` of what `a` sends reach `b`; the rest is held
 * back, so a test can stop a transfer midway without racing it.
 */
export function connectUpTo(a: PeerBee<any, any>, b: PeerBee<any, any>, bytes: number): () => void {
  const sa = a.replicate(true)
  const sb = b.replicate(false)
  let sent = 0
  const gate = new Transform({
    transform(chunk: Uint8Array, _encoding, done) {
      sent += chunk.byteLength
      done(null, sent <= bytes ? chunk : undefined)
    }
  })
  pipeline(sa, gate, sb, sa, () => {})
  return () => {
    sa.destroy()
    sb.destroy()
  }
}

/** Connects every pair, as a full mesh; returns one disconnect for all. */
export function mesh(dbs: Array<PeerBee<any, any>>): () => void {
  const cuts: Array<() => void> = []
  for (let i = 0; i < dbs.length; i++) {
    for (let j = i + 1; j < dbs.length; j++) cuts.push(connect(dbs[i]!, dbs[j]!))
  }
  return () => cuts.forEach((cut) => cut())
}

/** Polls a condition on every index step instead of sleeping; rejects after `ms`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('waitFor timed out')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Every (key, value, conflicts) of a db, for comparing peers. */
export async function dump(db: PeerBee<any, any>): Promise<unknown[]> {
  const out: unknown[] = []
  for await (const e of db.list()) {
    out.push({
      key: e.key,
      value: e.value,
      writer: Buffer.from(e.writer).toString('hex'),
      seq: e.seq,
      conflicts: e.conflicts.map((c) => ({
        value: c.value,
        deleted: c.deleted,
        writer: Buffer.from(c.writer).toString('hex'),
        seq: c.seq
      }))
    })
  }
  return out
}

/** Every item of an async iterable, in order. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

/**
 * Asserts that `fn` rejects with a PeerBeeError of this code, and that it reports the error
 * by rejecting, never by throwing synchronously (docs/API.md). Asserts the code, never the message.
 */
export async function rejectsWithCode(fn: () => unknown, code: PeerBeeErrorCode): Promise<void> {
  let result: unknown
  try {
    result = fn()
  } catch (err) {
    assert.fail(`threw synchronously instead of rejecting: ${String(err)}`)
  }
  assert.ok(result instanceof Promise, 'expected a promise')
  await assert.rejects(result, (err: unknown) => {
    assert.ok(err instanceof PeerBeeError, `expected a PeerBeeError, got ${String(err)}`)
    assert.equal(err.code, code)
    return true
  })
}

/** A write as property tests generate it: a put, a del, or a batch (a null value deletes). */
export type GeneratedWrite =
  | { type: 'put'; key: string; value: number }
  | { type: 'del'; key: string }
  | { type: 'batch'; ops: Array<{ key: string; value: number | null }> }

/**
 * Applies a generated write. A peer that is not (or no longer) a member may refuse it, which
 * random scenarios produce on purpose; any other error fails the test.
 */
export async function applyWrite(db: PeerBee<string, unknown>, w: GeneratedWrite): Promise<void> {
  try {
    if (w.type === 'put') await db.put(w.key, w.value)
    else if (w.type === 'del') await db.del(w.key)
    else {
      const b = db.batch()
      for (const op of w.ops) {
        if (op.value === null) b.del(op.key)
        else b.put(op.key, op.value)
      }
      await b.flush()
    }
  } catch (err) {
    const code = err instanceof PeerBeeError ? err.code : null
    if (code !== 'NOT_WRITABLE' && code !== 'WRITER_REMOVED') throw err
  }
}

/** All two peers must agree on: the listing with conflicts, every history of `keys`, the writers. */
export async function peerState(db: PeerBee<any, any>, keys: string[]): Promise<unknown> {
  const histories: Record<string, unknown> = {}
  for (const k of keys) {
    histories[k] = (await db.history(k)).map((v) => [Buffer.from(v.writer).toString('hex'), v.seq, v.deleted, v.value])
  }
  const writers = (await db.writers()).map((w) => [Buffer.from(w.key).toString('hex'), w.role, w.removed]).sort()
  return { list: await dump(db), histories, writers, invalid: db.status().invalid }
}

/** Every file and folder below `dir` with its bytes, so a test can prove nothing moved or changed. */
export async function snapshotFiles(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath ?? entry.path, entry.name)
    files.set(path.relative(dir, file), entry.isFile() ? (await readFile(file)).toString('base64') : 'dir')
  }
  return files
}

/** A folder of the user's in `dir`: a file, and a subfolder with a binary file. */
export async function userFolder(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'sub'), { recursive: true })
  await writeFile(path.join(dir, 'notes.txt'), 'my notes\n')
  await writeFile(path.join(dir, 'sub', 'photo.bin'), Buffer.from([0, 1, 2, 255]))
}

/** The files below `dir` that hold `needle` anywhere in their bytes (paths relative to `dir`). */
export async function filesHolding(dir: string, needle: string | Uint8Array): Promise<string[]> {
  const bytes = Buffer.from(needle)
  const found: string[] = []
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath ?? entry.path, entry.name)
    if ((await readFile(file)).includes(bytes)) found.push(path.relative(dir, file))
  }
  return found
}
