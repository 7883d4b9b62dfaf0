import assert from 'node:assert/strict'
import { cp } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import b4a from 'b4a'
import Corestore from 'corestore'
import { LocalSettings } from '../../lib/db/local-settings.js'
import { PeerBee } from '../../lib/index.js'
import { EvidenceStore } from '../../lib/trust/evidence-store.js'
import { connect, createDb, dump, tempDir, teardown, waitFor } from '../helpers.js'

/**
 * A writer that signs two histories (docs/DESIGN.md: a fork is a fact every peer can check):
 * every peer that learns of it cuts the writer where the histories part, whatever branch it
 * held, and all of them reach the same state.
 */

/** A copy of a closed storage. */
async function copyOf(t: TestContext, dir: string): Promise<string> {
  const copy = path.join(await tempDir(t), 'clone')
  await cp(dir, copy, { recursive: true })
  return copy
}

/** A clone of a writer's storage forced open: it can sign a second history of the writer's log. */
async function forcedOpen(t: TestContext, copy: string): Promise<PeerBee<string, unknown>> {
  const store = new Corestore(copy, { allowBackup: true })
  teardown(t, () => store.close())
  const db = new PeerBee<string, unknown>(store)
  teardown(t, () => db.close())
  await db.ready()
  return db
}

const hex = (b: Uint8Array) => b4a.toString(b, 'hex')

test('two peers that each hold one branch of a forked writer reach the same state, the writer cut at the fork', async (t) => {
  const root = await createDb<string, unknown>(t)
  const dir = await tempDir(t)
  const writer = await createDb<string, unknown>(t, { key: root.key }, dir)
  const cut = connect(root, writer)
  await root.addWriter(writer.writerKey)
  await writer.update()
  await writer.put('k', 'shared')
  await writer.put('before', 1)
  await root.update()
  cut()
  const shared = (await writer.writers()).find((w) => b4a.equals(w.key, writer.writerKey))!.length
  await writer.close()

  const clone = await copyOf(t, dir)
  const one = await createDb<string, unknown>(t, {}, dir)
  const two = await forcedOpen(t, clone)
  assert.ok(b4a.equals(one.writerKey, two.writerKey), 'one writer key, two devices')
  await one.put('k', 'fork one')
  await one.put('only-one', 1)
  await two.put('k', 'fork two')

  const a = await createDb<string, unknown>(t, { key: root.key })
  const b = await createDb<string, unknown>(t, { key: root.key })
  const ca = connect(a, one)
  connect(a, root)
  await a.update()
  assert.equal((await a.get('k'))?.value, 'fork one')
  ca()
  const cb = connect(b, two)
  connect(b, root)
  await b.update()
  assert.equal((await b.get('k'))?.value, 'fork two')
  cb()
  await one.close()
  await two.close()

  // The two branches meet: each peer learns the fork and cuts the writer where they part.
  connect(a, b)
  await waitFor(async () => {
    await Promise.all([a.update(), b.update(), root.update()])
    const [x, y, r] = await Promise.all([a.get('k'), b.get('k'), root.get('k')])
    return x?.value === 'shared' && y?.value === 'shared' && r?.value === 'shared'
  }, 30_000)
  const state = await dump(a)
  assert.deepEqual(await dump(b), state)
  assert.deepEqual(await dump(root), state)
  assert.equal(await a.get('only-one'), null, 'what the writer wrote past the fork never counts')
  for (const db of [a, b, root]) {
    const info = (await db.writers()).find((w) => hex(w.key) === hex(one.writerKey))!
    assert.equal(info.forked, true)
    assert.equal(info.cut, shared, 'cut where the histories part')
  }
})

test("the forked writer's two devices each go on with a new log and write again what they wrote past the fork", async (t) => {
  const root = await createDb<string, unknown>(t)
  const dir = await tempDir(t)
  const writer = await createDb<string, unknown>(t, { key: root.key }, dir)
  const cut = connect(root, writer)
  await root.addWriter(writer.writerKey)
  await writer.update()
  await writer.put('k', 'shared')
  await root.update()
  cut()
  const forkedKey = writer.writerKey
  await writer.close()

  const clone = await copyOf(t, dir)
  const one = await createDb<string, unknown>(t, {}, dir)
  const two = await forcedOpen(t, clone)
  await one.put('k', 'one')
  await one.put('from-one', 1)
  await two.put('k', 'two')

  connect(root, one)
  connect(root, two)
  connect(one, two)
  await waitFor(async () => {
    await Promise.all([root.update(), one.update(), two.update()])
    const entry = await root.get('k')
    const values = [entry?.value, ...(entry?.conflicts.map((c) => c.value) ?? [])].sort()
    return JSON.stringify(values) === JSON.stringify(['one', 'two']) && (await root.get('from-one'))?.value === 1
  }, 30_000)
  assert.notEqual(hex(one.writerKey), hex(forkedKey), 'one went on with a new log')
  assert.notEqual(hex(two.writerKey), hex(forkedKey), 'two went on with a new log')
  assert.notEqual(hex(one.writerKey), hex(two.writerKey))
  await waitFor(async () => {
    await Promise.all([root.update(), one.update(), two.update()])
    const [r, x, y] = await Promise.all([dump(root), dump(one), dump(two)])
    return JSON.stringify(r) === JSON.stringify(x) && JSON.stringify(r) === JSON.stringify(y)
  }, 30_000)
  const info = (await root.writers()).find((w) => hex(w.key) === hex(forkedKey))!
  assert.equal(info.forked, true)
  assert.equal(one.writable && two.writable, true, 'both write on, as writers')
})

test('a device that kept the proof of its own fork but stopped before moving on moves on at the next open', async (t) => {
  const root = await createDb<string, unknown>(t)
  const dir = await tempDir(t)
  const writer = await createDb<string, unknown>(t, { key: root.key }, dir)
  const cut = connect(root, writer)
  await root.addWriter(writer.writerKey)
  await writer.update()
  await writer.put('k', 'shared')
  await root.update()
  cut()
  const forkedKey = writer.writerKey
  await writer.close()

  // The clone writes, the root learns the fork from it and from the original's branch.
  const twin = await forcedOpen(t, await copyOf(t, dir))
  await twin.put('k', 'twin')
  const original = await createDb<string, unknown>(t, {}, dir)
  await original.put('k', 'original')
  await original.close()
  const toTwin = connect(root, twin)
  const proofOf = async (db: PeerBee<string, unknown>) =>
    (db as unknown as { core: { storage: { evidence: EvidenceStore } } }).core.storage.evidence
      .all()
      .find((e) => e.type === 'fork' && b4a.equals(e.writer, forkedKey))
  const reopened = await createDb<string, unknown>(t, {}, dir)
  const toReopened = connect(root, reopened)
  await waitFor(async () => (await proofOf(root)) !== undefined, 30_000)
  toReopened()
  toTwin()
  await reopened.close()

  // As if the process stopped after keeping the proof and before its rotation: the proof is
  // in its storage, the writer log in use is still the forked one.
  const store = new Corestore(dir)
  const local = await LocalSettings.open(store)
  const evidence = await EvidenceStore.open(local)
  await evidence.add((await proofOf(root))!)
  await store.close()

  const again = await createDb<string, unknown>(t, {}, dir)
  await waitFor(() => !b4a.equals(again.writerKey, forkedKey), 10_000)
  // With no peer connected, it writes on its new log.
  await again.put('after', 1)
  assert.equal(again.writable, true)
  assert.ok(b4a.equals((await again.get('after'))!.writer, again.writerKey))
})
