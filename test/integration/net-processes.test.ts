import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PeerBee, type PeerBeeOptions } from '../../lib/index.js'
import { dump, rejectsWithCode } from '../helpers.js'
import { localTestnet, tempStore, until, within } from './net-helpers.js'

const PEER_SCRIPT = fileURLToPath(new URL('../fixtures/net-peer.ts', import.meta.url))
/** Starting a child (node + tsx + corestore + DHT) takes a few seconds on a busy 2-core box. */
const START_MS = 20_000
const CALL_MS = 20_000

type Defer = (fn: () => unknown) => void

/**
 * Cleanups run last-in first-out in one after() hook, each even if one before it failed.
 * Node runs a test's after() hooks in the order they were registered, so separate hooks
 * would destroy the testnet before the peers on it close, and remove dirs still open.
 */
function cleanups(t: TestContext): Defer {
  const fns: Array<() => unknown> = []
  t.after(async () => {
    const errors: unknown[] = []
    for (const fn of fns.reverse())
      await Promise.resolve()
        .then(fn)
        .catch((err: unknown) => errors.push(err))
    if (errors.length > 0) throw errors[0]
  })
  return (fn) => fns.push(fn)
}

/** A ready db on a Corestore in a fresh temp dir; closed, then its dir removed, at cleanup. */
async function openDb(defer: Defer, opts: PeerBeeOptions): Promise<PeerBee<string, unknown>> {
  const { store, close } = await tempStore()
  defer(close)
  const db = new PeerBee<string, unknown>(store, opts)
  defer(() => db.close())
  await db.ready()
  return db
}

type Op = { key: string; value?: unknown; del?: boolean }
interface Reply {
  id?: number
  ok?: boolean
  result?: unknown
  code?: string | null
  message?: string
  ready?: boolean
  key?: string
  writerKey?: string
}
interface WriterStatus {
  key: string
  length: number
  indexed: number
}

/** A peer in its own process (test/fixtures/net-peer.ts), driven over JSON lines. */
class Peer {
  readonly name: string
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>
  key = ''
  writerKey = ''
  private nextId = 1
  private readonly pending = new Map<number, (reply: Reply) => void>()
  private readonly exited: Promise<unknown>
  private stderr = ''
  private ready: Promise<Reply>

  private constructor(name: string, args: string[]) {
    this.name = name
    this.child = spawn(process.execPath, ['--import', 'tsx', PEER_SCRIPT, ...args], {
      stdio: ['pipe', 'pipe', 'pipe']
    })
    this.exited = once(this.child, 'exit')
    this.child.stderr.setEncoding('utf-8')
    this.child.stderr.on('data', (chunk: string) => (this.stderr += chunk))
    this.child.stdin.on('error', () => {})
    let onReady: (reply: Reply) => void = () => {}
    this.ready = new Promise((resolve) => (onReady = resolve))
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let reply: Reply
      try {
        reply = JSON.parse(line) as Reply
      } catch {
        return // not a protocol line
      }
      if (reply.ready) onReady(reply)
      else if (reply.id !== undefined) this.pending.get(reply.id)?.(reply)
    })
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Spawns a peer that joins the swarm; it is stopped when the test ends, whatever happens. */
  static async start(defer: Defer, name: string, bootstrap: string[], key?: string): Promise<Peer> {
    const dir = await mkdtemp(path.join(tmpdir(), `peerbee-${name}-`))
    defer(() => rm(dir, { recursive: true, force: true }))
    const args = ['--dir', dir, ...bootstrap.flatMap((b) => ['--bootstrap', b])]
    if (key !== undefined) args.push('--key', key)
    const peer = new Peer(name, args)
    defer(() => peer.stop())
    const ready = await within(START_MS, Promise.race([peer.ready, peer.died()]), `${name} to start`)
    peer.key = ready.key!
    peer.writerKey = ready.writerKey!
    return peer
  }

  private async died(): Promise<never> {
    await this.exited
    throw new Error(`${this.name} exited early: ${this.stderr}`)
  }

  /** Sends one command and resolves with its result; rejects with the peer's error code. */
  async call<T = unknown>(cmd: string, args: Record<string, unknown> = {}, ms = CALL_MS): Promise<T> {
    const id = this.nextId++
    const reply = new Promise<Reply>((resolve) => this.pending.set(id, resolve))
    this.child.stdin.write(JSON.stringify({ id, cmd, ...args }) + '\n')
    const r = await within(ms, Promise.race([reply, this.died()]), `${this.name} ${cmd}`).finally(() =>
      this.pending.delete(id)
    )
    if (!r.ok) throw Object.assign(new Error(`${this.name} ${cmd}: ${r.message}`), { code: r.code })
    return r.result as T
  }

  async writers(): Promise<WriterStatus[]> {
    return (await this.call<{ writers: WriterStatus[] }>('status')).writers
  }

  /** This peer's own writer log length. */
  async length(): Promise<number> {
    const own = (await this.writers()).find((w) => w.key === this.writerKey)
    return own?.length ?? 0
  }

  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL')
    await this.exited
  }

  /** Closes stdin so the peer closes its db and exits; SIGKILL if it takes too long. */
  async stop(): Promise<void> {
    if (!this.alive) return
    this.child.stdin.end()
    await within(5000, this.exited, `${this.name} to exit`).catch(() => this.kill())
  }
}

const puts = (prefix: string, n: number, tag: string): Op[] =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${String(i).padStart(3, '0')}`, value: { tag, i } }))

/** Waits until each peer has indexed every writer up to the length it has now. */
async function converge(peers: Peer[], writers: Peer[]): Promise<void> {
  const lengths: Record<string, number> = {}
  for (const w of writers) lengths[w.writerKey] = await w.length()
  await Promise.all(peers.map((p) => p.call('waitIndexed', { lengths })))
}

test(
  'processes: a new peer gets every write from a writer and a reader after the root is SIGKILLed',
  { timeout: 60_000 },
  async (t) => {
    const defer = cleanups(t)
    const net = await localTestnet()
    defer(() => net.destroy())

    const a = await Peer.start(defer, 'A', net.bootstrap)
    const [b, c] = await Promise.all([
      Peer.start(defer, 'B', net.bootstrap, a.key),
      Peer.start(defer, 'C', net.bootstrap, a.key)
    ])
    await a.call('addWriter', { writerKey: b.writerKey })
    await b.call('waitWritable')

    const opsA: Op[] = [...puts('a/', 40, 'A'), { key: 'a/000', del: true }, { key: 'a/001', value: 'again' }]
    const opsB: Op[] = [...puts('b/', 40, 'B'), { key: 'b/039', del: true }]
    await Promise.all([a.call('write', { ops: opsA }), b.call('write', { ops: opsB })])

    // Nothing of A may live only on A when it dies: B and C (the reader) hold all of it.
    await within(CALL_MS, converge([a, b, c], [a, b]), 'A, B and C to index A and B')
    const before = await a.call<unknown[]>('dump')
    assert.deepEqual(await b.call('dump'), before)
    assert.deepEqual(await c.call('dump'), before)
    await assert.rejects(c.call('write', { ops: [{ key: 'c/0', value: 1 }] }), { code: 'NOT_WRITABLE' })

    await a.kill()
    assert.equal(a.child.signalCode, 'SIGKILL')

    const d = await Peer.start(defer, 'D', net.bootstrap, a.key)
    // D knows only the db key; it finds B and C on the swarm.
    await d.call('waitPeers', { peers: 2 })
    await d.call('update')
    const got = await d.call<Array<{ key: string; value: unknown }>>('dump')

    const expected = new Map<string, unknown>()
    for (const op of [...opsA, ...opsB]) {
      if (op.del) expected.delete(op.key)
      else expected.set(op.key, op.value)
    }
    assert.deepEqual(
      got.map((e) => [e.key, e.value]),
      [...expected].sort(([x], [y]) => (x < y ? -1 : 1))
    )
    assert.deepEqual(got, before, 'D sees the same versions (writers, seqs, conflicts) as A had')
    // Every writer log in full, indexed as far as B had it.
    const lengths = (ws: WriterStatus[]) => ws.map((w) => [w.key, w.length, w.indexed]).sort()
    assert.deepEqual(lengths(await d.writers()), lengths(await b.writers()))
  }
)

test(
  'processes: writers partitioned by leave() during concurrent writes converge after join()',
  { timeout: 60_000 },
  async (t) => {
    const defer = cleanups(t)
    const net = await localTestnet()
    defer(() => net.destroy())

    const a = await Peer.start(defer, 'A', net.bootstrap)
    const [b, c] = await Promise.all([
      Peer.start(defer, 'B', net.bootstrap, a.key),
      Peer.start(defer, 'C', net.bootstrap, a.key)
    ])
    await a.call('addWriter', { writerKey: b.writerKey })
    await a.call('addWriter', { writerKey: c.writerKey })
    await Promise.all([b.call('waitWritable'), c.call('waitWritable')])
    const all = [a, b, c]
    // Everyone writes the shared keys s/* and keys of its own.
    const round = (tag: string, n: number) => (p: Peer) =>
      p.call('write', { ops: [...puts('s/', n, `${p.name}-${tag}`), ...puts(`${p.name}/${tag}/`, n, tag)] })

    // Partition: B and C leave while all three are writing.
    await Promise.all([...all.map(round('1', 15)), b.call('leave'), c.call('leave')])
    await Promise.all([b.call('waitPeers', { peers: 0 }), c.call('waitPeers', { peers: 0 })])
    // Three islands: these versions of s/* cannot cite each other, so they conflict.
    await Promise.all(
      all.map((p) =>
        p.call('write', {
          ops: [...puts('s/', 10, `${p.name}-2`), { key: 's/003', del: true }, { key: `${p.name}/only`, value: p.name }]
        })
      )
    )
    // Heal while all three keep writing.
    await Promise.all([...all.map(round('3', 10)), b.call('join'), c.call('join')])

    await within(CALL_MS, converge(all, all), 'all peers to index every writer')
    const [da, db, dc] = await Promise.all(all.map((p) => p.call<Array<{ key: string; conflicts: unknown[] }>>('dump')))
    assert.deepEqual(db, da)
    assert.deepEqual(dc, da)
    assert.ok(
      da!.some((e) => e.conflicts.length > 0),
      'the partition produced conflicts'
    )
    for (const p of all) assert.ok(da!.some((e) => e.key === `${p.name}/only`))
  }
)

test(
  'update() resolves once what a swarm peer had is indexed, and rejects with CLOSED on close',
  { timeout: 60_000 },
  async (t) => {
    const defer = cleanups(t)
    const net = await localTestnet()
    defer(() => net.destroy())
    const writer = await openDb(defer, { bootstrap: net.bootstrap })
    for (let i = 0; i < 4; i++) {
      const batch = writer.batch()
      for (let j = 0; j < 500; j++) batch.put(`k/${String(i * 500 + j).padStart(5, '0')}`, { i, j })
      await batch.flush()
    }
    await writer.join()

    const reader = await openDb(defer, { bootstrap: net.bootstrap, key: writer.key })
    await reader.join()
    await within(
      10_000,
      until(reader, ['peer-add'], () => reader.status().peers > 0),
      'reader to connect'
    )
    await within(20_000, reader.update(), 'reader.update()')
    assert.deepEqual(await dump(reader), await dump(writer))

    // A second reader closes while its update() is still downloading.
    const late = await openDb(defer, { bootstrap: net.bootstrap, key: writer.key })
    await late.join()
    await within(
      10_000,
      until(late, ['peer-add'], () => late.status().peers > 0),
      'late reader to connect'
    )
    let settled = false
    const pending = late.update().finally(() => (settled = true))
    const progress = new Promise<void>((resolve) => {
      late.on('sync', (p: { length: number; indexed: number }) => {
        if (p.length > 0 && p.indexed < p.length) resolve()
      })
    })
    await within(10_000, progress, 'late reader to start downloading')
    assert.equal(settled, false, 'update() is still waiting for the rest')
    const closing = late.close()
    await rejectsWithCode(() => pending, 'CLOSED')
    await closing
    await rejectsWithCode(() => late.update(), 'CLOSED')
  }
)
