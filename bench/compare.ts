/**
 * `npm run bench:compare -- <first.json> <second.json>`: how far apart two runs put each ratio
 * target. A target holds still when the larger of its two medians is at most 1.15× the smaller.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import type { Result, Results } from './report.js'
import { TARGETS, check, type RatioTarget } from './targets.js'

/** Two runs agree on a ratio when they differ by at most this factor. */
export const STILL = 1.15

export interface RatioDrift {
  target: RatioTarget
  first: number
  second: number
  /** The larger median ÷ the smaller. */
  drift: number
}

function medianRatio(target: RatioTarget, results: Result[]): number | null {
  const find = (system: string) => results.find((r) => r.workload === target.workload && r.system === system)
  const subject = find(target.subject ?? 'peerbee')
  const other = find(target.against)
  return subject === undefined || other === undefined ? null : check(target, subject, other).median
}

/** Every ratio target both runs measured, with the medians each gave. */
export function drifts(first: Results, second: Results): RatioDrift[] {
  const out: RatioDrift[] = []
  const seen = new Set<string>()
  for (const target of TARGETS) {
    if (!('against' in target)) continue
    // Targets at two levels share one ratio: show it once.
    const name = `${target.workload} ${target.subject ?? 'peerbee'}/${target.against} ${target.metric}`
    if (seen.has(name)) continue
    seen.add(name)
    const a = medianRatio(target, first.results)
    const b = medianRatio(target, second.results)
    if (a === null || b === null) continue
    out.push({ target, first: a, second: b, drift: Math.max(a, b) / Math.min(a, b) })
  }
  return out
}

export function formatDrifts(list: RatioDrift[]): string {
  const lines = list.map(({ target, first, second, drift }) => {
    const name = `${target.workload} ${target.subject ?? 'peerbee'} ${target.metric} ÷ ${target.against}`
    const verdict = drift <= STILL ? 'still' : 'MOVED'
    return `  ${verdict.padEnd(5)} ${name.padEnd(44)} ${first.toFixed(2)}×  ${second.toFixed(2)}×  (${((drift - 1) * 100).toFixed(0)}% apart)`
  })
  const moved = list.filter((d) => d.drift > STILL).length
  lines.push(`${list.length - moved} of ${list.length} ratios within ${Math.round((STILL - 1) * 100)}% of each other`)
  return lines.join('\n')
}

async function main(): Promise<number> {
  const { positionals } = parseArgs({ allowPositionals: true })
  if (positionals.length !== 2) {
    console.error('usage: npm run bench:compare -- <first results.json> <second results.json>')
    return 2
  }
  const [first, second] = await Promise.all(
    positionals.map(async (file) => JSON.parse(await readFile(file, 'utf8')) as Results)
  )
  console.log(formatDrifts(drifts(first, second)))
  return 0
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err)
      process.exitCode = 1
    }
  )
}
