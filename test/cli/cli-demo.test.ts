import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { SeederProcess } from '../../bin/demo/seeder-process.js'
import { PeerBee, type SeededDb } from '../../lib/index.js'
import { localTestnet } from '../integration/net-helpers.js'
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

test("the demo's wait on the seeder sees a status the seeder printed before the wait began", async (t) => {
  const net = await localTestnet()
  t.after(() => net.destroy())
  const root = await mkdtemp(path.join(tmpdir(), 'peerbee-demo-seeder-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const db = new PeerBee(path.join(root, 'db'), { bootstrap: net.bootstrap })
  t.after(() => db.close())
  await db.put('k', 'v')
  await db.join()
  const seeder = await SeederProcess.start(path.join(root, 'seeder'), net.bootstrap[0]!, db.id)
  t.after(() => seeder.stop())

  const holds = (s: SeededDb | null) => s !== null && s.blocks > 0 && s.blocks === s.length
  await seeder.until(holds)
  // Nothing changes from here on, so the seeder prints no further line: the wait must look at
  // the last one instead of waiting for the next.
  const started = Date.now()
  assert.ok(holds(await seeder.until(holds)))
  assert.ok(Date.now() - started < 1000, `waited ${Date.now() - started} ms`)
})
