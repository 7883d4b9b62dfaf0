import { ONE_PEER } from './convergence.js'
import type { Result } from './report.js'
import { median } from './harness.js'
import { spreadOf, speedRatios, timeRatios, type Spread } from './rounds.js'
import type { SystemName } from './systems/types.js'
import type { WorkloadId } from './workload.js'

type Level = 'must reach' | 'aim'

/**
 * A target against another system. `speed`: peerbee ops/s ÷ the other's ops/s must be at least
 * `factor`. `time`: peerbee's time ÷ the other's time must be at most `factor`. Judged on the
 * median of the per-round ratios. `subject`: the system judged, peerbee unless said.
 */
export interface RatioTarget {
  workload: WorkloadId
  subject?: SystemName
  against: SystemName
  metric: 'speed' | 'time'
  factor: number
  level: Level
}

/**
 * A target on peerbee's own figures. `lastTenth`: the last tenth's ops/s ÷ the first's must be at
 * least `bound`. `rssMB`: peak RSS must stay under `bound`. `compactedIndex`: the index after a
 * compaction ÷ a new peer's index of the same logs must be at most `bound`.
 */
export interface OwnTarget {
  workload: WorkloadId
  metric: 'lastTenth' | 'rssMB' | 'compactedIndex'
  bound: number
  level: Level
}

/**
 * peerbee's time on a workload ÷ the time of one of its phases, measured in the same
 * repetitions (W9's convergence ÷ the same ops on one peer), must be at most `bound`.
 * `perPeer`: the phase's time counts once for each of the workload's peers, which all share
 * one process and so one thread: fifty peers that each index every op cannot take less than
 * fifty times what one takes, so what is judged is the cost beyond that work.
 */
export interface PhaseTarget {
  workload: WorkloadId
  metric: 'overPhase'
  phase: string
  perPeer: boolean
  bound: number
  level: Level
}

/**
 * peerbee's ops/s in a phase of a workload ÷ its ops/s on another workload of the same run
 * (W8's gets at a million keys ÷ W4's at 100,000) must be at least `bound`.
 */
export interface PhaseSpeedTarget {
  workload: WorkloadId
  metric: 'phaseSpeed'
  phase: string
  of: WorkloadId
  bound: number
  level: Level
}

export type Target = RatioTarget | OwnTarget | PhaseTarget | PhaseSpeedTarget

export const TARGETS: readonly Target[] = [
  { workload: 'W1', against: 'autobase', metric: 'speed', factor: 5, level: 'must reach' },
  { workload: 'W1', against: 'hyperbee', metric: 'speed', factor: 1, level: 'aim' },
  { workload: 'W2', against: 'autobase', metric: 'speed', factor: 2, level: 'must reach' },
  { workload: 'W2', against: 'autobase', metric: 'speed', factor: 3, level: 'aim' },
  { workload: 'W3', against: 'hyperbee', metric: 'speed', factor: 0.8, level: 'must reach' },
  { workload: 'W3', against: 'pouchdb', metric: 'speed', factor: 1, level: 'aim' },
  { workload: 'W4', against: 'hyperbee', metric: 'speed', factor: 1, level: 'must reach' },
  { workload: 'W4', against: 'pouchdb', metric: 'speed', factor: 1, level: 'aim' },
  { workload: 'W5', against: 'hyperbee', metric: 'speed', factor: 1, level: 'must reach' },
  { workload: 'W5', against: 'pouchdb', metric: 'speed', factor: 1, level: 'aim' },
  { workload: 'W6', against: 'autobase', metric: 'time', factor: 0.5, level: 'must reach' },
  { workload: 'W6', against: 'pouchdb', metric: 'time', factor: 1, level: 'aim' },
  { workload: 'W7', against: 'hyperbee', metric: 'time', factor: 1, level: 'must reach' },
  { workload: 'W7', against: 'pouchdb', metric: 'time', factor: 1, level: 'aim' },
  { workload: 'W8', metric: 'lastTenth', bound: 0.7, level: 'must reach' },
  // An encrypted db costs at most 15% more time than a plain one on the same workload.
  ...(['W1', 'W3', 'W5', 'W7'] as const).map((workload): RatioTarget => ({
    workload,
    subject: 'peerbee-encrypted',
    against: 'peerbee',
    metric: 'time',
    factor: 1.15,
    level: 'must reach'
  })),
  { workload: 'W8', metric: 'rssMB', bound: 600, level: 'must reach' },
  { workload: 'W8', metric: 'phaseSpeed', phase: 'gets', of: 'W4', bound: 0.5, level: 'must reach' },
  // Fifty peers in a chain converge within 3× the time one peer takes to fetch and index the same
  // ops, for each of the fifty.
  { workload: 'W9', metric: 'overPhase', phase: ONE_PEER, perPeer: true, bound: 3, level: 'must reach' },
  { workload: 'W11', metric: 'compactedIndex', bound: 2, level: 'must reach' }
]

/** The target's ratio in each round, judged on their median. */
export function check(target: RatioTarget, peerbee: Result, other: Result): Spread & { holds: boolean } {
  const ratios =
    target.metric === 'time' ? timeRatios(peerbee.repsMs, other.repsMs) : speedRatios(peerbee.repsMs, other.repsMs)
  const spread = spreadOf(ratios)
  return {
    ...spread,
    holds: target.metric === 'time' ? spread.median <= target.factor : spread.median >= target.factor
  }
}

function describe(target: Target): string {
  if (target.metric === 'overPhase')
    return `time ≤ ${target.bound}× its ${target.phase} phase${target.perPeer ? ' × its peers' : ''}`
  if (target.metric === 'phaseSpeed') return `${target.phase} ops/s ≥ ${target.bound}× its ${target.of} ops/s`
  if (!('against' in target)) {
    if (target.metric === 'compactedIndex') return `compacted index ≤ ${target.bound}× a new peer's`
    return target.metric === 'lastTenth'
      ? `last tenth's ops/s ≥ ${target.bound}× the first's`
      : `peak RSS < ${target.bound} MB`
  }
  return target.metric === 'time'
    ? `time ≤ ${target.factor}× ${target.against}'s`
    : `ops/s ≥ ${target.factor}× ${target.against}`
}

/**
 * The workload's time ÷ its phase's, with the same ratio in CPU time beside it: a CPU ratio near
 * the time ratio says the workload is bound by the work its peers share one process for, not by
 * waits.
 */
function checkPhase(target: PhaseTarget, peerbee: Result): { shown: string; holds: boolean } | null {
  const phase = peerbee.phases?.[target.phase]
  if (phase === undefined) return null
  const peers = target.perPeer ? peerbee.peers : 1
  if (peers === undefined) return null
  const ratio = peerbee.ms / (phase.ms * peers)
  const cpu =
    phase.cpuMs === undefined || peerbee.repsCpuMs === undefined
      ? ''
      : `, CPU time ${(median(peerbee.repsCpuMs) / (phase.cpuMs * peers)).toFixed(2)}×`
  const whole = peers === 1 ? '' : ` (${(peerbee.ms / phase.ms).toFixed(1)}× one peer's time for ${peers} peers)`
  return { shown: `${ratio.toFixed(2)}×${cpu}${whole}`, holds: ratio <= target.bound }
}

function checkPhaseSpeed(
  target: PhaseSpeedTarget,
  peerbee: Result,
  other: Result | undefined
): { shown: string; holds: boolean } | null {
  const phase = peerbee.phases?.[target.phase]
  if (phase === undefined || other === undefined) return null
  const speed = phase.n / (phase.ms / 1000)
  const ratio = speed / other.opsPerSec
  return {
    shown: `${ratio.toFixed(2)}× (${Math.round(speed)} against ${Math.round(other.opsPerSec)} ops/s)`,
    holds: ratio >= target.bound
  }
}

/** peerbee's own figure for `target` and whether it holds, or null when it was not measured. */
function checkOwn(target: OwnTarget, peerbee: Result): { shown: string; holds: boolean } | null {
  if (target.metric === 'rssMB')
    return { shown: `${Math.round(peerbee.rssMB)} MB`, holds: peerbee.rssMB < target.bound }
  if (target.metric === 'compactedIndex') {
    if (peerbee.indexBytesAfter === undefined || peerbee.indexBytesFresh === undefined) return null
    const ratio = peerbee.indexBytesAfter / peerbee.indexBytesFresh
    return { shown: `${ratio.toFixed(2)}×`, holds: ratio <= target.bound }
  }
  if (peerbee.tenths === undefined) return null
  const ratio = peerbee.tenths[peerbee.tenths.length - 1] / peerbee.tenths[0]
  return { shown: `${ratio.toFixed(2)}×`, holds: ratio >= target.bound }
}

function verdict(target: Target, results: Result[]): { shown: string; holds: boolean } | null {
  const find = (system: SystemName) => results.find((r) => r.workload === target.workload && r.system === system)
  const peerbee = find('against' in target ? (target.subject ?? 'peerbee') : 'peerbee')
  if (peerbee === undefined) return null
  if (target.metric === 'overPhase') return checkPhase(target, peerbee)
  if (target.metric === 'phaseSpeed') {
    const of = target.of
    return checkPhaseSpeed(
      target,
      peerbee,
      results.find((r) => r.workload === of && r.system === 'peerbee')
    )
  }
  if (!('against' in target)) return checkOwn(target, peerbee)
  const other = find(target.against)
  if (other === undefined) return null
  const { median, min, max, holds } = check(target, peerbee, other)
  const rounds = peerbee.repsMs.length > 1 ? ` (rounds ${min.toFixed(2)}–${max.toFixed(2)})` : ''
  return { shown: `${median.toFixed(2)}×${rounds}${cpuNote(target, peerbee, other)}`, holds }
}

/**
 * Beside a time target between two peerbee systems, the same ratio in CPU time: on a busy
 * machine wall time also counts waits for a CPU, which land on either side of a ratio.
 */
function cpuNote(target: RatioTarget, subject: Result, other: Result): string {
  if (target.subject === undefined || subject.repsCpuMs === undefined || other.repsCpuMs === undefined) return ''
  return `, CPU time ${spreadOf(timeRatios(subject.repsCpuMs, other.repsCpuMs)).median.toFixed(2)}×`
}

export function formatTargets(results: Result[]): string {
  const lines: string[] = []
  for (const target of TARGETS) {
    if (!results.some((r) => r.workload === target.workload)) continue
    const subject = 'against' in target ? (target.subject ?? 'peerbee') : 'peerbee'
    const name = `${target.workload} ${target.level}: ${subject} ${describe(target)}`
    const v = verdict(target, results)
    lines.push(v === null ? `  ?    ${name}: not measured` : `  ${v.holds ? 'ok  ' : 'MISS'} ${name}: ${v.shown}`)
  }
  return lines.join('\n')
}
