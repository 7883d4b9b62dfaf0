/**
 * A hybrid logical clock value: 48-bit wall-clock milliseconds plus a 16-bit counter.
 * It only ever breaks ties between concurrent versions; causality (parents) decides the rest.
 */
export interface Clock {
  wall: number
  counter: number
}

export const MAX_CLOCK_COUNTER = 0xffff
export const MAX_CLOCK_WALL = 2 ** 48 - 1

export const ZERO_CLOCK: Clock = Object.freeze({ wall: 0, counter: 0 })

export function compareClocks(a: Clock, b: Clock): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1
  return 0
}
