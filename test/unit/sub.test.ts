import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import b4a from 'b4a'
import { collect, connect, createDb, rejectsWithCode, waitFor } from '../helpers.js'

const bytes = (...b: number[]) => b4a.from(b)
const hex = (b: Uint8Array) => b4a.toString(b, 'hex')

describe('sub()', () => {
  test('keys are relative to the prefix; the parent sees them under it', async (t) => {
    const db = await createDb(t)
    const users = db.sub<string, { name: string }>('users')
    await users.put('ada', { name: 'Ada' })
    await users.put('lin', { name: 'Lin' })
    await db.put('users', 'not in the sub')
    await db.put('usersx', 'nor this')
    assert.deepEqual((await users.get('ada'))?.value, { name: 'Ada' })
    assert.equal(await users.get('users'), null)
    assert.deepEqual(
      (await collect(users.list())).map((e) => e.key),
      ['ada', 'lin']
    )
    assert.deepEqual((await db.get('users\u0000ada'))?.value, { name: 'Ada' })
    assert.deepEqual(
      (await collect(db.list({ prefix: 'users' }))).map((e) => e.key),
      ['users', 'users\u0000ada', 'users\u0000lin', 'usersx']
    )
    assert.equal(hex(users.prefix), hex(b4a.from('users\u0000')))
  })

  test('ranges, reverse and limit stay inside the sub', async (t) => {
    const db = await createDb(t)
    const s = db.sub('s')
    for (const k of ['a', 'b', 'c', 'd']) await s.put(k, k)
    await db.put('r', 0)
    await db.put('t', 0)
    const keys = async (range: object) => (await collect(s.list(range))).map((e) => e.key)
    assert.deepEqual(await keys({}), ['a', 'b', 'c', 'd'])
    assert.deepEqual(await keys({ gt: 'a', lte: 'c' }), ['b', 'c'])
    assert.deepEqual(await keys({ reverse: true, limit: 2 }), ['d', 'c'])
    assert.deepEqual(await keys({ lt: 'b' }), ['a'])
    assert.deepEqual(await keys({ gte: 'c' }), ['c', 'd'])
    assert.deepEqual(await keys({ prefix: 'b' }), ['b'])
    const snap = s.snapshot()
    await s.del('a')
    assert.deepEqual(
      (await collect(snap.list())).map((e) => e.key),
      ['a', 'b', 'c', 'd']
    )
    assert.equal((await snap.get('a'))?.value, 'a')
    await snap.close()
    assert.deepEqual(await keys({}), ['b', 'c', 'd'])
  })

  test('nested subs, each with its own encodings', async (t) => {
    const db = await createDb(t)
    const app = db.sub('app')
    const blobs = app.sub<Uint8Array, Uint8Array>('blobs', { keyEncoding: 'binary', valueEncoding: 'binary' })
    const names = app.sub<string, string>('names', { valueEncoding: 'utf-8' })
    await blobs.put(bytes(1, 2), bytes(9, 9))
    await names.put('n', '{not json')
    await app.put('plain', { v: 1 })
    const blob = await blobs.get(bytes(1, 2))
    assert.ok(blob !== null && blob.value instanceof Uint8Array)
    assert.equal(hex(blob.value), '0909')
    assert.equal(hex(blob.key), '0102')
    assert.equal((await names.get('n'))?.value, '{not json')
    assert.deepEqual(
      (await collect(app.list())).map((e) => e.key),
      ['blobs\u0000\u0001\u0002', 'names\u0000n', 'plain']
    )
    assert.equal(hex(blobs.prefix), hex(b4a.from('app\u0000blobs\u0000')))
    assert.deepEqual(
      (await db.history('app\u0000names\u0000n')).map((v) => v.value),
      ['{not json']
    )
    assert.deepEqual(
      (await names.history('n')).map((v) => v.value),
      ['{not json']
    )
  })

  test('binary keys holding 0x00 and 0xff stay in their sub; names holding 0x00 are refused', async (t) => {
    const db = await createDb<Uint8Array, number>(t, { keyEncoding: 'binary' })
    const a = db.sub<Uint8Array, number>(bytes(0x61))
    const aff = db.sub<Uint8Array, number>(bytes(0x61, 0xff))
    const b = db.sub<Uint8Array, number>(bytes(0x62))
    const edge = [bytes(0x00), bytes(0x00, 0x00), bytes(0xff), bytes(0xff, 0xff, 0xff), bytes(0x00, 0xff), bytes(0x01)]
    for (const [i, key] of edge.entries()) {
      await a.put(key, i)
      await aff.put(key, 100 + i)
      await b.put(key, 200 + i)
    }
    await db.put(bytes(0x61), -1)
    await db.put(bytes(0x61, 0x01), -2)
    await db.put(bytes(0x60, 0xff), -3)
    const sorted = [...edge].sort(b4a.compare).map(hex)
    for (const [sub, base] of [
      [a, 0],
      [aff, 100],
      [b, 200]
    ] as const) {
      const entries = await collect(sub.list())
      assert.deepEqual(
        entries.map((e) => hex(e.key)),
        sorted
      )
      for (const e of entries) assert.equal(e.value, base + edge.findIndex((k) => b4a.equals(k, e.key)))
      const reversed = await collect(sub.list({ reverse: true }))
      assert.deepEqual(
        reversed.map((e) => hex(e.key)),
        [...sorted].reverse()
      )
      assert.deepEqual(
        (await collect(sub.list({ gte: bytes(0xff) }))).map((e) => hex(e.key)),
        ['ff', 'ffffff']
      )
    }
    assert.throws(
      () => db.sub(bytes(0x61, 0x00)),
      (err: { code?: string }) => err.code === 'INVALID_ARGUMENT'
    )
    assert.throws(
      () => db.sub(''),
      (err: { code?: string }) => err.code === 'INVALID_ARGUMENT'
    )
    assert.throws(
      () => db.sub(42 as never),
      (err: { code?: string }) => err.code === 'INVALID_ARGUMENT'
    )
  })

  test('the empty key is a key of a sub (stored as its prefix); the size limit counts the prefix', async (t) => {
    const db = await createDb(t, { maxKeySize: 8 })
    const s = db.sub('sub')
    await s.put('', 'empty')
    assert.equal((await s.get(''))?.value, 'empty')
    assert.equal((await db.get('sub\u0000'))?.value, 'empty')
    await s.put('1234', 4) // 'sub' 0x00 '1234': 8 bytes
    await rejectsWithCode(() => s.put('12345', 5), 'KEY_TOO_LARGE')
    await rejectsWithCode(() => db.put('', 1), 'INVALID_KEY')
  })

  test('batch, watch, clear and a replica, all relative to the sub', async (t) => {
    const a = await createDb(t)
    const b = await createDb(t, { key: a.key })
    t.after(connect(a, b))
    const sa = a.sub('todo')
    const sb = b.sub('todo')
    const seen: string[] = []
    const watching = (async () => {
      for await (const changes of sa.watch()) {
        for (const c of changes) seen.push(c.deleted ? `${c.key}-` : c.key)
        if (seen.includes('1-')) return
      }
    })()
    const batch = sa.batch()
    batch.put('1', 'milk').put('2', 'bread')
    await batch.flush()
    await a.put('other', 1)
    await waitFor(() => seen.length >= 2)
    await b.update()
    assert.deepEqual(
      (await collect(sb.list())).map((e) => [e.key, e.value]),
      [
        ['1', 'milk'],
        ['2', 'bread']
      ]
    )
    assert.equal(await sa.clear({ lt: '2' }), 1)
    await watching
    assert.deepEqual(seen, ['1', '2', '1-'])
    assert.deepEqual(
      (await collect(sa.list())).map((e) => e.key),
      ['2']
    )
    assert.equal((await a.get('other'))?.value, 1)
  })
})
