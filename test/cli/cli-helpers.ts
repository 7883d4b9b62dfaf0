import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import createTestnet from '@hyperswarm/testnet'

/** A private DHT for one test, destroyed after it; the CLI reaches it with these `--bootstrap` args. */
export async function testnet(t: { after: (fn: () => Promise<void>) => void }): Promise<string[]> {
  const net = await createTestnet(3)
  t.after(() => net.destroy())
  return net.bootstrap.flatMap((node) => ['--bootstrap', `${node.host}:${node.port}`])
}

/** The built CLI, as `npx peerbee` runs it (`npm run build` makes it). */
export const CLI = fileURLToPath(new URL('../../dist/bin/peerbee.js', import.meta.url))

export interface Result {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `peerbee ...args` to completion in `cwd`, with `input` on stdin. */
export function run(cwd: string, args: string[], input = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input)
  })
}

/** A user error: exit 1, exactly one line on stderr, no stack trace. */
export function assertUserError(r: Result, pattern: RegExp): void {
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}; stderr: ${r.stderr}`)
  const lines = r.stderr.split('\n').filter((l) => l !== '')
  assert.equal(lines.length, 1, `expected one stderr line, got: ${r.stderr}`)
  assert.match(lines[0]!, pattern)
  assert.doesNotMatch(r.stderr, /\n\s+at /)
}

/** `run` that expects success and returns stdout lines. */
export async function ok(cwd: string, args: string[], input = ''): Promise<string[]> {
  const r = await run(cwd, args, input)
  if (r.code !== 0) throw new Error(`peerbee ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout.split('\n').filter((l) => l !== '')
}

/** A long-running `peerbee` process whose output lines can be awaited. */
export class Running {
  readonly child: ChildProcess
  readonly lines: string[] = []
  stderr = ''
  private readonly waiters = new Set<() => void>()
  private readonly exited: Promise<number | null>

  constructor(cwd: string, args: string[]) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd })
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(line)
      for (const wake of this.waiters) wake()
    })
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()))
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)))
  }

  /** Resolves with the first line (seen or to come) that `match` accepts. */
  line(match: (line: string) => boolean, ms = 20_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.lines.find(match)
        if (found === undefined) return
        done()
        resolve(found)
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`no matching line within ${ms} ms; stdout: ${this.lines.join('\n')}\nstderr: ${this.stderr}`))
      }, ms)
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }

  /** Sends a signal and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    return this.exited
  }
}

/** A temp working dir for one test; on teardown its processes are killed, then it is removed. */
export class Sandbox {
  readonly dir: string
  private readonly running: Running[] = []

  private constructor(dir: string) {
    this.dir = dir
  }

  static async create(t: TestContext): Promise<Sandbox> {
    const box = new Sandbox(await mkdtemp(path.join(tmpdir(), 'peerbee-cli-')))
    // One hook, so the order is certain: no process still holds the dir when it goes.
    t.after(async () => {
      await Promise.all(box.running.map((r) => r.stop('SIGKILL')))
      await rm(box.dir, { recursive: true, force: true })
    })
    return box
  }

  run(args: string[], input = ''): Promise<Result> {
    return run(this.dir, args, input)
  }

  /** Runs independent commands, a few at a time; results in the order of `runs`. */
  async runAll(runs: string[][], parallel = 6): Promise<Result[]> {
    const results: Result[] = []
    for (let i = 0; i < runs.length; i += parallel) {
      results.push(...(await Promise.all(runs.slice(i, i + parallel).map((args) => this.run(args)))))
    }
    return results
  }

  ok(args: string[], input = ''): Promise<string[]> {
    return ok(this.dir, args, input)
  }

  start(args: string[]): Running {
    const r = new Running(this.dir, args)
    this.running.push(r)
    return r
  }
}
