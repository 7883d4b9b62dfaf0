import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { test } from 'node:test'
import { Sandbox } from './cli-helpers.js'

test('demo runs with no setup, tells what happened, and cleans up', async (t) => {
  const box = await Sandbox.create(t)
  const before = new Set((await readdir(tmpdir())).filter((f) => f.startsWith('peerbee-demo-')))
  const started = Date.now()
  const r = await box.run(['demo'])
  assert.equal(r.code, 0, r.stderr)
  assert.ok(Date.now() - started < 90_000)
  for (const step of [
    /created database/,
    /conflicts/,
    /killed with SIGKILL/,
    /new peer with an empty dir, holds all 4 keys/
  ]) {
    assert.match(r.stdout, step)
  }
  assert.match(r.stdout, /bob, carol and dave hold identical state/)
  assert.match(r.stdout, /^alice\s+\d+\s+admin\s+killed/m)
  assert.match(r.stdout, /^dave\s+\d+\s+reader\s+running\s+4\s+0/m)
  // The encrypted db: the seeder alone serves a newcomer once both writers are killed.
  for (const step of [
    /the seeder holds both writer logs/,
    /are killed with SIGKILL: no writer is online/,
    /gina .* reads both entries .*: every block came from the seeder/,
    /the seeder's files searched for either entry's text: not found/
  ]) {
    assert.match(r.stdout, step)
  }
  assert.match(r.stdout, /cleaned up: 7 peer processes and the seeder stopped/)
  const left = (await readdir(tmpdir())).filter((f) => f.startsWith('peerbee-demo-') && !before.has(f))
  assert.deepEqual(left, [])
})
