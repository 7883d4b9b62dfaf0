import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
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
  // Above the few nodes the tree keeps decoded whatever the size (8 of 64 KiB, by estimate).
  const cacheSize = 1024 * 1024
  const view = new IndexView(store, store.get({ name: 'index' }), cacheSize)
  await view.ready()
  teardown(t, () => view.close())

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

/** An index of `count` keys written 500 a step (many blocks), reopened with nothing decoded. */
async function coldIndex(t: TestContext, count: number): Promise<{ view: IndexView; reads: number[] }> {
  const store = new Corestore(await tempDir(t))
  teardown(t, () => store.close())
  const writer = new IndexView(store, store.get({ name: 'index' }))
  await writer.ready()
  for (let start = 0; start < count; start += 500) {
    const batch = new IndexBatch(writer)
    for (let i = start; i < start + 500; i++) batch.setRecord(keyOf(i), record(i))
    await batch.flush()
  }
  await writer.close()
  const core = store.get({ name: 'index' })
  // The blocks the tree reads from storage, in order.
  const reads: number[] = []
  const get = core.get.bind(core)
  core.get = (seq: number, opts?: object) => {
    reads.push(seq)
    return get(seq, opts)
  }
  const view = new IndexView(store, core)
  await view.ready()
  teardown(t, () => view.close())
  return { view, reads }
}

function keyOf(i: number): Uint8Array {
  return b4a.from(`key-${String(i).padStart(6, '0')}`)
}

// A decoded key is a slice of the block it was read from: kept as such, a node in the cache
// would keep whole blocks alive, many per node, far beyond what `cacheSize` counts.
test('the tree nodes a view keeps decoded hold their own keys and values, not their blocks', async (t) => {
  const { view } = await coldIndex(t, 6000)
  for (let i = 0; i < 6000; i += 13) assert.equal((await view.getRecord(keyOf(i)))?.heads[0]?.seq, i)

  const held = new Set<ArrayBufferLike>()
  let own = 0
  let nodes = 0
  for (const node of view.bee.cache) {
    if (node.value === null) continue
    nodes++
    for (const k of node.value.keys.entries) {
      own += k.key.byteLength + (k.value?.byteLength ?? 0)
      held.add(k.key.buffer)
      if (k.value !== null) held.add(k.value.buffer)
    }
  }
  let heldBytes = 0
  for (const buffer of held) heldBytes += buffer.byteLength
  assert.ok(nodes > 8, `nodes decoded: ${nodes}`)
  assert.equal(held.size, nodes, 'one buffer a node')
  assert.equal(heldBytes, own)
})

// Every key of a node names the block it was written in, most of them the same few blocks.
test('decoding a node reads each block it needs once', async (t) => {
  const { view, reads } = await coldIndex(t, 6000)
  let total = 0
  for (const i of [0, 1500, 3000, 4500, 5999]) {
    reads.length = 0
    assert.equal((await view.getRecord(keyOf(i)))?.heads[0]?.seq, i)
    assert.equal(new Set(reads).size, reads.length, `key ${i}: blocks read ${reads.join(' ')}`)
    total += reads.length
  }
  assert.ok(total > 5, `blocks read: ${total}`)
})
