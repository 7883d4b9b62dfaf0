import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Request } from './peer.js'

/** The peer script beside this file: `.js` when built, `.ts` when run from source. */
const PEER_SCRIPT = fileURLToPath(new URL(`./peer${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url))

/** How long one request may take before the demo gives up on the peer. */
const REQUEST_TIMEOUT = 30_000

interface Reply {
  id?: number
  event?: string
  result?: unknown
  error?: string
  key?: string
  writerKey?: string
  encryptionKey?: string
}

/** A demo peer running in a child process, driven by JSON-line requests. */
export class PeerProcess {
  readonly name: string
  readonly dir: string
  /** The db key and this peer's writer key, in z-base32; the encryption key of an encrypted db. */
  key = ''
  writerKey = ''
  encryptionKey: string | null = null
  private readonly child: ChildProcess
  private readonly exited: Promise<void>
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private nextId = 1
  private stderr = ''
  alive = true

  private constructor(name: string, dir: string, bootstrap: string, open: string[]) {
    this.name = name
    this.dir = dir
    const args = [...process.execArgv, PEER_SCRIPT, dir, bootstrap, ...open]
    this.child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()))
    this.exited = new Promise((resolve) =>
      this.child.once('exit', () => {
        this.alive = false
        for (const p of this.pending.values()) p.reject(this.failure('exited'))
        this.pending.clear()
        resolve()
      })
    )
  }

  /**
   * Starts a peer and resolves once it has opened the db and joined the swarm. `open`: the db
   * key (and encryption key) of an existing db, `['--encrypt']` for a new encrypted one, or
   * nothing for a new db.
   */
  static async start(name: string, dir: string, bootstrap: string, open: string[] = []): Promise<PeerProcess> {
    const peer = new PeerProcess(name, dir, bootstrap, open)
    const ready = new Promise<void>((resolve, reject) => {
      peer.exited.then(() => reject(peer.failure('exited before it was ready')))
      createInterface({ input: peer.child.stdout! }).on('line', (line) => {
        const msg = JSON.parse(line) as Reply
        if (msg.event === 'ready') {
          peer.key = msg.key!
          peer.writerKey = msg.writerKey!
          peer.encryptionKey = msg.encryptionKey ?? null
          resolve()
        } else if (msg.id !== undefined) {
          const p = peer.pending.get(msg.id)
          peer.pending.delete(msg.id)
          if (msg.error !== undefined) p?.reject(new Error(`${peer.name}: ${msg.error}`))
          else p?.resolve(msg.result)
        }
      })
    })
    await withTimeout(ready, REQUEST_TIMEOUT, `${name} to start`)
    return peer
  }

  get pid(): number {
    return this.child.pid!
  }

  /** Sends one request and resolves with the peer's answer. */
  request<T = unknown>(req: Request): Promise<T> {
    if (!this.alive) return Promise.reject(this.failure('is not running'))
    const id = this.nextId++
    const reply = new Promise<T>((resolve, reject) =>
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
    )
    this.child.stdin!.write(JSON.stringify({ id, ...req }) + '\n')
    return withTimeout(reply, REQUEST_TIMEOUT, `${this.name} to answer ${req.op}`)
  }

  /** Kills the process at once, as a crash or power cut of that machine would. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL')
    await this.exited
  }

  /** Asks the peer to close its db and exit; kills it if it does not. */
  async stop(): Promise<void> {
    if (!this.alive) return
    this.child.stdin!.end()
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    await this.exited
    clearTimeout(timer)
  }

  private failure(what: string): Error {
    const detail = this.stderr.trim().split('\n').pop()
    return new Error(`peer ${this.name} ${what}${detail ? `: ${detail}` : ''}`)
  }
}

/** Rejects after `ms` unless `promise` settles first; the timer never keeps the process alive. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)), ms)
    timer.unref()
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
