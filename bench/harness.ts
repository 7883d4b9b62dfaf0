import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** One timed repetition: wall time of the workload itself and the highest RSS seen meanwhile. */
export interface Measurement {
  ms: number
  rssMB: number
}

const RSS_SAMPLE_MS = 5

/**
 * Times `fn` with `performance.now()` while sampling RSS. Sampling by timer can miss a short
 * spike, so it also samples at both ends; a workload long enough to matter gets hundreds of samples.
 */
export async function measure(fn: () => Promise<void>): Promise<Measurement> {
  let peak = process.memoryUsage.rss()
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, RSS_SAMPLE_MS)
  const start = performance.now()
  try {
    await fn()
  } finally {
    clearInterval(sampler)
  }
  const ms = performance.now() - start
  peak = Math.max(peak, process.memoryUsage.rss())
  return { ms, rssMB: peak / 2 ** 20 }
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

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Awaits a condition polled after each `step`, failing after `limitMs` instead of hanging the run. */
export async function until(step: () => Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const deadline = performance.now() + limitMs
  while (!(await step())) {
    if (performance.now() > deadline) throw new Error(`${what}: not reached within ${limitMs} ms`)
    // Lets replication streams move between polls.
    await new Promise((resolve) => setImmediate(resolve))
  }
}
