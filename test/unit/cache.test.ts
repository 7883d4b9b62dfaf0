import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PeerBee } from '../../lib/index.js'
import { BoundedCache } from '../../lib/view/bounded-cache.js'
import { connect, createDb, tempDir } from '../helpers.js'

test('cacheSize is a number of bytes: anything else is INVALID_ARGUMENT', async (t) => {
  const dir = await tempDir(t)
  for (const cacheSize of [-1, 1.5, Number.NaN, Infinity, '64' as unknown as number]) {
    assert.throws(() => new PeerBee(dir, { cacheSize }), { code: 'INVALID_ARGUMENT' }, String(cacheSize))
  }
})

test('a db with cacheSize 0 caches nothing and reads what it wrote', async (t) => {
  const db = await createDb(t, { cacheSize: 0 })
  await db.put('a', 1)
  assert.equal((await db.get('a'))?.value, 1)
  await db.put('a', 2)
  assert.equal((await db.get('a'))?.value, 2)
  await db.del('a')
  assert.equal(await db.get('a'), null)
})

// A read caches the key's record; the overwrite then comes from another peer's log, through
// replication and an index step of this peer. A cache that missed that step would answer 1.
test('a cached record never outlives the index step that replaced it', async (t) => {
  const a = await createDb<string, number>(t)
  const b = await createDb<string, number>(t, { key: a.key })
  t.after(connect(a, b))
  await a.addWriter(b.writerKey)
  await b.update()

  await a.put('k', 1)
  assert.equal((await a.get('k'))?.value, 1)
  await b.update()
  assert.equal((await b.get('k'))?.value, 1)

  await b.put('k', 2)
  await a.update()
  assert.equal((await a.get('k'))?.value, 2)

  await b.del('k')
  await a.update()
  assert.equal(await a.get('k'), null)

  // A rebuilt index serves with a cache of its own, filled from the logs.
  await a.put('k', 3)
  assert.equal((await a.get('k'))?.value, 3)
  await a.reindex()
  assert.equal((await a.get('k'))?.value, 3)
  await b.update()
  await b.put('k', 4)
  await a.update()
  assert.equal((await a.get('k'))?.value, 4)
})

test('a bounded cache keeps its cost within its bound and never returns a replaced value', () => {
  const cache = new BoundedCache<string, string>(100, (key, value) => key.length + value.length)
  for (let i = 0; i < 1000; i++) {
    cache.set(`k${i % 37}`, 'x'.repeat(i % 11))
    assert.ok(cache.cost <= 100, `cost ${cache.cost} at ${i}`)
    assert.equal(cache.get(`k${i % 37}`), 'x'.repeat(i % 11))
  }
  cache.set('big', 'small')
  // Too costly to keep: the older value must not be answered instead.
  cache.set('big', 'y'.repeat(60))
  assert.equal(cache.get('big'), undefined)
  cache.clear()
  assert.equal(cache.cost, 0)
})
