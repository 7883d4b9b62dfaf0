import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { drifts, formatDrifts } from '../../bench/compare.js'
import type { Result, Results } from '../../bench/report.js'
import { WORKLOADS } from '../../bench/workloads.js'
import { tempDir } from '../helpers.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Runs `npm run bench -- --quick ...args` and returns its exit code, output and results file. */
async function quickBench(t: TestContext, args: string[]): Promise<{ code: number; output: string; report: Results }> {
  const out = path.join(await tempDir(t, 'peerbee-bench-quick-'), 'results.json')
  const argv = ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out, ...args]
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(process.execPath, argv, { cwd: ROOT, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, output: stdout + stderr })
    })
  })
  assert.equal(code, 0, output)
  return { code, output, report: JSON.parse(await readFile(out, 'utf-8')) as Results }
}

function rowOf(report: Results, workload: string, system: string): Result {
  const row = report.results.find((r) => r.workload === workload && r.system === system)
  assert.ok(row, `${workload} ${system} has a row`)
  return row
}

// The benchmark is not run by CI at full size; this keeps every workload on every system working.
test('bench --quick measures every workload on every system', { timeout: 5 * 60_000 }, async (t) => {
  const { output, report } = await quickBench(t, [])
  assert.deepEqual(report.failed, [])
  assert.deepEqual(report.timedOut, [])
  for (const workload of WORKLOADS) {
    for (const system of workload.systems) {
      const row = rowOf(report, workload.id, system)
      assert.ok(row.n > 0 && row.ms > 0 && row.opsPerSec > 0, `${workload.id} ${system} measured`)
    }
  }

  for (const system of ['peerbee', 'hyperbee', 'pouchdb']) {
    const row = rowOf(report, 'W8', system)
    assert.equal(row.tenths?.length, 10, `W8 ${system} ops/s by tenth`)
    assert.ok((row.tenths ?? []).every((x) => x > 0))
    assert.equal(row.rssTenthsMB?.length, 10, `W8 ${system} RSS by tenth`)
    assert.ok((row.diskBytes ?? 0) > 0, `W8 ${system} disk bytes`)
    assert.deepEqual(Object.keys(row.phases ?? {}), ['gets', 'scan', 'reopen'])
  }
  for (const system of ['peerbee', 'pouchdb']) {
    const row = rowOf(report, 'W11', system)
    for (const key of ['diskBytes', 'diskBytesAfter', 'diskBytesFresh'] as const) {
      assert.ok((row[key] ?? 0) > 0, `W11 ${system} ${key}`)
    }
    assert.deepEqual(Object.keys(row.phases ?? {}), ['load', 'readsDuring', 'writesDuring'])
    // Reads and writes went on while the compaction ran.
    assert.ok(
      row.phases!.readsDuring!.n > 0 && row.phases!.writesDuring!.n > 0,
      `W11 ${system} reads and writes during`
    )
  }
  const w11 = rowOf(report, 'W11', 'peerbee')
  assert.ok((w11.indexBytesAfter ?? Infinity) < (w11.indexBytes ?? 0), 'W11 the compacted index is smaller')
  assert.ok((w11.indexBytesFresh ?? 0) > 0, 'W11 a new peer of the same logs has an index')
  for (const system of ['peerbee', 'autobase', 'pouchdb']) {
    // What W9's convergence is judged against: one fresh peer taking every key from one peer.
    const phase = rowOf(report, 'W9', system).phases?.['one peer']
    assert.ok(phase !== undefined && phase.n === 105 && phase.ms > 0, `W9 ${system} one peer timed`)
    assert.ok((phase.cpuMs ?? 0) > 0, `W9 ${system} one peer CPU time`)
  }
  assert.equal(rowOf(report, 'W9', 'peerbee').peers, 5, 'W9 peerbee counts its peers')
  assert.match(
    output,
    /W9 must reach: peerbee time ≤ 3× its one peer phase × its peers: \d+\.\d+×, CPU time \d+\.\d+× \(\d+\.\d× one peer's time for 5 peers\)/
  )
  // W8's gets are judged against W4's rate, measured in the same run.
  assert.match(output, /W8 must reach: peerbee gets ops\/s ≥ 0\.5× its W4 ops\/s: \d+\.\d+× \(\d+ against \d+ ops\/s\)/)
  for (const system of ['peerbee', 'hyperbee']) {
    // Every joining peer fetched the whole db, so the writer sent something on its connections.
    const row = rowOf(report, 'W10', system)
    assert.ok((row.uploadBytes ?? 0) > 0 && (row.downloadBytes ?? 0) > 0, `W10 ${system} bytes up and down`)
  }
})

test('bench repetitions run round-robin across systems', { timeout: 2 * 60_000 }, async (t) => {
  const { output, report } = await quickBench(t, ['--only', 'W1', '--systems', 'peerbee,hyperbee', '--reps', '2'])
  const order = [...output.matchAll(/^W1 (\w+) rep (\d)\/2:/gm)].map((m) => `${m[1]} ${m[2]}`)
  assert.deepEqual(order, ['peerbee 1', 'hyperbee 1', 'peerbee 2', 'hyperbee 2'])
  assert.equal(report.reps, 2)
  for (const system of ['peerbee', 'hyperbee']) assert.equal(rowOf(report, 'W1', system).repsMs.length, 2)
  // The hyperbee row's ratio is the median of the two rounds' ratios, with their range.
  assert.match(output, /\| W1 +\| hyperbee +\|.*\| \d+\.\d\d \(\d+\.\d\d–\d+\.\d\d\) +\|/)
})

test('bench:compare finds the ratios two runs put more than 15% apart', () => {
  const run = (w1Hyperbee: number, w3Hyperbee: number): Results => {
    const row = (workload: 'W1' | 'W3', system: 'peerbee' | 'hyperbee', ms: number): Result => ({
      workload,
      system,
      n: 1000,
      ms,
      opsPerSec: 1000 / (ms / 1000),
      rssMB: 100,
      repsMs: [ms, ms, ms]
    })
    const results = [row('W1', 'peerbee', 100), row('W1', 'hyperbee', w1Hyperbee)]
    results.push(row('W3', 'peerbee', 100), row('W3', 'hyperbee', w3Hyperbee))
    return { node: 'v20', date: '', quick: false, reps: 3, results, timedOut: [], failed: [] }
  }
  const list = drifts(run(100, 100), run(110, 130))
  // W1 and W3 have two targets each against hyperbee or others; only the measured pairs show, once each.
  assert.deepEqual(
    list.map((d) => [d.target.workload, d.target.against, d.first, d.second]),
    [
      ['W1', 'hyperbee', 1, 1.1],
      ['W3', 'hyperbee', 1, 1.3]
    ]
  )
  const text = formatDrifts(list)
  assert.match(text, /still W1 .*\(10% apart\)/)
  assert.match(text, /MOVED W3 .*\(30% apart\)/)
  assert.match(text, /1 of 2 ratios within 15% of each other/)
})
