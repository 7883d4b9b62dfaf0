import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createDb, collect } from '../helpers.js'

// A writer's own versions chain (each cites the last), so none can ever be a conflict of
// another. Reads racing the index steps that take pending writes in must never show one.
test('reads racing index steps never show a writer its own earlier version as a conflict', async (t) => {
  const db = await createDb<string, number>(t)
  let stop = false
  const seen: string[] = []
  const read = async () => {
    while (!stop) {
      const e = await db.get('k')
      if (e !== null && e.conflicts.length > 0)
        seen.push(`get: ${e.value} vs ${e.conflicts.map((c) => c.value).join()}`)
      for (const entry of await collect(db.list())) {
        if (entry.conflicts.length > 0) seen.push(`list: ${entry.value}`)
      }
      const versions = await db.history('k')
      if (new Set(versions.map((v) => v.seq)).size !== versions.length) seen.push('history: a version twice')
    }
  }
  const readers = [read(), read()]
  for (let i = 0; i < 400; i++) await db.put('k', i)
  stop = true
  await Promise.all(readers)
  assert.deepEqual(seen, [])
  assert.equal((await db.history('k')).length, 400)
})

test('a loop of awaited gets answered from memory lets timers and I/O run', async (t) => {
  const db = await createDb(t)
  const batch = db.batch()
  for (let i = 0; i < 100; i++) batch.put(`k${i}`, i)
  await batch.flush()
  await db.update()
  let turns = 0
  const timer = setInterval(() => turns++, 1)
  try {
    for (let i = 0; i < 20_000; i++) await db.get(`k${i % 100}`)
    const snapshot = db.snapshot()
    const before = turns
    for (let i = 0; i < 20_000; i++) await snapshot.get(`k${i % 100}`)
    await snapshot.close()
    assert.ok(before > 0, 'the event loop turned during the gets')
    assert.ok(turns > before, 'and during the snapshot gets')
  } finally {
    clearInterval(timer)
  }
})
