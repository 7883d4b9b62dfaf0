import assert from 'node:assert/strict'
import { test } from 'node:test'
import b4a from 'b4a'
import { PeerBee } from '../../lib/index.js'
import { MAX_ENTRY_BYTES } from '../../lib/log/codec.js'
import { collect, connect, createDb, rejectsWithCode, teardown, tempDir } from '../helpers.js'

test('a batch too big for one log block is refused with BATCH_TOO_LARGE and writes nothing', async (t) => {
  const db = await createDb<string, Uint8Array>(t, { valueEncoding: 'binary' })
  const value = b4a.alloc(1024 * 1024, 1)
  const b = db.batch()
  for (let i = 0; i * value.byteLength <= MAX_ENTRY_BYTES; i++) b.put(`k${i}`, value)
  await rejectsWithCode(() => b.flush(), 'BATCH_TOO_LARGE')
  assert.deepEqual(await collect(db.list()), [])
})

test('concurrent large puts are split across entries instead of failing', async (t) => {
  const db = await createDb<string, Uint8Array>(t, { valueEncoding: 'binary' })
  const value = b4a.alloc(1024 * 1024, 2)
  const n = Math.ceil(MAX_ENTRY_BYTES / value.byteLength) + 4
  await Promise.all(Array.from({ length: n }, (_, i) => db.put(`k${i}`, value)))
  assert.equal((await collect(db.list())).length, n)
  assert.ok(db.status().writers[0]!.length > 3, 'more than one entry after the header')
})

test('replicate() works before ready(), as corestore.replicate does', async (t) => {
  const a = await createDb(t)
  await a.put('k', 'v')
  const dir = await tempDir(t)
  const b = new PeerBee(dir, { key: a.key })
  teardown(t, () => b.close())
  connect(a, b)
  await b.ready()
  await b.update()
  assert.equal((await b.get('k'))?.value, 'v')
})

test('writes beyond the pending limit wait for the index instead of spinning', async (t) => {
  const db = await createDb<string, number>(t)
  // Large entries fill the appended-but-unindexed backlog past its cap of 8,192 ops at once.
  const batches = Array.from({ length: 5 }, (_, b) => {
    const batch = db.batch()
    for (let i = 0; i < 4000; i++) batch.put(`b${b}-${i}`, i)
    return batch.flush()
  })
  const puts = Array.from({ length: 2000 }, (_, i) => db.put(`p${i}`, i))
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('writes still pending after 30 s')), 30_000)
  })
  try {
    await Promise.race([Promise.all([...batches, ...puts]), timeout])
  } finally {
    clearTimeout(timer)
  }
  assert.equal((await collect(db.list())).length, 22_000)
})
