import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { PeerBee } from '../../lib/index.js'
import { PeerBeeLevel } from '../../lib/level.js'
import { collect, connect, createDb, tempDir, teardown } from '../helpers.js'

describe('PeerBeeLevel', () => {
  test('on a storage path: it opens a PeerBee there, closes it, and the data stays for the next open', async (t) => {
    const dir = await tempDir(t)
    const level = new PeerBeeLevel<string, { n: number }>(dir, { valueEncoding: 'json' })
    teardown(t, () => level.close())
    await level.put('a', { n: 1 })
    await level.batch([
      { type: 'put', key: 'b', value: { n: 2 } },
      { type: 'del', key: 'a' }
    ])
    assert.deepEqual(await level.iterator().all(), [['b', { n: 2 }]])
    await level.close()
    await level.open()
    assert.deepEqual(await level.get('b'), { n: 2 })
    await level.close()

    // Closed means the PeerBee is closed: the storage opens again, and the entries are in `level`.
    const db = new PeerBee<string, unknown>(dir)
    teardown(t, () => db.close())
    await db.ready()
    const entries = await collect(db.sub('level').list())
    assert.deepEqual(
      entries.map((e) => [e.key, e.value]),
      [['b', { n: 2 }]]
    )
  })

  test("over an app's PeerBee: writes replicate to another peer's Level; a batch is one entry", async (t) => {
    const a = await createDb(t)
    const b = await createDb(t, { key: a.key })
    t.after(connect(a, b))
    const onA = new PeerBeeLevel(a, { prefix: 'app' })
    const onB = new PeerBeeLevel(b, { prefix: 'app' })
    teardown(t, () => onA.close())
    teardown(t, () => onB.close())
    const users = onA.sublevel('users')
    await onA.batch([
      { type: 'put', key: 'title', value: 'shared' },
      { type: 'put', key: 'ada', value: 'Ada', sublevel: users }
    ])
    const [batch] = await collect(a.changes())
    assert.equal(batch!.changes.length, 2, 'one entry, one index step')
    await b.update()
    assert.equal(await onB.get('title'), 'shared')
    assert.deepEqual(await onB.sublevel('users').keys().all(), ['ada'])
    // Closing the Level leaves the app's PeerBee open.
    await onA.close()
    assert.equal((await a.sub('app').get('title'))?.value, 'shared')
  })
})
