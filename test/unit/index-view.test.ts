import assert from 'node:assert/strict'
import { test } from 'node:test'
import b4a from 'b4a'
import Corestore from 'corestore'
import type { KeyRecord } from '../../lib/model/version.js'
import { IndexBatch } from '../../lib/view/index-batch.js'
import { IndexView } from '../../lib/view/index-view.js'
import { teardown, tempDir } from '../helpers.js'

function record(seq: number): KeyRecord {
  return {
    heads: [
      {
        writer: b4a.alloc(32, 1),
        seq,
        clock: { wall: seq, counter: 0 },
        deleted: false,
        value: b4a.from(`v${seq}`),
        parents: []
      }
    ]
  }
}

// A lookup that misses the cache and is still reading when an index step lands must not
// put the older record back into the cache over the step's newer one.
test('the record cache never keeps a record older than the last index step', async (t) => {
  const store = new Corestore(await tempDir(t))
  teardown(t, () => store.close())
  const view = new IndexView(store, store.get({ name: 'index' }))
  await view.ready()
  teardown(t, () => view.close())

  for (let round = 1; round <= 50; round++) {
    const key = b4a.from(`k${round}`)
    const first = new IndexBatch(view)
    first.setRecord(key, record(1))
    await first.flush()
    view.forgetAll()

    // Start the lookup at a different point of the step's write each round.
    const second = new IndexBatch(view)
    second.setRecord(key, record(2))
    const writing = second.flush()
    for (let i = 0; i < round % 10; i++) await new Promise((resolve) => setImmediate(resolve))
    await Promise.all([view.getRecord(key), writing])

    assert.equal((await view.getRecord(key))?.heads[0]?.seq, 2, `round ${round}`)
  }
})

// Version keys are (key, writer, seq): a writer key starting with 0xff must stay inside the
// key's range, or its versions vanish from history() and from retraction.
test('the versions of a key include those of a writer whose key starts with 0xff', async (t) => {
  const store = new Corestore(await tempDir(t))
  teardown(t, () => store.close())
  const view = new IndexView(store, store.get({ name: 'index' }))
  await view.ready()
  teardown(t, () => view.close())

  const key = b4a.from('k')
  const batch = new IndexBatch(view)
  for (const first of [0x00, 0x7f, 0xff]) {
    const writer = b4a.alloc(32, 0xff)
    writer[0] = first
    batch.putVersion(key, { writer, seq: 1, clock: { wall: 1, counter: 0 }, deleted: true, value: null, parents: [] })
  }
  batch.putVersion(b4a.from('kk'), {
    writer: b4a.alloc(32, 1),
    seq: 1,
    clock: { wall: 1, counter: 0 },
    deleted: true,
    value: null,
    parents: []
  })
  await batch.flush()
  const writers = (await view.versionsOf(key)).map((v) => v.writer[0])
  assert.deepEqual(
    writers.sort((a, b) => a! - b!),
    [0x00, 0x7f, 0xff],
    'all three, and nothing of "kk"'
  )
})

test('the caches of an index view stay within cacheSize, and reads stay right', async (t) => {
  const store = new Corestore(await tempDir(t))
  teardown(t, () => store.close())
  // Above the few nodes the tree keeps decoded whatever the size (8 of 32 KiB, by estimate).
  const cacheSize = 1024 * 1024
  const view = new IndexView(store, store.get({ name: 'index' }), cacheSize)
  await view.ready()
  teardown(t, () => view.close())

  const keyOf = (i: number) => b4a.from(`key-${String(i).padStart(6, '0')}`)
  const count = 9000
  for (let start = 0; start < count; start += 500) {
    const batch = new IndexBatch(view)
    for (let i = start; i < start + 500; i++) batch.setRecord(keyOf(i), record(i))
    await batch.flush()
    assert.ok(view.cachedBytes <= cacheSize, `after writing ${start + 500}: ${view.cachedBytes}`)
  }
  // Far more than fits: each read misses, walks the tree and caches what it read.
  for (let i = 0; i < count; i += 7) {
    assert.equal((await view.getRecord(keyOf(i)))?.heads[0]?.seq, i)
    assert.ok(view.cachedBytes <= cacheSize, `after reading ${i}: ${view.cachedBytes}`)
  }
  assert.ok(view.cachedBytes > cacheSize / 4, 'the cache is used')
  assert.equal(await view.getRecord(b4a.from('key-missing')), null)
})
