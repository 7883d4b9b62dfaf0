import { median } from './harness.js'

/**
 * Ratios between two systems taken round by round: repetition i of every system ran in round i,
 * one after another, so a noisy minute on the machine lands on both sides of each ratio.
 */

/** peerbee's ops/s ÷ the other's in each round (both ran the same n): > 1, peerbee is faster. */
export function speedRatios(peerbeeMs: number[], otherMs: number[]): number[] {
  return pairs(peerbeeMs, otherMs).map(([p, o]) => o / p)
}

/** peerbee's time ÷ the other's in each round: < 1, peerbee is faster. */
export function timeRatios(peerbeeMs: number[], otherMs: number[]): number[] {
  return pairs(peerbeeMs, otherMs).map(([p, o]) => p / o)
}

function pairs(a: number[], b: number[]): Array<[number, number]> {
  return a.slice(0, Math.min(a.length, b.length)).map((x, i) => [x, b[i]])
}

export interface Spread {
  median: number
  min: number
  max: number
}

export function spreadOf(ratios: number[]): Spread {
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) }
}

/** `1.23 (1.10–1.31)`: the median round, then the lowest and highest. One round: the ratio alone. */
export function spread(ratios: number[]): string {
  const { median: mid, min, max } = spreadOf(ratios)
  return ratios.length === 1 ? mid.toFixed(2) : `${mid.toFixed(2)} (${min.toFixed(2)}–${max.toFixed(2)})`
}
