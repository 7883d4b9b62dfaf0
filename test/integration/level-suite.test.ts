import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers.js'

const CHILD = fileURLToPath(new URL('../fixtures/level-suite.ts', import.meta.url))
const TSX = import.meta.resolve('tsx')

test("PeerBeeLevel passes abstract-level's own test suite", { timeout: 4 * 60_000 }, async (t) => {
  const dir = await tempDir(t)
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, ['--import', TSX, CHILD, dir])
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      child.on('error', reject)
      child.on('close', (code) => resolve({ code, stdout, stderr }))
    }
  )
  assert.equal(code, 0, stderr)
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    passed: number
    failed: number
    skipped: number
    todo: number
    failures: string[]
    skips: string[]
  }
  t.diagnostic(
    `abstract-level suite: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped, ${summary.todo} todo`
  )
  assert.deepEqual(summary.failures, [])
  assert.deepEqual(summary.skips, [], 'nothing skipped: the manifest declares what is not supported')
  // Run on the db and again on a sublevel of it, as the suite does: thousands of assertions.
  assert.ok(summary.passed > 4000, `${summary.passed} assertions passed`)
})
