import { median, type Extras, type Measurement, type Phase } from './harness.js'
import { SYSTEM_NAMES } from './systems/index.js'
import type { SystemName } from './systems/types.js'
import { speedRatios, spread } from './rounds.js'
import type { WorkloadId } from './workload.js'

/**
 * One row of bench/results.json: medians over the repetitions of one workload on one system,
 * with what the workload measured besides its time (the {@link Extras}) as medians too.
 */
export interface Result extends Extras {
  workload: WorkloadId
  system: SystemName
  n: number
  ms: number
  opsPerSec: number
  /** Peak RSS over the timed parts of all repetitions. */
  rssMB: number
  /** Each repetition's time, in run order: repetition i of every system ran in round i. */
  repsMs: number[]
  /** Each repetition's CPU time, where the workload measured it. */
  repsCpuMs?: number[]
}

/** A system that did not finish within the workload's limit: a result, not a failure. */
export interface TimeOut {
  workload: WorkloadId
  system: SystemName
  what: string
  limitMs: number
}

export interface Failure {
  workload: WorkloadId
  system: SystemName
  error: string
}

export interface Results {
  node: string
  date: string
  quick: boolean
  /** Repetitions per cell, run round-robin across systems. */
  reps: number
  results: Result[]
  timedOut: TimeOut[]
  failed: Failure[]
}

function round1(x: number): number {
  return Math.round(x * 10) / 10
}

function medianOfEach(lists: number[][]): number[] {
  return lists[0].map((_, i) => median(lists.map((list) => list[i])))
}

function medianPhases(reps: Measurement[]): { [name: string]: Phase } | undefined {
  const first = reps[0].phases
  if (first === undefined) return undefined
  const phases: { [name: string]: Phase } = {}
  for (const [name, { n, cpuMs }] of Object.entries(first)) {
    phases[name] = { n, ms: round1(median(reps.map((m) => m.phases?.[name]?.ms ?? NaN))) }
    if (cpuMs !== undefined) phases[name].cpuMs = round1(median(reps.map((m) => m.phases?.[name]?.cpuMs ?? NaN)))
  }
  return phases
}

const NUMBER_EXTRAS = [
  'peers',
  'diskBytes',
  'diskBytesAfter',
  'diskBytesFresh',
  'indexBytes',
  'indexBytesAfter',
  'indexBytesFresh',
  'uploadBytes',
  'downloadBytes'
] as const
type NumberExtra = (typeof NUMBER_EXTRAS)[number]

/** The medians of one cell's repetitions; an extra appears when the workload measured it. */
export function aggregate(workload: WorkloadId, system: SystemName, n: number, reps: Measurement[]): Result {
  const ms = median(reps.map((m) => m.ms))
  const result: Result = {
    workload,
    system,
    n,
    ms,
    opsPerSec: n / (ms / 1000),
    rssMB: Math.max(...reps.map((m) => m.rssMB)),
    repsMs: reps.map((m) => round1(m.ms))
  }
  if (reps.every((m) => m.cpuMs !== undefined)) result.repsCpuMs = reps.map((m) => round1(m.cpuMs!))
  const numbers = (key: NumberExtra) => reps.map((m) => m[key]).filter((x) => x !== undefined)
  const lists = (key: 'tenths' | 'rssTenthsMB') => reps.map((m) => m[key]).filter((x) => x !== undefined)
  for (const key of NUMBER_EXTRAS) {
    if (numbers(key).length > 0) result[key] = median(numbers(key))
  }
  for (const key of ['tenths', 'rssTenthsMB'] as const) {
    if (lists(key).length > 0) result[key] = medianOfEach(lists(key)).map(Math.round)
  }
  const phases = medianPhases(reps)
  if (phases !== undefined) result.phases = phases
  return result
}

function find(results: Result[], workload: WorkloadId, system: SystemName): Result | undefined {
  return results.find((r) => r.workload === workload && r.system === system)
}

function fixed(x: number, digits: number): string {
  return x.toFixed(digits)
}

function markdown(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)))
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |'
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

/** Workload order, then system order, whatever order the rows were made in. */
function byCell(
  a: { workload: WorkloadId; system: SystemName },
  b: { workload: WorkloadId; system: SystemName }
): number {
  const workload = (id: WorkloadId) => Number(id.slice(1))
  return workload(a.workload) - workload(b.workload) || SYSTEM_NAMES.indexOf(a.system) - SYSTEM_NAMES.indexOf(b.system)
}

/**
 * A Markdown table, so a run can be pasted into an issue as is. "peerbee ×" is the median over
 * rounds of peerbee's ops/s ÷ this system's in the same round (> 1: peerbee is faster), with the
 * lowest and highest round beside it. A system that timed out shows its limit instead of its
 * time, and peerbee is at least its limit ÷ peerbee's time faster.
 */
export function formatTable(results: Result[], timedOut: TimeOut[] = []): string {
  const header = ['workload', 'system', 'n', 'median ms', 'ops/s', 'peerbee × (rounds)', 'peak RSS MB']
  const rows = [...results, ...timedOut].sort(byCell).map((r) => {
    const peerbee = find(results, r.workload, 'peerbee')
    if ('what' in r) {
      const ratio = peerbee === undefined ? '–' : `> ${fixed(r.limitMs / peerbee.ms, 2)}`
      return [r.workload, r.system, '', `> ${r.limitMs}`, `timed out: ${r.what}`, ratio, '']
    }
    const ratio = peerbee === undefined ? '–' : spread(speedRatios(peerbee.repsMs, r.repsMs))
    return [
      r.workload,
      r.system,
      String(r.n),
      fixed(r.ms, 1),
      String(Math.round(r.opsPerSec)),
      ratio,
      fixed(r.rssMB, 0)
    ]
  })
  return markdown(header, rows)
}

function mb(bytes: number): string {
  return `${fixed(bytes / 2 ** 20, 1)} MB`
}

function rate(phase: Phase): string {
  return `${Math.round(phase.n / (phase.ms / 1000))}/s`
}

/** One line per result that measured more than its time (the scale workloads). */
export function formatExtras(results: Result[]): string {
  const lines: string[] = []
  for (const r of results) {
    const parts: string[] = []
    if (r.tenths !== undefined) {
      const last = r.tenths[r.tenths.length - 1]
      parts.push(`ops/s by tenth ${r.tenths.join(' ')} (last ÷ first ${fixed(last / r.tenths[0], 2)})`)
    }
    if (r.rssTenthsMB !== undefined) parts.push(`RSS MB by tenth ${r.rssTenthsMB.join(' ')}`)
    for (const [name, phase] of Object.entries(r.phases ?? {})) {
      const cpu = phase.cpuMs === undefined ? '' : `, CPU ${fixed(phase.cpuMs, 0)} ms`
      parts.push(
        phase.n === 1
          ? `${name} ${fixed(phase.ms, 0)} ms${cpu}`
          : `${name} ${phase.n} in ${fixed(phase.ms, 0)} ms (${rate(phase)}${cpu})`
      )
    }
    if (r.diskBytesAfter !== undefined && r.diskBytes !== undefined) {
      parts.push(`disk ${mb(r.diskBytes)} -> ${mb(r.diskBytesAfter)} (a new peer: ${mb(r.diskBytesFresh ?? NaN)})`)
    } else if (r.diskBytes !== undefined) parts.push(`disk ${mb(r.diskBytes)}`)
    if (r.indexBytes !== undefined && r.indexBytesAfter !== undefined && r.indexBytesFresh !== undefined) {
      const ratio = r.indexBytesAfter / r.indexBytesFresh
      parts.push(
        `index ${mb(r.indexBytes)} -> ${mb(r.indexBytesAfter)} (a new peer's: ${mb(r.indexBytesFresh)}, ${fixed(ratio, 2)}×)`
      )
    }
    if (r.uploadBytes !== undefined && r.downloadBytes !== undefined) {
      const share = (100 * r.uploadBytes) / r.downloadBytes
      parts.push(
        `writer sent ${mb(r.uploadBytes)} of the ${mb(r.downloadBytes)} the peers received (${fixed(share, 0)}%)`
      )
    }
    if (parts.length > 0) lines.push(`${r.workload} ${r.system}: ${parts.join('; ')}`)
  }
  return lines.join('\n')
}
