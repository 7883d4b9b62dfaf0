import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import b4a from 'b4a'
import { PeerBee, type PeerBeeOptions } from '../../lib/index.js'
import {
  collect,
  connect,
  connectUpTo,
  createDb,
  dump,
  openAndClose,
  rejectsWithCode,
  teardown,
  tempDir,
  waitFor
} from '../helpers.js'
import { behaviourSuite, type PairFactory } from '../suites/behaviour.js'

const hex = (b: Uint8Array) => b4a.toString(b, 'hex')

const local: PairFactory = async (t, opts) => {
  const db = await createDb<any, any>(t, opts)
  return { writer: db, reader: db, sync: async () => {} }
}

const replicated: PairFactory = async (t, opts) => {
  const a = await createDb<any, any>(t, opts)
  const b = await createDb<any, any>(t, { ...opts, key: a.key })
  // registered after both dbs: after() hooks run in reverse, so the pipe is cut before they close
  t.after(connect(a, b))
  return { writer: a, reader: b, sync: () => b.update() }
}

const encryptedLocal: PairFactory = (t, opts) => local(t, { ...opts, encrypt: true })

const encryptedReplica: PairFactory = async (t, opts) => {
  const a = await createDb<any, any>(t, { ...opts, encrypt: true })
  const b = await createDb<any, any>(t, { ...opts, key: a.key, encryptionKey: a.encryptionKey! })
  t.after(connect(a, b))
  return { writer: a, reader: b, sync: () => b.update() }
}

behaviourSuite('behaviour: local db', local)
behaviourSuite('behaviour: read back on a replica', replicated)
behaviourSuite('behaviour: local encrypted db', encryptedLocal)
behaviourSuite('behaviour: read back on a replica of an encrypted db', encryptedReplica)

describe('lifecycle', () => {
  test('close and reopen the same storage: same key, writer and data', async (t) => {
    const dir = await tempDir(t)
    const a = new PeerBee(dir)
    await a.ready()
    await a.ready() // idempotent
    await a.put('k', { v: 1 })
    const b = a.batch()
    b.put('b1', 1).put('b2', 2)
    await b.flush()
    await a.del('b2')
    const key = hex(a.key)
    const writerKey = hex(a.writerKey)
    const before = await dump(a)
    const history = (await a.history('k')).map((v) => [v.value, v.seq, v.clock])
    await a.close()

    const again = new PeerBee(dir, { key })
    teardown(t, () => again.close())
    await again.ready()
    assert.equal(hex(again.key), key)
    assert.equal(hex(again.writerKey), writerKey)
    assert.equal(again.role, 'admin')
    assert.deepEqual(await dump(again), before)
    assert.deepEqual(
      (await again.history('k')).map((v) => [v.value, v.seq, v.clock]),
      history
    )
    // and it keeps writing after the reopen, on top of what it had
    await again.put('k', { v: 2 })
    assert.deepEqual((await again.get('k'))?.value, { v: 2 })
    assert.deepEqual((await again.get('k'))?.conflicts, [])
  })

  test('reopen with the key omitted opens the db the storage holds', async (t) => {
    const root = await createDb(t)
    const dir = await tempDir(t)
    const follower = new PeerBee(dir, { key: root.id })
    await follower.ready()
    const writerKey = hex(follower.writerKey)
    await follower.close()

    const again = new PeerBee(dir)
    teardown(t, () => again.close())
    await again.ready()
    assert.equal(hex(again.key), hex(root.key), 'not a new db')
    assert.equal(hex(again.writerKey), writerKey)
    assert.equal(again.writable, false)
    assert.equal(again.role, null)
  })

  test('a new writer clock stays above what the log used before a reopen', async (t) => {
    const dir = await tempDir(t)
    const future = Date.now() + 60_000
    const a = new PeerBee(dir, { now: () => future })
    await a.ready()
    await a.put('k', 1)
    await a.close()
    const again = new PeerBee(dir, { now: () => future - 30_000 })
    teardown(t, () => again.close())
    await again.ready()
    await again.put('k', 2)
    const versions = await again.history('k')
    assert.deepEqual(
      versions.map((v) => v.value),
      [1, 2]
    )
    assert.ok(versions[1]!.clock >= future, 'the clock never goes back')
    assert.deepEqual((await again.get('k'))?.conflicts, [])
  })

  test('INVALID_DB_KEY for a key that is not 32 bytes, hex or z-base32', async (t) => {
    for (const key of ['nonsense', 'ab'.repeat(31), b4a.alloc(31), '']) {
      const dir = await tempDir(t)
      await rejectsWithCode(() => openAndClose(dir, { key }), 'INVALID_DB_KEY')
    }
  })

  test('the db key is accepted as hex, z-base32 or bytes', async (t) => {
    const root = await createDb(t)
    for (const key of [hex(root.key), root.id, b4a.from(root.key)]) {
      const db = await createDb(t, { key })
      assert.equal(hex(db.key), hex(root.key))
    }
  })

  test('methods called before ready() wait for it', async (t) => {
    const dir = await tempDir(t)
    const db = new PeerBee(dir)
    teardown(t, () => db.close())
    await db.put('early', 1)
    assert.equal((await db.get('early'))?.value, 1)
  })
})

/** A peer with a fixed wall clock, so every run writes the same clocks. */
function at(ms: number): PeerBeeOptions {
  return { now: () => ms }
}

const T0 = 1_800_000_000_000

describe('multi-writer', () => {
  test('a peer that knows only the db key finds every writer through membership', async (t) => {
    const a = await createDb(t)
    const b = await createDb(t, { key: a.key })
    const c = await createDb(t, { key: a.key })
    t.after(connect(a, b))
    t.after(connect(a, c))
    await a.addWriter(b.writerKey)
    await a.addWriter(c.writerKey, { role: 'admin' })
    await b.update()
    await c.update()
    assert.equal(b.writable, true)
    assert.equal(b.role, 'writer')
    assert.equal(c.role, 'admin')
    await a.put('from-a', 'a')
    await b.put('from-b', 'b')
    await c.put('from-c', 'c')
    await a.update()

    // d only ever talks to c, a non-root writer, and knows nothing but the db key
    const d = await createDb(t, { key: a.id })
    t.after(connect(c, d))
    await c.update()
    await d.update()
    assert.deepEqual(keysOf(await collect(d.list())), ['from-a', 'from-b', 'from-c'])
    const writers = (await d.writers()).map((w) => [hex(w.key), w.role]).sort()
    assert.deepEqual(
      writers,
      [
        [hex(a.key), 'admin'],
        [hex(b.writerKey), 'writer'],
        [hex(c.writerKey), 'admin']
      ].sort()
    )
    assert.equal(d.writable, false)
    assert.equal(d.role, null)
  })

  test('NOT_WRITABLE for a non-member, NOT_ADMIN for a plain writer; neither writes', async (t) => {
    const a = await createDb(t)
    const b = await createDb(t, { key: a.key })
    const r = await createDb(t, { key: a.key })
    t.after(connect(a, b))
    t.after(connect(a, r))
    await a.addWriter(b.writerKey)
    await b.update()
    await r.update()
    await rejectsWithCode(() => r.put('k', 1), 'NOT_WRITABLE')
    await rejectsWithCode(() => r.del('k'), 'NOT_WRITABLE')
    await rejectsWithCode(() => r.batch().put('k', 1).flush(), 'NOT_WRITABLE')
    await rejectsWithCode(() => r.addWriter(b4a.alloc(32, 9)), 'NOT_WRITABLE')
    await rejectsWithCode(() => b.addWriter(r.writerKey), 'NOT_ADMIN')
    await rejectsWithCode(() => b.removeWriter(a.key), 'NOT_ADMIN')
    await a.update()
    assert.deepEqual(await dump(a), [])
    assert.equal((await a.writers()).length, 2)
    assert.equal(r.writable, false)
  })

  test('concurrent writes: same winner and conflicts everywhere; a later write resolves them', async (t) => {
    const minute = 60_000
    const now = { a: T0, b: T0, c: T0 }
    const a = await createDb(t, { now: () => now.a })
    const b = await createDb(t, { key: a.key, now: () => now.b })
    const c = await createDb(t, { key: a.key, now: () => now.c })
    let cut = connect(a, b)
    t.after(connect(a, c))
    await a.addWriter(b.writerKey)
    await b.update()
    cut()

    // written while a and b cannot see each other; a's clock is ahead of b's, and both are
    // more than 5 minutes ahead of c's, so c's clock never catches up with theirs
    now.a = T0 + 10 * minute
    now.b = T0 + 6 * minute
    await a.put('k', 'from-a')
    await b.put('k', 'from-b')
    await b.put('del-wins', 'b-put')
    await a.put('put-wins', 'a-put')
    await b.del('put-wins')
    await a.batch().del('del-wins').flush()
    cut = connect(a, b)
    t.after(() => cut())
    for (const p of [a, b, c, a, b, c]) await p.update()

    const dumps = await Promise.all([a, b, c].map((p) => dump(p)))
    assert.deepEqual(dumps[1], dumps[0])
    assert.deepEqual(dumps[2], dumps[0])
    for (const p of [a, b, c]) {
      const k = await p.get('k')
      assert.equal(k?.value, 'from-a', 'greatest clock wins')
      assert.equal(hex(k.writer), hex(a.writerKey))
      assert.deepEqual(
        k.conflicts.map((x) => [x.value, x.deleted, hex(x.writer)]),
        [['from-b', false, hex(b.writerKey)]]
      )
      const put = await p.get('put-wins')
      assert.equal(put?.value, 'a-put', 'a put beats a concurrent delete with a lower clock')
      assert.deepEqual(
        put.conflicts.map((x) => [x.value, x.deleted, hex(x.writer)]),
        [[null, true, hex(b.writerKey)]]
      )
      assert.equal(await p.get('del-wins'), null, 'a delete with the greatest clock wins')
      assert.deepEqual(keysOf(await collect(p.list())), ['k', 'put-wins'])
      assert.equal((await p.history('k')).length, 2)
    }

    // c saw both heads: its write cites them and resolves the conflict despite its low clock
    await rejectsWithCode(() => c.put('k', 'x'), 'NOT_WRITABLE')
    await a.addWriter(c.writerKey)
    await c.update()
    await c.put('k', 'resolved')
    await c.put('del-wins', 'revived')
    for (const p of [a, b, c]) await p.update()
    for (const p of [a, b, c]) {
      const k = await p.get('k')
      assert.equal(k?.value, 'resolved', 'the version that saw both heads wins')
      assert.ok(k.clock < T0 + 6 * minute, 'with the lowest clock')
      assert.deepEqual(k.conflicts, [])
      const revived = await p.get('del-wins')
      assert.equal(revived?.value, 'revived')
      assert.deepEqual(revived.conflicts, [])
    }
  })

  test('a version that cites another wins whatever the clocks say', async (t) => {
    const tenYears = 10 * 365 * 24 * 3600 * 1000
    const skewed = await createDb(t, { now: () => Date.now() + tenYears })
    const honest = await createDb(t, { key: skewed.key })
    const watcher = await createDb(t, { key: skewed.key })
    t.after(connect(skewed, honest))
    t.after(connect(skewed, watcher))
    await skewed.addWriter(honest.writerKey)
    await skewed.put('k', 'from the future')
    await honest.update()
    assert.equal((await honest.get('k'))?.value, 'from the future')
    await honest.put('k', 'overwritten')
    for (const p of [skewed, watcher, honest]) await p.update()
    for (const p of [skewed, honest, watcher]) {
      const e = await p.get('k')
      assert.equal(e?.value, 'overwritten')
      assert.deepEqual(e.conflicts, [])
      assert.ok(e.clock < Date.now() + tenYears / 2, 'the winner has the lower clock')
    }
    const history = await watcher.history('k')
    assert.equal(history.length, 2)
    assert.deepEqual(await dump(watcher), await dump(skewed))
  })

  test('a removed writer: later entries ignored everywhere, retracted where indexed, WRITER_REMOVED', async (t) => {
    const a = await createDb(t, at(T0))
    const b = await createDb(t, { key: a.key, ...at(T0 + 10) })
    const c = await createDb(t, { key: a.key, ...at(T0 + 20) })
    const cuts = [connect(a, b), connect(a, c), connect(b, c)]
    for (const cut of cuts) t.after(cut)
    await a.addWriter(b.writerKey)
    await a.put('k', 'a0')
    await b.update()
    await b.put('early', 'b-early')
    await a.update()
    await c.update()
    assert.equal((await c.get('early'))?.value, 'b-early')

    // a goes offline; b keeps writing and c indexes it
    cuts[0]!()
    cuts[1]!()
    await b.put('k', 'b-late')
    await b.put('late-only', 'b-late')
    await c.update()
    assert.equal((await c.get('k'))?.value, 'b-late', 'c indexed the late entry')
    assert.equal((await c.get('late-only'))?.value, 'b-late')

    // a removes b, cutting at the length a holds: b's late entries never count
    await a.removeWriter(b.writerKey)
    assert.equal(await a.get('late-only'), null)
    t.after(connect(a, c))
    await c.update()
    for (const p of [a, c]) {
      assert.equal((await p.get('k'))?.value, 'a0', 'retraction restores what b-late superseded')
      assert.deepEqual((await p.get('k'))?.conflicts, [])
      assert.equal(await p.get('late-only'), null)
      assert.equal((await p.get('early'))?.value, 'b-early', 'entries before the cut still count')
      assert.deepEqual(
        (await p.history('k')).map((v) => v.value),
        ['a0']
      )
    }

    // b itself learns of the removal, retracts its own late entries and can no longer write
    t.after(connect(a, b))
    await b.update()
    assert.equal(b.writable, false)
    assert.equal((await b.get('k'))?.value, 'a0')
    assert.equal(await b.get('late-only'), null)
    await rejectsWithCode(() => b.put('k', 'b-after'), 'WRITER_REMOVED')
    await rejectsWithCode(() => b.del('k'), 'WRITER_REMOVED')
    await rejectsWithCode(() => b.batch().put('x', 1).flush(), 'WRITER_REMOVED')
    for (const p of [a, b, c]) {
      const info = (await p.writers()).find((w) => b4a.equals(w.key, b.writerKey))
      assert.equal(info?.removed, true)
    }
    for (const p of [b, c]) await p.update()
    const expected = await dump(a)
    assert.deepEqual(await dump(b), expected)
    assert.deepEqual(await dump(c), expected)
  })

  test("an entry that cites a removed writer's entry past its cut is indexed where that entry never arrives", async (t) => {
    const a = await createDb(t, at(T0))
    const b = await createDb(t, { key: a.key, ...at(T0 + 10) })
    const c = await createDb(t, { key: a.key, ...at(T0 + 20) })
    const ab = connect(a, b)
    const ac = connect(a, c)
    t.after(connect(b, c))
    await a.addWriter(b.writerKey)
    await a.addWriter(c.writerKey)
    await a.put('k', 'a0')
    for (const p of [b, c, a]) await p.update()

    // a goes offline; c sees b's late write and overwrites it, citing it
    ab()
    ac()
    await b.put('k', 'b-late')
    await c.update()
    assert.equal((await c.get('k'))?.value, 'b-late')
    await c.put('k', 'c-over')
    await c.put('after', 'c2')

    // a removes b below its late write, then meets c only: b's late entry never reaches a
    await a.removeWriter(b.writerKey)
    t.after(connect(a, c))
    await waitFor(async () => (await a.get('after'))?.value === 'c2')
    await c.update()
    await a.update()
    const info = (await a.writers()).find((w) => b4a.equals(w.key, c.writerKey))
    assert.equal(info?.indexed, info?.length, "a indexed all of c's log")
    // b-late never counts, so what it had superseded is a head again beside c's write
    assert.equal((await a.get('k'))?.value, 'c-over')
    assert.deepEqual(
      (await a.get('k'))?.conflicts.map((v) => v.value),
      ['a0']
    )
    assert.deepEqual(await dump(c), await dump(a))
  })
})

describe('update', () => {
  test('update() right after connect() gets what the peer has', async (t) => {
    const a = await createDb(t)
    await a.put('x', 1)
    const b = await createDb(t, { key: a.key })
    t.after(connect(a, b))
    await b.update()
    assert.equal((await b.get('x'))?.value, 1)
  })

  test('update() resolves once the only peer is gone, even mid-download', async (t) => {
    const a = await createDb<string, string>(t, { valueEncoding: 'utf-8' })
    await a.put('k0', 'x')
    const b = await createDb<string, string>(t, { key: a.key, valueEncoding: 'utf-8' })
    const first = connect(a, b)
    await b.update()
    first()
    // many large blocks, of which only a tenth can cross before the cut
    for (let i = 1; i <= 200; i++) await a.put(`k${i}`, 'x'.repeat(150_000))
    const cut = connectUpTo(a, b, 3_000_000)
    await waitFor(() => b.status().writers[0]!.length === a.status().writers[0]!.length)
    cut()
    const root = b.status().writers[0]!
    assert.ok(
      root.downloaded > 0 && root.downloaded < root.length,
      `${root.downloaded} of ${root.length} blocks arrived before the cut`
    )
    // nothing is connected: there is nothing more to wait for
    await withTimeout(b.update(), 5_000, 'update() with no connected peer')
    const after = b.status().writers[0]!
    assert.equal(after.indexed, after.downloaded, 'every block held is indexed')
    assert.equal((await collect(b.list())).length, after.indexed - 1)
  })
})

/** Rejects if `promise` is still pending after `ms`: a hang becomes a failure, not a stall. */
async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function keysOf(entries: Array<{ key: string }>): string[] {
  return entries.map((e) => e.key)
}
