import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

// The embedding benchmark is not run by CI at full size; this keeps its four cases working.
test(
  'bench/embedding.ts --quick measures the changes catch-up and the three scans',
  { timeout: 3 * 60_000 },
  async (t) => {
    const out = path.join(await tempDir(t, 'peerbee-bench-embedding-'), 'results.json')
    const args = ['--import', 'tsx', 'bench/embedding.ts', '--quick', '--reps', '1', '--out', out]
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(process.execPath, args, { cwd: ROOT }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, output: stdout + stderr })
      })
    })
    assert.equal(code, 0, output)
    const { rows } = JSON.parse(await readFile(out, 'utf-8')) as { rows: Array<{ id: string; n: number; ms: number }> }
    assert.deepEqual(
      rows.map((r) => r.id),
      ['E1', 'E2', 'E3', 'E4']
    )
    for (const r of rows) assert.ok(r.n >= 1000 && r.ms > 0, `${r.id} measured`)
  }
)
