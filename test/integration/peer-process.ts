import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { PeerBee, type PeerBeeOptions } from '../../lib/index.js'
import { tempStore, within } from './net-helpers.js'

const PEER_SCRIPT = fileURLToPath(new URL('../fixtures/net-peer.ts', import.meta.url))
/** Starting a child (node + tsx + corestore + DHT) takes a few seconds on a busy 2-core box. */
export const START_MS = 20_000
export const CALL_MS = 20_000

export type Defer = (fn: () => unknown) => void

/**
 * Cleanups run last-in first-out in one after() hook, each even if one before it failed.
 * Node runs a test's after() hooks in the order they were registered, so separate hooks
 * would destroy the testnet before the peers on it close, and remove dirs still open.
 */
export function cleanups(t: TestContext): Defer {
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

export type Op = { key: string; value?: unknown; del?: boolean }
interface Reply {
  id?: number
  ok?: boolean
  result?: unknown
  code?: string | null
  message?: string
  ready?: boolean
  key?: string
  writerKey?: string
  peerKey?: string
  discoveryKey?: string
  encryptionKey?: string | null
}
export interface WriterStatus {
  key: string
  length: number
  indexed: number
}

/** A peer in its own process (test/fixtures/net-peer.ts), driven over JSON lines. */
export class Peer {
  readonly name: string
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>
  key = ''
  writerKey = ''
  peerKey = ''
  discoveryKey = ''
  /** The key of an encrypted db (hex) this peer holds (start it with `--encrypt` or `--encryption-key`). */
  encryptionKey: string | null = null
  /** Its storage folder. */
  dir = ''
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
  static async start(
    defer: Defer,
    name: string,
    bootstrap: string[],
    key?: string,
    extra: string[] = []
  ): Promise<Peer> {
    const dir = await mkdtemp(path.join(tmpdir(), `peerbee-${name}-`))
    defer(() => rm(dir, { recursive: true, force: true }))
    const args = ['--dir', dir, ...bootstrap.flatMap((b) => ['--bootstrap', b]), ...extra]
    if (key !== undefined) args.push('--key', key)
    const peer = new Peer(name, args)
    defer(() => peer.stop())
    const ready = await within(START_MS, Promise.race([peer.ready, peer.died()]), `${name} to start`)
    peer.key = ready.key!
    peer.writerKey = ready.writerKey!
    peer.peerKey = ready.peerKey!
    peer.discoveryKey = ready.discoveryKey!
    peer.encryptionKey = ready.encryptionKey ?? null
    peer.dir = dir
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

/** A ready db on a Corestore in a fresh temp dir; closed, then its dir removed, at cleanup. */
export async function openDb(defer: Defer, opts: PeerBeeOptions): Promise<PeerBee<string, unknown>> {
  const { store, close } = await tempStore()
  defer(close)
  const db = new PeerBee<string, unknown>(store, opts)
  defer(() => db.close())
  await db.ready()
  return db
}

/** `n` puts of keys `prefix000`, `prefix001`, ... */
export const puts = (prefix: string, n: number, tag: string): Op[] =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${String(i).padStart(3, '0')}`, value: { tag, i } }))

/** Waits until each peer has indexed every writer up to the length it has now. */
export async function converge(peers: Peer[], writers: Peer[]): Promise<void> {
  const lengths: Record<string, number> = {}
  for (const w of writers) lengths[w.writerKey] = await w.length()
  await Promise.all(peers.map((p) => p.call('waitIndexed', { lengths })))
}
