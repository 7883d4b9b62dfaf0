import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { Measurement } from './harness.js'
import { cellName, CellHost, serveReps, type Cell, type RepOutcome } from './host.js'
import {
  aggregate,
  formatExtras,
  formatTable,
  type Failure,
  type Result,
  type Results,
  type TimeOut
} from './report.js'
import { SYSTEM_NAMES } from './systems/index.js'
import { formatTargets } from './targets.js'
import { FULL_SIZES, QUICK_SIZES, WORKLOADS, type Sizes, type Workload, type WorkloadId } from './workloads.js'

/**
 * `npm run bench [-- --quick] [--scale] [--only W1,W3] [--systems peerbee,hyperbee] [--reps N] [--out file]`
 *
 * Each workload × system cell runs in its own child process, so a cell's peak RSS is its own and
 * one system's garbage is never collected on another's clock. Repetitions go round-robin: round 1
 * runs repetition 1 of every system of a workload, one after another, then round 2, and so on;
 * ratios are taken round by round. A workload's children stay up between rounds instead of one
 * child per repetition: a fresh process would time module loading and JIT warm-up in every
 * repetition, which a long-lived app pays once. Each child collects garbage before each
 * repetition, and ends after its workload's last round. Node flags such as --cpu-prof reach the children, so a profile of
 * `--only W1 --systems peerbee` is the profile of that cell.
 * `--quick` runs all cells of a system in one child: it is a smoke test, and process start-up
 * would otherwise cost more than its tiny workloads.
 */

/** Run with the scale workloads too: W8's gets are judged against W4's rate in the same minutes. */
const SCALE_REFERENCES: readonly WorkloadId[] = ['W4']
const DEFAULT_REPS = { quick: 1, scale: 3, standard: 5 }

const HELP = `usage: npm run bench -- [--quick] [--scale] [--only W1,W3] [--systems peerbee,hyperbee] [--reps N] [--out file]

  (default)   W1-W7, ${DEFAULT_REPS.standard} repetitions, writes bench/results.json
  --scale     W8-W11 (a million keys, writers in a chain, swarm fan-out, compaction) and W4, the rate
              W8's gets are judged against, ${DEFAULT_REPS.scale} repetitions, writes bench/results.scale.json
  --quick     every workload at small sizes, 1 repetition, writes bench/results.quick.json
              (with --scale: only W8-W11)
  --only      these workloads, whether scale or not
  --systems   only these systems: ${SYSTEM_NAMES.join(', ')}
  --reps      repetitions per cell, run round-robin across systems
  --out       write the results here instead`

function pickList<T extends string>(value: string | undefined, all: readonly T[], what: string): T[] {
  if (value === undefined) return [...all]
  const picked = value.split(',').map((s) => s.trim())
  for (const name of picked) {
    if (!(all as readonly string[]).includes(name)) throw new Error(`unknown ${what} ${name}; one of ${all.join(', ')}`)
  }
  return all.filter((name) => picked.includes(name))
}

function workloadById(id: string): Workload {
  const workload = WORKLOADS.find((w) => w.id === id)
  if (workload === undefined) throw new Error(`unknown workload ${id}`)
  return workload
}

/** What happened to one cell over its repetitions. */
type CellRecord = { reps: Measurement[] } | { timedOut: TimeOut } | { failed: Failure }

/**
 * Runs every repetition in round-robin order, one at a time. A cell that failed or timed out
 * runs no more repetitions: its next ones would only repeat the wait.
 */
async function runRounds(
  workloads: Workload[],
  cells: Cell[],
  reps: number,
  hosts: Hosts
): Promise<Map<string, CellRecord>> {
  const records = new Map<string, CellRecord>(cells.map((cell) => [cellName(cell), { reps: [] }]))
  for (const workload of workloads) {
    const own = cells.filter((c) => c.workload === workload.id)
    for (let rep = 0; rep < reps; rep++) {
      for (const cell of own) {
        const record = records.get(cellName(cell))
        if (record === undefined || !('reps' in record)) continue
        const outcome = await hosts.of(cell).run(cell)
        if ('measurement' in outcome) record.reps.push(outcome.measurement)
        else records.set(cellName(cell), recordOf(cell, outcome))
        console.error(`${workload.id} ${cell.system} rep ${rep + 1}/${reps}: ${describeOutcome(outcome)}`)
      }
    }
    await hosts.release(workload)
  }
  return records
}

function recordOf(cell: Cell, outcome: Exclude<RepOutcome, { measurement: Measurement }>): CellRecord {
  return 'timedOut' in outcome
    ? { timedOut: { ...cell, ...outcome.timedOut } }
    : { failed: { ...cell, error: outcome.error } }
}

function describeOutcome(outcome: RepOutcome): string {
  if ('measurement' in outcome) return `${outcome.measurement.ms.toFixed(1)} ms`
  if ('timedOut' in outcome) return `timed out (${outcome.timedOut.what} after ${outcome.timedOut.limitMs} ms)`
  return `FAILED (${outcome.error})`
}

/**
 * The child processes: one per cell, or with `--quick` one per system. A child ends after the
 * last workload that needs it, so only one workload's children are up at a time.
 */
class Hosts {
  private readonly hosts = new Map<string, CellHost>()

  constructor(
    private readonly cells: Cell[],
    private readonly perSystem: boolean,
    private readonly start: (label: string) => CellHost
  ) {}

  private keyOf(cell: Cell): string {
    return this.perSystem ? cell.system : cellName(cell)
  }

  of(cell: Cell): CellHost {
    const key = this.keyOf(cell)
    if (!this.hosts.has(key)) this.hosts.set(key, this.start(key))
    return this.hosts.get(key) as CellHost
  }

  /** Ends the children that no workload after `done` needs. */
  async release(done: Workload): Promise<void> {
    const order = this.cells.map((c) => c.workload)
    const later = this.cells.slice(order.lastIndexOf(done.id) + 1)
    const needed = new Set(later.map((c) => this.keyOf(c)))
    const ending = [...this.hosts].filter(([key]) => !needed.has(key))
    for (const [key] of ending) this.hosts.delete(key)
    await Promise.all(ending.map(([, host]) => host.close()))
  }

  async closeAll(): Promise<void> {
    const all = [...this.hosts.values()]
    this.hosts.clear()
    await Promise.all(all.map((host) => host.close()))
  }
}

/** Long enough for any repetition that is still making progress; a hung child is killed after it. */
function watchdogMs(sizes: Sizes): number {
  return 2 * Math.max(sizes.limitMs, sizes.chainLimitMs) + 60_000
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      scale: { type: 'boolean', default: false },
      only: { type: 'string' },
      systems: { type: 'string' },
      reps: { type: 'string' },
      out: { type: 'string' },
      child: { type: 'string' },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(HELP)
    return 0
  }
  const { quick, scale } = values
  const sizes = quick ? QUICK_SIZES : FULL_SIZES
  if (values.child !== undefined) {
    serveReps(WORKLOADS, sizes)
    return 0
  }
  const reps =
    values.reps === undefined ? DEFAULT_REPS[quick ? 'quick' : scale ? 'scale' : 'standard'] : Number(values.reps)
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps must be a positive integer')

  const workloads =
    values.only !== undefined
      ? pickList(
          values.only,
          WORKLOADS.map((w) => w.id),
          'workload'
        ).map(workloadById)
      : WORKLOADS.filter((w) => w.scale === scale || (quick && !scale) || (scale && SCALE_REFERENCES.includes(w.id)))
  const systems = pickList(values.systems, SYSTEM_NAMES, 'system')
  const cells: Cell[] = workloads.flatMap((w) =>
    systems.filter((s) => w.systems.includes(s)).map((system) => ({ workload: w.id, system }))
  )

  const script = fileURLToPath(import.meta.url)
  // The label only names the child in `ps` and in messages; it may run any cell it is sent.
  const start = (label: string) =>
    new CellHost(script, ['--child', label, ...(quick ? ['--quick'] : [])], watchdogMs(sizes))
  const hosts = new Hosts(cells, quick, start)
  let records: Map<string, CellRecord>
  try {
    records = await runRounds(workloads, cells, reps, hosts)
  } finally {
    await hosts.closeAll()
  }

  // Rows in workload order, then system order.
  const results: Result[] = []
  const timedOut: TimeOut[] = []
  const failed: Failure[] = []
  for (const cell of cells) {
    const record = records.get(cellName(cell)) ?? { failed: { ...cell, error: 'not run' } }
    if ('timedOut' in record) timedOut.push(record.timedOut)
    else if ('failed' in record) failed.push(record.failed)
    else results.push(aggregate(cell.workload, cell.system, workloadById(cell.workload).ops(sizes), record.reps))
  }

  console.log(`\n${quick ? 'quick sizes, ' : ''}${reps} round(s), medians:\n`)
  console.log(formatTable(results, timedOut))
  const extras = formatExtras(results)
  if (extras !== '') console.log(`\n${extras}`)
  console.log(`\ntargets${quick ? ' (quick sizes: ratios mean little)' : ''}:`)
  console.log(formatTargets(results))
  for (const f of failed) console.log(`FAILED ${f.workload} ${f.system}: ${f.error}`)

  const name = quick ? 'results.quick.json' : scale ? 'results.scale.json' : 'results.json'
  const out = values.out ?? fileURLToPath(new URL(name, import.meta.url))
  const report: Results = {
    node: process.version,
    date: new Date().toISOString(),
    quick,
    reps,
    results,
    timedOut,
    failed
  }
  await writeFile(out, JSON.stringify(report, null, 2) + '\n')
  console.log(`\nwrote ${out}`)
  return failed.length === 0 ? 0 : 1
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err)
    process.exitCode = 1
  }
)
