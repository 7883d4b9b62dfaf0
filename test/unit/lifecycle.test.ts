import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PeerBee, PeerBeeError } from '../../lib/index.js'
import { createDb, rejectsWithCode, tempDir, teardown } from '../helpers.js'

/** The db's lifecycle follows ready-resource's: docs/API.md, properties and errors. */

/** Makes every later write of the db's index fail, as a storage that refuses writes would. */
function breakIndexWrites(db: PeerBee<string, number>): void {
  const internal = db as unknown as { core: { keeper: { current: { view: { bee: { write(): never } } } } } }
  internal.core.keeper.current.view.bee.write = () => {
    throw new Error('WRITE_FAILED: no space left on the device')
  }
}

test('opened, closing and closed mean what they mean in ready-resource', async (t) => {
  const db = new PeerBee(await tempDir(t))
  teardown(t, () => db.close())
  assert.equal(db.opened, false)
  assert.equal(db.closing, null)
  const events: string[] = []
  db.on('ready', () => events.push(`ready opened=${db.opened}`))
  db.on('close', () => events.push(`close closed=${db.closed}`))
  await db.ready()
  assert.equal(db.opened, true)
  const closing = db.close()
  assert.notEqual(db.closing as Promise<void> | null, null, 'closing is set from the first close()')
  assert.equal(db.closed, false, 'closed only once close finished')
  await closing
  assert.equal(db.closed, true)
  assert.deepEqual(events, ['ready opened=true', 'close closed=true'])
})

test('close() before ready(): the db never opens and every call rejects with CLOSED', async (t) => {
  const db = new PeerBee(await tempDir(t))
  await db.close()
  await db.ready()
  assert.equal(db.opened, false)
  await rejectsWithCode(() => db.get('k'), 'CLOSED')
  await rejectsWithCode(() => db.put('k', 1), 'CLOSED')
})

test('a failed open closes what it opened, and the storage opens again', async (t) => {
  const dir = await tempDir(t)
  const first = await createDb(t, {}, dir)
  const key = first.key
  await first.close()
  const other = new PeerBee(dir, { key: Buffer.alloc(32, 9) })
  await rejectsWithCode(() => other.ready(), 'DB_EXISTS')
  assert.ok(other.closing !== null, 'a failed open starts a close')
  const again = await createDb(t, {}, dir)
  assert.deepEqual(again.key, key, 'the store was released')
})

test('an indexing failure rejects every later call with INDEX_FAILED, its cause kept', async (t) => {
  const db = await createDb<string, number>(t)
  await db.put('before', 1)
  const errors: unknown[] = []
  db.on('error', (err) => errors.push(err))
  // The index's storage refuses writes (a full disk, say): its next step cannot be written.
  breakIndexWrites(db)
  await db.put('after', 2).catch(() => {})
  await rejectsWithCode(() => db.update(), 'INDEX_FAILED')
  await rejectsWithCode(() => db.get('before'), 'INDEX_FAILED')
  await rejectsWithCode(() => db.put('later', 3), 'INDEX_FAILED')
  await rejectsWithCode(() => db.writers(), 'INDEX_FAILED')
  assert.equal(errors.length, 1, "'error' once, to the listener")
  const failure = errors[0] as PeerBeeError
  assert.equal(failure.code, 'INDEX_FAILED')
  assert.ok(failure.cause instanceof Error, 'the original error is its cause')
})

test('without an error listener an indexing failure does not crash the process', async (t) => {
  const db = await createDb<string, number>(t)
  breakIndexWrites(db)
  await db.put('after', 2).catch(() => {})
  await rejectsWithCode(() => db.update(), 'INDEX_FAILED')
  assert.equal(db.listenerCount('error'), 0)
})

test('a db closed before ready() closes the store it made: the folder opens again at once', async (t) => {
  const dir = await tempDir(t)
  const first = new PeerBee(dir)
  await first.close()
  assert.equal(first.closed, true)
  // The storage lock is released: another db opens the same folder.
  const again = new PeerBee(dir)
  teardown(t, () => again.close())
  await again.ready()
  assert.equal(again.opened, true)
})
