import { fork, type ChildProcess } from 'node:child_process'
import { inTempDir, TimeLimitError, type Measurement } from './harness.js'
import { loadSystem } from './systems/index.js'
import type { System, SystemName } from './systems/types.js'
import type { Sizes, Workload, WorkloadId } from './workload.js'

/**
 * Both ends of a benchmark child process. The parent drives each child one repetition at a time,
 * so repetitions can go round-robin across systems while every system keeps a process of its own.
 */

export interface Cell {
  workload: WorkloadId
  system: SystemName
}

export function cellName(cell: Cell): string {
  return `${cell.workload}:${cell.system}`
}

/** Parent → child: run one repetition of a cell in the empty dir `dir`. */
interface RepRequest {
  cell: string
  dir: string
}

/** Child → parent: how one repetition went. A time-out is an outcome, not a failure. */
export type RepOutcome =
  { measurement: Measurement } | { timedOut: { what: string; limitMs: number } } | { error: string }

type RepReport = RepOutcome & { cell: string }

const EXIT_GRACE_MS = 10_000

function isRepRequest(message: unknown): message is RepRequest {
  if (typeof message !== 'object' || message === null || !('cell' in message) || !('dir' in message)) return false
  return typeof message.cell === 'string' && typeof message.dir === 'string'
}

function isRepReport(message: unknown): message is RepReport {
  if (typeof message !== 'object' || message === null || !('cell' in message) || typeof message.cell !== 'string')
    return false
  return 'measurement' in message || 'timedOut' in message || 'error' in message
}

function parseCell(name: string, workloads: readonly Workload[]): { workload: Workload; system: SystemName } {
  const [id, system] = name.split(':')
  const workload = workloads.find((w) => w.id === id)
  if (workload === undefined || !workload.systems.includes(system as SystemName))
    throw new Error(`unknown cell ${name}`)
  return { workload, system: system as SystemName }
}

/** Child side: answers each request with one repetition's outcome, until the parent disconnects. */
export function serveReps(workloads: readonly Workload[], sizes: Sizes): void {
  const systems = new Map<SystemName, System>()
  let queue = Promise.resolve()
  const runRep = async ({ cell, dir }: RepRequest): Promise<RepOutcome> => {
    try {
      const { workload, system } = parseCell(cell, workloads)
      if (!systems.has(system)) systems.set(system, await loadSystem(system))
      // The previous repetition's garbage is collected here, not on the next one's clock.
      ;(globalThis as { gc?: () => void }).gc?.()
      return { measurement: await workload.run(systems.get(system) as System, dir, sizes) }
    } catch (err) {
      if (err instanceof TimeLimitError) return { timedOut: { what: err.what, limitMs: err.limitMs } }
      console.error(`${cell}:`, err)
      return { error: err instanceof Error ? err.message : String(err) }
    }
  }
  process.on('message', (message) => {
    if (!isRepRequest(message)) return
    queue = queue.then(async () => {
      const report: RepReport = { cell: message.cell, ...(await runRep(message)) }
      await new Promise<void>((resolve) => process.send?.(report, () => resolve()))
    })
  })
}

/**
 * Parent side: one child process running repetitions on request. A child that dies or stops
 * answering fails the repetition it was running; the next request starts a new child.
 */
export class CellHost {
  private child: ChildProcess | null = null
  private pending: { child: ChildProcess; cell: string; resolve: (outcome: RepOutcome) => void } | null = null
  private readonly killedFor = new WeakMap<ChildProcess, string>()

  constructor(
    private readonly script: string,
    private readonly args: string[],
    /** A repetition still running after this long is killed with its child. */
    private readonly watchdogMs: number
  ) {}

  private start(): ChildProcess {
    // Node flags such as --cpu-prof reach the child; --expose-gc lets it collect between repetitions.
    const child = fork(this.script, this.args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [...process.execArgv, '--expose-gc']
    })
    child.on('message', (message) => {
      if (isRepReport(message) && this.pending?.cell === message.cell) this.settle(child, message)
    })
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null
      this.settle(child, { error: this.killedFor.get(child) ?? `child process exited with ${signal ?? code}` })
    })
    return child
  }

  /** Ends the pending repetition if `child` is the one running it. */
  private settle(child: ChildProcess, outcome: RepOutcome): void {
    const pending = this.pending
    if (pending === null || pending.child !== child) return
    this.pending = null
    pending.resolve(outcome)
  }

  /**
   * One repetition in a fresh temp dir. The parent deletes the dir, so a child killed mid-way
   * leaves nothing behind (fifty stores of W9 take gigabytes).
   */
  run(cell: Cell): Promise<RepOutcome> {
    return inTempDir((dir) => this.runIn(cell, dir))
  }

  private runIn(cell: Cell, dir: string): Promise<RepOutcome> {
    if (this.pending !== null) throw new Error('a child runs one repetition at a time')
    this.child ??= this.start()
    const child = this.child
    return new Promise<RepOutcome>((resolve) => {
      // The repetition ends once the child is gone, so its dir is deleted after its last write.
      const watchdog = setTimeout(() => {
        this.killedFor.set(child, `no answer within ${this.watchdogMs} ms`)
        child.kill()
      }, this.watchdogMs)
      this.pending = {
        child,
        cell: cellName(cell),
        resolve: (outcome) => {
          clearTimeout(watchdog)
          resolve(outcome)
        }
      }
      child.send({ cell: cellName(cell), dir } satisfies RepRequest)
    })
  }

  /** Lets the child exit; one that a handle left open keeps alive is killed after a grace period. */
  close(): Promise<void> {
    const child = this.child
    this.child = null
    if (child === null || child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
    return new Promise((resolve) => {
      const lingering = setTimeout(() => {
        console.error(`${this.args.join(' ')}: child still running ${EXIT_GRACE_MS} ms after its last repetition`)
        child.kill()
      }, EXIT_GRACE_MS)
      child.once('exit', () => {
        clearTimeout(lingering)
        resolve()
      })
      child.disconnect()
    })
  }
}
