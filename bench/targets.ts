import type { WorkloadId } from './workloads.js'
import type { SystemName } from './systems/types.js'

/**
 * The targets. `speed`: peerbee ops/s ÷ the other's ops/s must be at least `factor`.
 * `time`: peerbee's time ÷ the other's time must be at most `factor`.
 */
export interface Target {
  workload: WorkloadId
  against: SystemName
  metric: 'speed' | 'time'
  factor: number
  level: 'must reach' | 'aim'
}

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
  { workload: 'W7', against: 'pouchdb', metric: 'time', factor: 1, level: 'aim' }
]

/** The measured ratio in the target's own terms, and whether it holds. */
export function check(target: Target, peerbeeMs: number, otherMs: number): { ratio: number; holds: boolean } {
  // Both systems ran the same n, so the speed ratio is the inverse time ratio.
  if (target.metric === 'time') {
    const ratio = peerbeeMs / otherMs
    return { ratio, holds: ratio <= target.factor }
  }
  const ratio = otherMs / peerbeeMs
  return { ratio, holds: ratio >= target.factor }
}

export function describe(target: Target): string {
  return target.metric === 'time'
    ? `time ≤ ${target.factor}× ${target.against}'s`
    : `ops/s ≥ ${target.factor}× ${target.against}`
}
