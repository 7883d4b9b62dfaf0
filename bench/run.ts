import { fork } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { inTempDir, median, type Measurement } from './harness.js'
import { formatTable, formatTargets, type Failure, type Result, type Results } from './report.js'
import { loadSystem, SYSTEM_NAMES } from './systems/index.js'
import type { SystemName } from './systems/types.js'
import { FULL_SIZES, QUICK_SIZES, WORKLOADS, type Workload, type WorkloadId } from './workloads.js'

/**
 * `npm run bench [-- --quick] [--only W1,W3] [--systems peerbee,hyperbee] [--reps N] [--out file]`
 *
 * Each workload × system cell runs in its own child process (all its repetitions in it), so a
 * cell's peak RSS is its own and one system's garbage is never collected on another's clock.
 * Cells run one after another within one invocation. Node flags such as --cpu-prof reach the
 * children, so a profile of `--only W1 --systems peerbee` is the profile of that cell.
 * `--quick` runs all cells of a system in one child: it is a smoke test, and process start-up
 * would otherwise cost more than its tiny workloads.
 */

const HELP = `usage: npm run bench -- [--quick] [--only W1,W3] [--systems peerbee,hyperbee] [--reps N] [--out file]`

const EXIT_GRACE_MS = 10_000

interface Cell {
  workload: WorkloadId
  system: SystemName
}

/** What a child sends for each cell it ran. */
type CellReport = { cell: string; reps: Measurement[] } | { cell: string; error: string }

function cellName(cell: Cell): string {
  return `${cell.workload}:${cell.system}`
}

function isCellReport(message: unknown): message is CellReport {
  if (typeof message !== 'object' || message === null || !('cell' in message)) return false
  return ('reps' in message && Array.isArray(message.reps)) || ('error' in message && typeof message.error === 'string')
}

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

function send(report: CellReport): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) reject(new Error('--cells is for the child processes of bench/run.ts'))
    else process.send(report, (err: Error | null) => (err ? reject(err) : resolve()))
  })
}

/** Child side: run the cells in order and report each one's repetitions or error. */
async function runCells(cells: string, reps: number, quick: boolean): Promise<void> {
  const sizes = quick ? QUICK_SIZES : FULL_SIZES
  for (const cell of cells.split(',')) {
    const [id, name] = cell.split(':')
    try {
      const workload = workloadById(id)
      const system = await loadSystem(pickList(name, SYSTEM_NAMES, 'system')[0])
      const measured: Measurement[] = []
      for (let i = 0; i < reps; i++) measured.push(await inTempDir((dir) => workload.run(system, dir, sizes)))
      await send({ cell, reps: measured })
    } catch (err) {
      console.error(`${cell}:`, err)
      await send({ cell, error: err instanceof Error ? err.message : String(err) })
    }
  }
}

/** Parent side: run `cells` in one child; a child that dies fails the cells it had not reported. */
function forkCells(cells: Cell[], reps: number, quick: boolean, onReport: (report: CellReport) => void): Promise<void> {
  const args = ['--cells', cells.map(cellName).join(','), '--reps', String(reps)]
  if (quick) args.push('--quick')
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const pending = new Set(cells.map(cellName))
    let lingering: NodeJS.Timeout | null = null
    child.on('message', (message) => {
      if (!isCellReport(message)) return
      pending.delete(message.cell)
      onReport(message)
      if (pending.size > 0) return
      // Everything closed should let the child exit; a handle left open must not stall the run.
      lingering = setTimeout(() => {
        console.error(`${cells.map(cellName).join(', ')}: child still running ${EXIT_GRACE_MS} ms after its last cell`)
        child.kill()
      }, EXIT_GRACE_MS)
    })
    child.on('exit', (code, signal) => {
      if (lingering !== null) clearTimeout(lingering)
      for (const cell of pending) onReport({ cell, error: `child process exited with ${signal ?? code}` })
      resolve()
    })
  })
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      systems: { type: 'string' },
      reps: { type: 'string' },
      out: { type: 'string' },
      cells: { type: 'string' },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(HELP)
    return 0
  }
  const quick = values.quick
  // --quick is a smoke test: one repetition is enough to prove every path still works.
  const reps = values.reps === undefined ? (quick ? 1 : 3) : Number(values.reps)
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps must be a positive integer')

  if (values.cells !== undefined) {
    await runCells(values.cells, reps, quick)
    return 0
  }

  const workloads = pickList(
    values.only,
    WORKLOADS.map((w) => w.id),
    'workload'
  ).map(workloadById)
  const systems = pickList(values.systems, SYSTEM_NAMES, 'system')
  const sizes = quick ? QUICK_SIZES : FULL_SIZES
  const cells: Cell[] = []
  for (const workload of workloads) {
    for (const system of systems) if (workload.systems.includes(system)) cells.push({ workload: workload.id, system })
  }
  const groups = quick ? systems.map((system) => cells.filter((c) => c.system === system)) : cells.map((c) => [c])

  const reports = new Map<string, CellReport>()
  for (const group of groups) {
    if (group.length === 0) continue
    await forkCells(group, reps, quick, (report) => {
      reports.set(report.cell, report)
      const line =
        'error' in report ? `FAILED (${report.error})` : report.reps.map((m) => m.ms.toFixed(1)).join(', ') + ' ms'
      console.error(`${report.cell.replace(':', ' ')}: ${line}`)
    })
  }

  // Table rows in workload order, then system order, whatever order the children ran in.
  const results: Result[] = []
  const failed: Failure[] = []
  for (const cell of cells) {
    const report = reports.get(cellName(cell))
    if (report === undefined || 'error' in report) {
      failed.push({ ...cell, error: report === undefined ? 'not run' : report.error })
      continue
    }
    const n = workloadById(cell.workload).ops(sizes)
    const ms = median(report.reps.map((m) => m.ms))
    const rssMB = Math.max(...report.reps.map((m) => m.rssMB))
    const repsMs = report.reps.map((m) => Math.round(m.ms * 10) / 10)
    results.push({ ...cell, n, ms, opsPerSec: n / (ms / 1000), rssMB, repsMs })
  }

  console.log(`\n${quick ? 'quick sizes, ' : ''}${reps} repetition(s), medians:\n`)
  console.log(formatTable(results))
  console.log(`\ntargets${quick ? ' (quick sizes: ratios mean little)' : ''}:`)
  console.log(formatTargets(results))
  for (const f of failed) console.log(`FAILED ${f.workload} ${f.system}: ${f.error}`)

  const out = values.out ?? fileURLToPath(new URL(quick ? 'results.quick.json' : 'results.json', import.meta.url))
  const report: Results = { node: process.version, date: new Date().toISOString(), quick, results, failed }
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
