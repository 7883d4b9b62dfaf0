import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { pipeline, type Duplex } from 'node:stream'
import { test, type TestContext } from 'node:test'
import { PeerBee, Seeder, type SeederOptions } from '../../lib/index.js'
import { collect, connect, createDb, filesHolding, rejectsWithCode, teardown, tempDir, waitFor } from '../helpers.js'

interface Replicating {
  replicate(isInitiator: boolean): Duplex
}

/** Replicates a db and a seeder (or two of either) over an in-memory pipe; call the result to cut it. */
function link(a: Replicating, b: Replicating): () => void {
  const sa = a.replicate(true)
  const sb = b.replicate(false)
  pipeline(sa, sb, sa, () => {})
  return () => {
    sa.destroy()
    sb.destroy()
  }
}

async function openSeeder(t: TestContext, dir: string, opts: SeederOptions = {}): Promise<Seeder> {
  const seeder = new Seeder(dir, opts)
  teardown(t, () => seeder.close())
  await seeder.ready()
  return seeder
}

const secret = () => 'secret-' + randomBytes(16).toString('hex')

async function keysOf(db: PeerBee): Promise<string[]> {
  return (await collect(db.list())).map((e) => e.key)
}

test('a seeder with only the db key keeps and serves every writer log, and its storage holds no value', async (t) => {
  const dir = await tempDir(t)
  const seeder = await openSeeder(t, dir)
  const a = await createDb(t, { encrypt: true })
  const w = await createDb(t, { key: a.key, encryptionKey: a.encryptionKey! })
  await seeder.add(a.id)
  const cuts = [link(a, seeder), connect(a, w), link(w, seeder)]
  // w becomes a writer after the seeder started: it learns of w's log from a's membership entry.
  await a.addWriter(w.writerKey)
  await waitFor(async () => {
    await w.update()
    return w.writable
  })
  const [fromA, fromW] = [secret(), secret()]
  await a.put('a', fromA)
  await w.batch().put('w', fromW).put('w2', 'more').flush()
  await a.update()
  await waitFor(async () => {
    await seeder.update(a.key)
    const [s] = seeder.status()
    return s!.writers === 2 && s!.blocks === s!.length
  })
  const [status] = seeder.status()
  assert.equal(status!.key, a.id)
  assert.equal(
    status!.blocks,
    a.status().writers.reduce((n, x) => n + x.length, 0)
  )
  assert.ok(status!.bytes > 0)

  // Both writers go away; a new reader with the keys gets everything from the seeder alone.
  for (const cut of cuts) cut()
  const encryptionKey = a.encryptionKey!
  await a.close()
  await w.close()
  const reader = await createDb(t, { key: a.key, encryptionKey })
  link(seeder, reader)
  await waitFor(async () => {
    await reader.update()
    return (await keysOf(reader)).length === 3
  })
  assert.equal((await reader.get('w'))?.value, fromW)
  await seeder.close()
  assert.deepEqual(await filesHolding(dir, fromA), [])
  assert.deepEqual(await filesHolding(dir, fromW), [])
})

test('a seeder holds many dbs in one storage and seeds them again after a restart', async (t) => {
  const dir = await tempDir(t)
  const first = await openSeeder(t, dir)
  const encrypted = await createDb(t, { encrypt: true })
  const plain = await createDb(t)
  await encrypted.put('e', 1)
  await plain.put('p', 1)
  await first.add(encrypted.key)
  await first.add(plain.id)
  await first.add(plain.id)
  const cuts = [link(encrypted, first), link(plain, first)]
  await first.update()
  assert.deepEqual(
    first
      .status()
      .map((s) => [s.key, s.writers, s.blocks])
      .sort(),
    [
      [encrypted.id, 1, 2],
      [plain.id, 1, 2]
    ].sort()
  )
  for (const cut of cuts) cut()
  await first.close()

  const again = await openSeeder(t, dir)
  assert.deepEqual(
    again
      .status()
      .map((s) => [s.key, s.blocks])
      .sort(),
    [
      [encrypted.id, 2],
      [plain.id, 2]
    ].sort()
  )
  const reader = await createDb(t, { key: plain.key })
  link(again, reader)
  await reader.update()
  assert.deepEqual(await keysOf(reader), ['p'])

  await again.remove(plain.key)
  assert.deepEqual(
    again.status().map((s) => s.key),
    [encrypted.id]
  )
  await rejectsWithCode(() => again.add('not a key'), 'INVALID_DB_KEY')
})

test('maxBytes: past it the seeder downloads no more, and update() still resolves', async (t) => {
  const a = await createDb(t)
  const big = 'x'.repeat(4000)
  await a.batch().put('first', 1).flush()
  for (let i = 0; i < 200; i++) await a.put('k' + i, big)
  const seeder = await openSeeder(t, await tempDir(t), { maxBytes: 10_000 })
  await seeder.add(a.key)
  link(a, seeder)
  await seeder.update()
  const [status] = seeder.status()
  assert.ok(seeder.full)
  assert.ok(status!.bytes >= 10_000, `holds ${status!.bytes} bytes`)
  assert.ok(status!.blocks < status!.length, `${status!.blocks} of ${status!.length} blocks`)
  const other = await tempDir(t)
  assert.throws(() => new Seeder(other, { maxBytes: -1 }), { code: 'INVALID_ARGUMENT' })
})

test('a storage that holds a database is no seeder storage', async (t) => {
  const dir = await tempDir(t)
  const db = new PeerBee(dir)
  await db.ready()
  await db.close()
  const seeder = new Seeder(dir)
  teardown(t, () => seeder.close())
  await rejectsWithCode(() => seeder.ready(), 'DB_EXISTS')
})
