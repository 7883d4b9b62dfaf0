import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import b4a from 'b4a'
import Corestore from 'corestore'
import { PeerBee, type ChangeBatch, type PeerBeeOptions } from '../../lib/index.js'
import { IndexView } from '../../lib/view/index-view.js'
import { decodeChangeChunk, encodeChangeChunk, encodeFormat } from '../../lib/view/records.js'
import { CHANGES_RANGE, FORMAT_KEY } from '../../lib/view/keys.js'
import { collect, connect, createDb, dump, rejectsWithCode, tempDir, teardown } from '../helpers.js'

type Batches = Array<ChangeBatch<string, unknown>>

/** The changes of batches as `key=value` (`key-` when deleted), in order. */
function flat(batches: Batches): string[] {
  return batches.flatMap((b) => b.changes.map((c) => (c.deleted ? `${c.key}-` : `${c.key}=${JSON.stringify(c.value)}`)))
}

/** Replays batches onto a map, as an app keeping a copy of the db would. */
function replay(batches: Batches, into = new Map<string, unknown>()): Map<string, unknown> {
  for (const { changes } of batches) {
    for (const c of changes) {
      if (c.deleted) into.delete(c.key)
      else into.set(c.key, c.value)
    }
  }
  return into
}

/** Waits until every write resolved so far is indexed (`changes()` does), so the next one lands in a step of its own. */
async function indexed(db: PeerBee<string, unknown>): Promise<void> {
  await collect(db.changes())
}

async function listed(db: PeerBee<string, unknown>): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>()
  for await (const e of db.list()) out.set(e.key, e.value)
  return out
}

/** Opens the db of `dir` again (after a close), closed when the test ends. */
async function reopen(t: TestContext, dir: string, opts: PeerBeeOptions = {}): Promise<PeerBee<string, unknown>> {
  const db = new PeerBee<string, unknown>(dir, opts)
  teardown(t, () => db.close())
  await db.ready()
  return db
}

describe('the change log records', () => {
  test('a chunk keeps each key with its winning entry, once per entry; a bad entry number is STORAGE_CORRUPT', () => {
    const w1 = b4a.alloc(32, 1)
    const w2 = b4a.alloc(32, 2)
    const logged = [
      { key: b4a.from('a'), winner: { writer: w1, seq: 3 } },
      { key: b4a.from('b'), winner: null },
      { key: b4a.from('c'), winner: { writer: w2, seq: 1 } },
      { key: b4a.from('d'), winner: { writer: w1, seq: 3 } }
    ]
    const encoded = encodeChangeChunk(logged)
    assert.deepEqual(decodeChangeChunk(encoded), logged)
    // Two entries of 32 + 1 bytes, four keys of 1 + 1 + 1 bytes, counts and the format.
    assert.ok(encoded.byteLength <= 2 * 33 + 4 * 3 + 3, `${encoded.byteLength} bytes`)
    const one = encodeChangeChunk([{ key: b4a.from('a'), winner: { writer: w1, seq: 3 } }])
    const bad = b4a.from(one)
    bad[bad.byteLength - 1] = 2 // the only key names entry 2 of 1
    assert.throws(
      () => decodeChangeChunk(bad),
      (err: { code?: string }) => err.code === 'STORAGE_CORRUPT'
    )
  })
})

describe('changes()', () => {
  test('without since: every change from the first, including writes resolved just before the call', async (t) => {
    const db = await createDb(t)
    await db.put('a', 1)
    await db.put('b', 2)
    // Resolved writes are readable before the index takes them; the feed waits for them.
    const first = await collect(db.changes())
    assert.deepEqual(flat(first), ['a=1', 'b=2'])
    await db.del('a')
    const b = db.batch()
    b.put('c', 3).put('b', 20)
    await b.flush()
    const all = await collect(db.changes())
    assert.deepEqual(flat(all), ['a=1', 'b=2', 'a-', 'b=20', 'c=3'])
    assert.deepEqual(replay(all), await listed(db))
    for (const batch of all) assert.equal(typeof batch.checkpoint, 'string')
  })

  test('since a checkpoint: exactly what changed after it, from any batch, after a restart too', async (t) => {
    const dir = await tempDir(t)
    const db = await createDb<string, unknown>(t, {}, dir)
    for (let i = 0; i < 5; i++) {
      await db.put(`k${i}`, i)
      if (i % 2 === 0 && i > 0) await db.del(`k${i - 1}`)
      await indexed(db)
    }
    const all = await collect(db.changes())
    assert.ok(all.length >= 5)
    for (let i = 0; i < all.length; i++) {
      const after = await collect(db.changes({ since: all[i]!.checkpoint }))
      assert.deepEqual(flat(after), flat(all.slice(i + 1)), `after batch ${i}`)
    }
    const last = all.at(-1)!.checkpoint
    await db.close()

    const again = await reopen(t, dir)
    assert.deepEqual(await collect(again.changes({ since: last })), [], 'nothing new')
    await again.put('later', 'x')
    await again.del('k0')
    const resumed = await collect(again.changes({ since: last }))
    assert.deepEqual(new Set(flat(resumed)), new Set(['later="x"', 'k0-']))
    assert.deepEqual(replay(resumed, replay(all)), await listed(again))
  })

  test('live: catches up, then yields each step as it lands, and ends when the db closes', async (t) => {
    const db = await createDb(t)
    await db.put('before', 1)
    const feed = db.changes({ live: true })[Symbol.asyncIterator]()
    assert.deepEqual(flat([(await feed.next()).value]), ['before=1'])
    const next = feed.next()
    await db.put('after', 2)
    const batch = (await next).value as ChangeBatch<string, unknown>
    assert.deepEqual(flat([batch]), ['after=2'])
    // The checkpoint of a live batch resumes as any other.
    await db.put('then', 3)
    assert.deepEqual(flat(await collect(db.changes({ since: batch.checkpoint }))), ['then=3'])
    assert.deepEqual(flat([(await feed.next()).value]), ['then=3'])
    const ended = feed.next()
    await db.close()
    assert.equal((await ended).done, true)
  })

  test('a large step comes in several batches; a checkpoint inside it resumes with the rest', async (t) => {
    const db = await createDb(t)
    const b = db.batch()
    // Keys of 40 bytes: a step of 3,000 logs about 130 KB.
    for (let i = 0; i < 3000; i++) b.put(`key-${String(i).padStart(36, '0')}`, i)
    await b.flush()
    const all = await collect(db.changes())
    assert.ok(all.length > 1, `one step of ~130 KB is split (${all.length} batch)`)
    assert.deepEqual(
      all.flatMap((x) => x.changes.map((c) => c.value)),
      Array.from({ length: 3000 }, (_, i) => i)
    )
    const keys = all.flatMap((x) => x.changes.map((c) => c.key))
    assert.equal(keys.length, 3000)
    assert.equal(new Set(keys).size, 3000)
    const rest = await collect(db.changes({ since: all[0]!.checkpoint }))
    assert.deepEqual(flat(rest), flat(all.slice(1)))
  })

  test('range: only keys in it; on a sub-database, keys relative to its prefix', async (t) => {
    const db = await createDb(t)
    const users = db.sub('users')
    for (const write of [
      () => db.put('app/x', 1),
      () => users.put('ada', { n: 1 }),
      () => db.put('zeta', 2),
      () => users.del('ada')
    ]) {
      await write()
      await indexed(db)
    }
    assert.deepEqual(flat(await collect(db.changes({ range: { prefix: 'app/' } }))), ['app/x=1'])
    assert.deepEqual(flat(await collect(db.changes({ range: { gte: 'b', lt: 'zz' } }))), [
      'users\u0000ada={"n":1}',
      'zeta=2',
      'users\u0000ada-'
    ])
    assert.deepEqual(flat(await collect(users.changes())), ['ada={"n":1}', 'ada-'])
    await rejectsWithCode(() => collect(db.changes({ range: { reverse: true } as never })), 'INVALID_ARGUMENT')
  })

  test('a checkpoint that is not one, or is of another db, is CHECKPOINT_INVALID', async (t) => {
    const a = await createDb(t)
    const b = await createDb(t)
    await a.put('k', 1)
    await b.put('k', 1)
    const [{ checkpoint }] = await collect(b.changes())
    for (const since of ['', 'not a checkpoint', checkpoint.slice(0, -3), 42 as unknown as string, checkpoint]) {
      await rejectsWithCode(() => collect(a.changes({ since })), 'CHECKPOINT_INVALID')
    }
  })

  test(
    'after reindex() a checkpoint is CHECKPOINT_EXPIRED, a live feed ends with it, and the new history replays to the state',
    { timeout: 30_000 },
    async (t) => {
      const db = await createDb(t)
      await db.put('a', 1)
      await db.put('b', 2)
      await db.del('a')
      const before = await collect(db.changes())
      const live = db.changes({ live: true })[Symbol.asyncIterator]()
      for (const batch of before) assert.deepEqual((await live.next()).value, batch)
      const waiting = assert.rejects(live.next(), (err: { code?: string }) => err.code === 'CHECKPOINT_EXPIRED')
      await db.reindex()
      await waiting
      await rejectsWithCode(() => collect(db.changes({ since: before[0]!.checkpoint })), 'CHECKPOINT_EXPIRED')
      const rebuilt = await collect(db.changes())
      assert.deepEqual(replay(rebuilt), await listed(db))
      assert.deepEqual(await collect(db.changes({ since: rebuilt.at(-1)!.checkpoint })), [])
    }
  )

  test("a replica's feed has the writes it replicated; a checkpoint of one storage is expired on another", async (t) => {
    const a = await createDb(t)
    const b = await createDb(t, { key: a.key })
    t.after(connect(a, b))
    await a.put('x', 1)
    await a.put('y', 2)
    await b.update()
    const onB = await collect(b.changes())
    assert.deepEqual(new Set(flat(onB)), new Set(['x=1', 'y=2']))
    const onA = await collect(a.changes())
    await rejectsWithCode(() => collect(b.changes({ since: onA.at(-1)!.checkpoint })), 'CHECKPOINT_EXPIRED')
  })

  test("values come from the writers' logs, or from the index once a log is closed", async (t) => {
    const a = await createDb(t)
    const w = await createDb(t, { key: a.key })
    t.after(connect(a, w))
    await a.addWriter(w.writerKey)
    await w.update()
    await w.put('k', 'first')
    await a.update()
    await w.put('k', 'second')
    await a.update()
    const before = flat(await collect(a.changes()))
    assert.deepEqual(before, ['k="first"', 'k="second"'])
    // Hypercore closes a writer log that signed two histories; its indexed versions stay valid.
    const internal = a as unknown as {
      core: { keeper: { current: { replication: { log(id: string): { close(): Promise<void> } } } } }
    }
    await internal.core.keeper.current.replication.log(b4a.toString(w.writerKey, 'hex')).close()
    assert.deepEqual(flat(await collect(a.changes())), before, 'the superseded version from the versions space')
  })

  test('an index written before the change log existed is rebuilt, so the feed starts from the whole state', async (t) => {
    const dir = await tempDir(t)
    const db = await createDb<string, unknown>(t, {}, dir)
    await db.put('a', 1)
    await db.put('b', { n: 2 })
    await db.del('a')
    const state = await dump(db)
    await db.close()
    const store = new Corestore(dir)
    await store.ready()
    const view = new IndexView(store, store.get({ name: 'peerbee/index' }))
    await view.ready()
    // What an index of format 2 holds: the same data, no change log.
    const batch = view.bee.write()
    batch.tryPut(FORMAT_KEY, encodeFormat(2))
    for await (const node of view.bee.createReadStream(CHANGES_RANGE)) batch.tryDelete(node.key)
    await batch.flush()
    await view.close()
    await store.close()

    const again = await reopen(t, dir)
    assert.deepEqual(await dump(again), state)
    assert.deepEqual(replay(await collect(again.changes())), await listed(again))
    assert.equal((await listed(again)).size, 1)
  })
})
