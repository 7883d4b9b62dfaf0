import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import b4a from 'b4a'
import { PeerBee } from '../../lib/index.js'
import { BoundedCache } from '../../lib/view/bounded-cache.js'
import { RecordCache } from '../../lib/view/record-cache.js'
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

/** A record of `n` bytes, each `tag`: what it holds tells which write it came from. */
function recordOf(tag: number, n: number): Uint8Array {
  return b4a.alloc(n, tag)
}

test('the record cache answers only the last record set for a key, or nothing, and stays within its bound', () => {
  const op = fc.record({
    id: fc.integer({ min: 0, max: 300 }).map((n) => 'k' + n),
    set: fc.boolean(),
    size: fc.option(fc.integer({ min: 0, max: 400 }), { freq: 10 })
  })
  fc.assert(
    fc.property(fc.array(op, { maxLength: 2000 }), (ops) => {
      const maxBytes = 16 * 1024
      const cache = new RecordCache(maxBytes)
      const last = new Map<string, Uint8Array | null>()
      ops.forEach(({ id, set, size }, i) => {
        if (set) {
          const record = size === null ? null : recordOf(i % 251, size)
          cache.set(id, record)
          last.set(id, record)
        } else {
          const got = cache.get(id)
          if (got !== undefined) assert.deepEqual(got, last.get(id), `${id} at op ${i}`)
        }
        assert.ok(cache.cost <= maxBytes, `cost ${cache.cost} at op ${i}`)
      })
    }),
    { numRuns: 200 }
  )
})

test('a record read from the cache is a copy, and a read record outlives records set after it', () => {
  const cache = new RecordCache(16 * 1024)
  cache.set('kept', recordOf(7, 32))
  const copy = cache.get('kept')!
  for (let i = 0; i < 5000; i++) {
    cache.set('filler' + i, recordOf(i % 251, 40))
    if (i % 50 === 0) assert.deepEqual(cache.get('kept'), recordOf(7, 32), `after ${i} others`)
  }
  assert.deepEqual(copy, recordOf(7, 32))
  assert.equal(cache.get('filler0'), undefined, 'the oldest records went')
})

test('a record too big for the record cache is not kept, and the one it replaces is not answered', () => {
  const cache = new RecordCache(16 * 1024)
  cache.set('big', recordOf(1, 10))
  cache.set('big', recordOf(2, 4096))
  assert.equal(cache.get('big'), undefined)
  cache.set('none', null)
  assert.equal(cache.get('none'), null)
  cache.clear()
  assert.equal(cache.get('none'), undefined)
  assert.equal(cache.cost, 0)
})

test('a record cache of no bytes holds nothing', () => {
  const cache = new RecordCache(0)
  cache.set('a', recordOf(1, 8))
  assert.equal(cache.get('a'), undefined)
  assert.equal(cache.cost, 0)
})
