import { check, describe, TARGETS } from './targets.js'
import type { SystemName } from './systems/types.js'
import type { WorkloadId } from './workloads.js'

/** One row of bench/results.json: medians over the repetitions of one workload on one system. */
export interface Result {
  workload: WorkloadId
  system: SystemName
  n: number
  ms: number
  opsPerSec: number
  /** Peak RSS over the timed parts of all repetitions. */
  rssMB: number
  /** Each repetition's time, in run order. */
  repsMs: number[]
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
  results: Result[]
  failed: Failure[]
}

function find(results: Result[], workload: WorkloadId, system: SystemName): Result | undefined {
  return results.find((r) => r.workload === workload && r.system === system)
}

function fixed(x: number, digits: number): string {
  return x.toFixed(digits)
}

/** A Markdown table, so a run can be pasted into an issue as is. */
export function formatTable(results: Result[]): string {
  const header = ['workload', 'system', 'n', 'median ms', 'ops/s', 'peerbee ×', 'peak RSS MB']
  const rows = results.map((r) => {
    const peerbee = find(results, r.workload, 'peerbee')
    // How many times faster peerbee is than this system (> 1: peerbee is faster).
    const ratio = peerbee === undefined ? '–' : fixed(peerbee.opsPerSec / r.opsPerSec, 2)
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
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)))
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |'
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

export function formatTargets(results: Result[]): string {
  const lines: string[] = []
  for (const target of TARGETS) {
    if (!results.some((r) => r.workload === target.workload)) continue
    const peerbee = find(results, target.workload, 'peerbee')
    const other = find(results, target.workload, target.against)
    const name = `${target.workload} ${target.level}: peerbee ${describe(target)}`
    if (peerbee === undefined || other === undefined) {
      lines.push(`  ?    ${name}: not measured`)
      continue
    }
    const { ratio, holds } = check(target, peerbee.ms, other.ms)
    lines.push(`  ${holds ? 'ok  ' : 'MISS'} ${name}: ${fixed(ratio, 2)}×`)
  }
  return lines.join('\n')
}
