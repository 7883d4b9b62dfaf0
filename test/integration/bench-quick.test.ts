import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Results } from '../../bench/report.js'
import { WORKLOADS } from '../../bench/workloads.js'
import { tempDir } from '../helpers.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

// The benchmark is not run by CI at full size; this keeps every workload on every system working.
test('bench --quick measures every workload on every system', { timeout: 5 * 60_000 }, async (t) => {
  const out = path.join(await tempDir(t, 'peerbee-bench-quick-'), 'results.json')
  const args = ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out]
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, output: stdout + stderr })
    })
  })
  assert.equal(code, 0, output)

  const report = JSON.parse(await readFile(out, 'utf-8')) as Results
  assert.equal(report.failed.length, 0)
  for (const workload of WORKLOADS) {
    for (const system of workload.systems) {
      const row = report.results.find((r) => r.workload === workload.id && r.system === system)
      assert.ok(row, `${workload.id} ${system} has a row`)
      assert.ok(row.n > 0 && row.ms > 0 && row.opsPerSec > 0, `${workload.id} ${system} measured`)
    }
  }
})
