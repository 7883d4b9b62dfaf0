import assert from 'node:assert/strict'
import { cp } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import b4a from 'b4a'
import { PeerBee } from '../../lib/index.js'
import { connect, createDb, dump, rejectsWithCode, tempDir, teardown, waitFor } from '../helpers.js'

/**
 * A restored or copied storage (docs/DESIGN.md: recovery rotates, it never rewinds): it opens
 * only with `recover`, goes on with a new writer log the old key certifies, and nothing
 * written on either copy is lost.
 */

async function copyOf(t: TestContext, dir: string): Promise<string> {
  const copy = path.join(await tempDir(t), 'copy')
  await cp(dir, copy, { recursive: true })
  return copy
}

async function open<V = unknown>(t: TestContext, dir: string, opts = {}): Promise<PeerBee<string, V>> {
  const db = new PeerBee<string, V>(dir, opts)
  teardown(t, () => db.close())
  await db.ready()
  return db
}

const hex = (b: Uint8Array) => b4a.toString(b, 'hex')

for (const encrypt of [false, true]) {
  const what = encrypt ? 'a restored root of an encrypted db' : 'a restored root'
  test(`${what}: refused as is; with recover it writes on a new log, admin still, and both copies converge`, async (t) => {
    const dir = await tempDir(t)
    const original = await createDb<string, unknown>(t, { encrypt }, dir)
    const oldKey = original.writerKey
    await original.put('before-backup', 1)
    await original.close()
    const backup = await copyOf(t, dir)

    // The original device goes on after the backup was taken.
    const laptop = await open(t, dir)
    await laptop.put('after-backup', 2)

    await rejectsWithCode(() => new PeerBee(backup).ready(), 'STORAGE_MOVED')
    const restored = await open(t, backup, { recover: true })
    assert.equal(restored.recovered, true)
    assert.notDeepEqual(restored.writerKey, oldKey, 'a new writer log')
    assert.equal(restored.role, 'admin', "the root's successor is admin, without any admin adding it")
    assert.deepEqual(restored.key, laptop.key)
    await restored.put('after-restore', 3)
    assert.equal((await restored.get('before-backup'))?.value, 1)

    connect(laptop, restored)
    await waitFor(async () => {
      await Promise.all([laptop.update(), restored.update()])
      return (await laptop.get('after-restore')) !== null && (await restored.get('after-backup')) !== null
    })
    assert.deepEqual(await dump(laptop), await dump(restored))
    const writers = (await laptop.writers()).map((w) => [hex(w.key), w.role, w.forked]).sort()
    assert.deepEqual(
      writers,
      [
        [hex(oldKey), 'admin', false],
        [hex(restored.writerKey), 'admin', false]
      ].sort()
    )

    // The successor keeps the root's powers: it adds a writer, and cannot be removed.
    const third = await createDb(t, { key: laptop.key, ...(encrypt ? { encryptionKey: laptop.encryptionKey! } : {}) })
    await restored.addWriter(third.writerKey)
    await rejectsWithCode(() => laptop.removeWriter(restored.writerKey), 'INVALID_ARGUMENT')
    await laptop.update()
    assert.ok((await laptop.writers()).some((w) => b4a.equals(w.key, third.writerKey)))
  })
}

test("a restored writer syncs its old log from a peer first: the lost copy's later writes still count", async (t) => {
  const root = await createDb<string, unknown>(t)
  const dir = await tempDir(t)
  const writer = await createDb<string, unknown>(t, { key: root.key }, dir)
  const cut = connect(root, writer)
  await root.addWriter(writer.writerKey)
  await writer.update()
  await writer.put('one', 1)
  await root.update()
  await writer.close()
  const backup = await copyOf(t, dir)

  const device = await open(t, dir)
  connect(root, device)
  await device.put('two', 2)
  await root.update()
  cut()
  await device.close()

  // The device is lost; its backup is restored and meets the root, which holds 'two'.
  const restored = await open(t, backup, { recover: true })
  assert.equal(restored.role, 'writer', 'a writer goes on as a writer, no admin involved')
  connect(root, restored)
  await restored.update()
  await waitFor(async () => (await restored.get('two'))?.value === 2)
  await restored.put('three', 3)
  await waitFor(async () => {
    await root.update()
    return (await root.get('three'))?.value === 3
  })
  assert.deepEqual(await dump(root), await dump(restored))
  assert.equal(root.status().invalid, 0)
})

test('recover on a storage that was not moved does nothing', async (t) => {
  const dir = await tempDir(t)
  const db = await createDb(t, {}, dir)
  const writerKey = db.writerKey
  await db.close()
  const again = await open(t, dir, { recover: true })
  assert.equal(again.recovered, false)
  assert.deepEqual(again.writerKey, writerKey)
})
