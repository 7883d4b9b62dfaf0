/**
 * Splits items, in order, into runs of at most `maxCount` items and `maxBytes` (as `size`
 * counts them). An item larger than `maxBytes` still makes a run of its own.
 */
export function chunked<T>(items: Iterable<T>, maxCount: number, maxBytes: number, size: (item: T) => number): T[][] {
  const runs: T[][] = []
  let run: T[] = []
  let bytes = 0
  for (const item of items) {
    const n = size(item)
    if (run.length > 0 && (run.length >= maxCount || bytes + n > maxBytes)) {
      runs.push(run)
      run = []
      bytes = 0
    }
    run.push(item)
    bytes += n
  }
  if (run.length > 0) runs.push(run)
  return runs
}
