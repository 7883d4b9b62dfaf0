import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { PeerBee, type ReindexProgress } from '../../lib/index.js'
import { createDb, dump, tempDir, teardown } from '../helpers.js'

const CHILD = fileURLToPath(new URL('../fixtures/reindex-child.ts', import.meta.url))

/**
 * A rebuild of the index killed with SIGKILL half way (docs/DESIGN.md: the index is a cache
 * of the logs) completes on the next open, with the state the db had before.
 */
test('SIGKILL during a rebuild, then reopen: the rebuild completes and the state is the one before', async (t) => {
  const dir = await tempDir(t)
  const db = await createDb<string, unknown>(t, {}, dir)
  // One entry per write: a rebuild of many small entries takes long enough to be cut.
  for (let i = 0; i < 3000; i += 3) {
    await Promise.all([0, 1, 2].map((j) => db.put(`k${i + j}`, i + j)))
  }
  await db.batch().put('k7', 'overwritten').del('k8').flush()
  const before = await dump(db)
  await db.close()

  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, '300'], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const lines = createInterface({ input: child.stdout })
  const exited = once(child, 'exit')
  const [first] = (await once(lines, 'line')) as [string]
  assert.notEqual(first, 'done', 'the rebuild was still running when it reported progress')
  const progress = JSON.parse(first) as ReindexProgress
  assert.equal(progress.done, false)
  child.kill('SIGKILL')
  await exited

  const reopened = new PeerBee<string, unknown>(dir)
  teardown(t, () => reopened.close())
  const reported: ReindexProgress[] = []
  reopened.on('reindex', (p) => reported.push(p))
  await reopened.ready()
  assert.deepEqual(await dump(reopened), before)
  assert.ok(reported.at(-1)?.done, 'the reopened db finished the rebuild')
  assert.equal(reopened.status().reindexing, null)
})
