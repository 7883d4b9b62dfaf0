import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { SeededDb } from '../../lib/index.js'
import { withTimeout } from './peer-process.js'

/** The CLI beside the demo: `.js` when built, `.ts` when run from source. */
const CLI_SCRIPT = fileURLToPath(new URL(`../peerbee${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url))

const WAIT_TIMEOUT = 30_000

/** `peerbee seed <key> --json` in a child process: the demo reads its status lines. */
export class SeederProcess {
  readonly dir: string
  private readonly child: ChildProcess
  private readonly exited: Promise<void>
  private joined = false
  private latest: SeededDb | null = null
  private readonly waiters = new Set<() => void>()
  private stderr = ''

  private constructor(dir: string, bootstrap: string, key: string) {
    this.dir = dir
    const args = [...process.execArgv, CLI_SCRIPT, '--storage', dir, '--bootstrap', bootstrap, '--json', 'seed', key]
    this.child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()))
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()))
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { event: string } & SeededDb
      if (msg.event === 'joined') this.joined = true
      if (msg.event === 'db') this.latest = msg
      for (const wake of this.waiters) wake()
    })
  }

  /** Starts a seeder of the db `key` and resolves once it has joined the swarm. */
  static async start(dir: string, bootstrap: string, key: string): Promise<SeederProcess> {
    const seeder = new SeederProcess(dir, bootstrap, key)
    await seeder.until(() => seeder.joined)
    return seeder
  }

  get pid(): number {
    return this.child.pid!
  }

  /**
   * Resolves with the seeder's status of the db once `check` holds: now, or at a later line. The
   * seeder prints a status only when it changes, so the one it printed last may already hold.
   */
  until(check: (status: SeededDb | null) => boolean): Promise<SeededDb | null> {
    const reached = new Promise<SeededDb | null>((resolve, reject) => {
      const wake = () => {
        if (this.child.exitCode !== null) reject(new Error(`the seeder exited: ${this.stderr.trim()}`))
        else if (check(this.latest)) resolve(this.latest)
        else return
        this.waiters.delete(wake)
      }
      this.waiters.add(wake)
      this.exited.then(wake)
      wake()
    })
    return withTimeout(reached, WAIT_TIMEOUT, 'the seeder').catch((err: Error) => {
      const latest = this.latest === null ? 'no status yet' : JSON.stringify(this.latest)
      throw new Error(`${err.message} (it last reported ${latest})`)
    })
  }

  /** Interrupts it as Ctrl-C would (it closes its storage); kills it if it does not exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill('SIGINT')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    await this.exited
    clearTimeout(timer)
  }
}
