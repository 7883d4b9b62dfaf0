import type { EventEmitter } from 'node:events'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A timed step beside a workload's main one (W8's gets, scan and reopen, W9's one peer). */
export interface Phase {
  n: number
  ms: number
  /** The process's CPU time meanwhile, where the phase took it. */
  cpuMs?: number
}

/**
 * What some workloads measure besides their time. A result holds the median of each over its
 * repetitions (element by element for lists), so a new figure is one more optional field here.
 */
export interface Extras {
  /** Throughput (ops/s) of each tenth of a load, in load order. */
  tenths?: number[]
  /** RSS (MB) at the end of each tenth of a load. */
  rssTenthsMB?: number[]
  /** Bytes the db's files take on disk once it is closed (W11: before the compaction). */
  diskBytes?: number
  /** W11: the same after the compaction, and those of a new peer that fetched and indexed the same logs. */
  diskBytesAfter?: number
  diskBytesFresh?: number
  /** W11, peerbee: bytes of the index core before and after the compaction, and the new peer's. */
  indexBytes?: number
  indexBytesAfter?: number
  indexBytesFresh?: number
  /** Bytes the source peer sent on its connections while the others fetched from the swarm. */
  uploadBytes?: number
  /** Bytes those others received meanwhile, from the source and from each other. */
  downloadBytes?: number
  phases?: { [name: string]: Phase }
  /** W9: the peers that each fetched and indexed every op, in one process, as the one-peer phase's peer did. */
  peers?: number
}

/**
 * One timed repetition: wall time of the workload itself and the highest RSS seen meanwhile;
 * `cpuMs`, the process's CPU time meanwhile (user and system), where `measure()` took it: on a
 * machine shared with other work it tells a cost apart from a wait for the CPU.
 */
export interface Measurement extends Extras {
  ms: number
  cpuMs?: number
  rssMB: number
}

const RSS_SAMPLE_MS = 5

export function rssMB(): number {
  return process.memoryUsage.rss() / 2 ** 20
}

/**
 * The highest RSS seen between `start` and `stop`. Sampling by timer can miss a short spike, so
 * it also samples at both ends; a workload long enough to matter gets hundreds of samples.
 */
export class RssPeak {
  private peak = 0
  private sampler: NodeJS.Timeout | null = null

  start(): void {
    this.peak = Math.max(this.peak, rssMB())
    this.sampler = setInterval(() => {
      this.peak = Math.max(this.peak, rssMB())
    }, RSS_SAMPLE_MS)
  }

  /** The peak so far; stopping again is harmless. */
  stop(): number {
    if (this.sampler !== null) clearInterval(this.sampler)
    this.sampler = null
    this.peak = Math.max(this.peak, rssMB())
    return this.peak
  }
}

/** Milliseconds `fn` took. */
export async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

/** Times `fn` with `performance.now()` and the process's CPU time, while sampling RSS. */
export async function measure(fn: () => Promise<void>): Promise<Measurement> {
  const rss = new RssPeak()
  rss.start()
  try {
    const cpu = process.cpuUsage()
    const ms = await timed(fn)
    const used = process.cpuUsage(cpu)
    return { ms, cpuMs: (used.user + used.system) / 1000, rssMB: rss.stop() }
  } finally {
    rss.stop()
  }
}

/**
 * Runs `fn` in a fresh temp dir and deletes the dir afterwards, whatever happens: an open
 * Corestore preallocates tens of MB, so leftover dirs would fill the disk over a run.
 */
export async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'peerbee-bench-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Bytes allocated on disk under `dir`: preallocated but unwritten (sparse) space does not count. */
export async function diskBytes(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).blocks * 512
  }
  return total
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * A wait that ran out of time. The runner reports it as the cell's result (the system did not
 * finish within the limit), not as a failure of the benchmark.
 */
export class TimeLimitError extends Error {
  constructor(
    readonly what: string,
    readonly limitMs: number
  ) {
    super(`${what}: not reached within ${limitMs} ms`)
  }
}

/**
 * A time limit shared by the steps of one wait. Each step gives up once the limit passed, even
 * while it is still running (one update round of fifty peers can take minutes), so a slow
 * system times out at its limit instead of hanging the run.
 */
export class Deadline {
  private readonly end: number

  constructor(
    readonly limitMs: number,
    readonly what: string
  ) {
    this.end = performance.now() + limitMs
  }

  get expired(): boolean {
    return performance.now() >= this.end
  }

  /** `promise`, or a {@link TimeLimitError} once the limit passed without it settling. */
  async race<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimeLimitError(this.what, this.limitMs)),
        Math.max(0, this.end - performance.now())
      )
    })
    try {
      return await Promise.race([promise, limit])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Polls `step` until it returns true; a step that outlives the limit is left to finish alone. */
  async poll(step: () => Promise<boolean>): Promise<void> {
    const polling = async () => {
      while (!this.expired && !(await step())) {
        // Lets replication streams move between polls.
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    await this.race(polling())
  }
}

/** Awaits a condition polled after each `step`, failing after `limitMs`. */
export function until(step: () => Promise<boolean>, limitMs: number, what: string): Promise<void> {
  return new Deadline(limitMs, what).poll(step)
}

/** `promise`, or a {@link TimeLimitError} once `limitMs` passed without it settling. */
export function withinLimit<T>(promise: Promise<T>, limitMs: number, what: string): Promise<T> {
  return new Deadline(limitMs, what).race(promise)
}

/** Resolves on the next `event` of `emitter`, or after `ms` if none comes. */
export function nextEvent(emitter: EventEmitter, event: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      emitter.off(event, done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    emitter.on(event, done)
  })
}
