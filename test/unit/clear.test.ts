import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import b4a from 'b4a'
import type { PeerBee } from '../../lib/index.js'
import { collect, connect, createDb, rejectsWithCode } from '../helpers.js'

async function keys(db: PeerBee<string, unknown>, range = {}): Promise<string[]> {
  return (await collect(db.list(range))).map((e) => e.key)
}

/** Blocks in this peer's own writer log. */
async function ownLength(db: PeerBee<any, any>): Promise<number> {
  return (await db.writers()).find((w) => b4a.equals(w.key, db.writerKey))!.length
}

describe('clear()', () => {
  test('deletes every key of the range this peer sees, as one entry, and says how many', async (t) => {
    const db = await createDb(t)
    for (const k of ['a', 'p/1', 'p/2', 'p/3', 'q']) await db.put(k, k)
    await db.del('p/2')
    const before = await ownLength(db)
    assert.equal(await db.clear({ prefix: 'p/' }), 2)
    assert.equal(await ownLength(db), before + 1, 'one entry')
    assert.deepEqual(await keys(db), ['a', 'q'])
    const [v1] = (await db.history('p/1')).filter((v) => v.deleted)
    const [v3] = (await db.history('p/3')).filter((v) => v.deleted)
    assert.equal(v1!.seq, v3!.seq, 'both deletes are in the same entry')
    assert.equal(await db.clear({ prefix: 'p/' }), 0)
    assert.equal(await ownLength(db), before + 1, 'nothing to delete, nothing written')
  })

  test('limit and reverse pick the keys; no range clears the whole db', async (t) => {
    const db = await createDb(t)
    for (const k of ['a', 'b', 'c', 'd', 'e']) await db.put(k, 1)
    assert.equal(await db.clear({ reverse: true, limit: 2 }), 2)
    assert.deepEqual(await keys(db), ['a', 'b', 'c'])
    assert.equal(await db.clear({ gt: 'a', limit: 1 }), 1)
    assert.deepEqual(await keys(db), ['a', 'c'])
    assert.equal(await db.clear(), 2)
    assert.deepEqual(await keys(db), [])
  })

  test('past maxBatchOps it writes several entries', async (t) => {
    const db = await createDb(t, { maxBatchOps: 10 })
    for (let i = 0; i < 25; i += 5) {
      const b = db.batch()
      for (let j = i; j < i + 5; j++) b.put(`k${String(j).padStart(2, '0')}`, j)
      await b.flush()
    }
    const before = await ownLength(db)
    assert.equal(await db.clear(), 25)
    assert.equal(await ownLength(db), before + 3, '25 deletes in entries of at most 10')
    assert.deepEqual(await keys(db), [])
  })

  test('reads the keys at the call: a write resolved after it is kept', async (t) => {
    const db = await createDb(t)
    await db.put('p/old', 1)
    const clearing = db.clear({ prefix: 'p/' })
    await db.put('p/new', 2)
    assert.equal(await clearing, 1)
    assert.deepEqual(await keys(db), ['p/new'])
  })

  test('a concurrent write it did not see follows the merge rules; peers agree', async (t) => {
    const a = await createDb(t)
    // b's wall clock runs a minute ahead: its concurrent write wins the tie-break.
    const b = await createDb(t, { key: a.key, now: () => Date.now() + 60_000 })
    let cut = connect(a, b)
    await a.addWriter(b.writerKey)
    await b.update()
    await a.put('p/1', 'a')
    await a.put('p/2', 'a')
    await b.update()
    cut()

    assert.equal(await a.clear({ prefix: 'p/' }), 2)
    await b.put('p/1', 'b, concurrent')
    await b.put('p/3', 'b, new')
    cut = connect(a, b)
    t.after(cut)
    await a.update()
    await b.update()
    for (const db of [a, b]) {
      assert.deepEqual(await keys(db), ['p/1', 'p/3'])
      const p1 = await db.get('p/1')
      assert.equal(p1?.value, 'b, concurrent')
      assert.deepEqual(
        p1?.conflicts.map((c) => c.deleted),
        [true],
        "the clear's delete is the other head"
      )
      assert.equal(await db.get('p/2'), null)
    }
  })

  test('a reader cannot clear', async (t) => {
    const a = await createDb(t)
    const b = await createDb(t, { key: a.key })
    t.after(connect(a, b))
    await a.put('k', 1)
    await b.update()
    await rejectsWithCode(() => b.clear(), 'NOT_WRITABLE')
    await rejectsWithCode(() => b.clear({ prefix: 'nothing' }), 'NOT_WRITABLE')
    await rejectsWithCode(() => a.clear({ gt: 42 as never }), 'INVALID_KEY')
  })
})
