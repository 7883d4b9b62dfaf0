import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import b4a from 'b4a'
import { PeerBee } from '../../lib/index.js'
import {
  collect,
  connect,
  createDb,
  filesHolding,
  openAndClose,
  rejectsWithCode,
  tempDir,
  waitFor
} from '../helpers.js'

const hex = (b: Uint8Array | null) => (b === null ? null : b4a.toString(b, 'hex'))
/** A value no storage holds by chance: finding its bytes means it is stored in clear. */
const secret = () => 'secret-' + randomBytes(16).toString('hex')

async function keysOf(db: PeerBee): Promise<string[]> {
  return (await collect(db.list())).map((e) => e.key)
}

test('an encrypted db: no storage holds a value in clear, and a peer given the key reads it', async (t) => {
  const [dirA, dirB, dirPlain] = [await tempDir(t), await tempDir(t), await tempDir(t)]
  const value = secret()
  const a = await createDb(t, { encrypt: true }, dirA)
  assert.equal(a.encryptionKey?.byteLength, 32)
  await a.put('k', { value })
  await a.batch().put('k2', value).put('k3', 'other').flush()
  const b = await createDb(t, { key: a.id, encryptionKey: b4a.toString(a.encryptionKey!, 'hex') }, dirB)
  connect(a, b)
  await b.update()
  assert.deepEqual((await b.get('k'))?.value, { value })
  assert.deepEqual(await keysOf(b), ['k', 'k2', 'k3'])
  assert.equal(hex(b.encryptionKey), hex(a.encryptionKey))

  // The same writes to a db without encryption: the search below does find values in clear.
  const plain = await createDb(t, {}, dirPlain)
  assert.equal(plain.encryptionKey, null)
  await plain.put('k', { value })
  for (const db of [a, b, plain]) await db.close()
  assert.ok((await filesHolding(dirPlain, value)).length > 0)
  assert.deepEqual(await filesHolding(dirA, value), [], 'the writer: log and index encrypted')
  assert.deepEqual(await filesHolding(dirB, value), [], 'a reader with the key: same')
  assert.deepEqual(await filesHolding(dirA, 'other'), [])
})

test('a peer with the db key only replicates and serves every log, and refuses data calls', async (t) => {
  const a = await createDb(t, { encrypt: true })
  const w = await createDb(t, { key: a.key, encryptionKey: a.encryptionKey! })
  const dir = await tempDir(t)
  const blind = await createDb(t, { key: a.key }, dir)
  const cuts = [connect(a, w), connect(a, blind), connect(w, blind)]
  await a.addWriter(w.writerKey)
  await waitFor(async () => {
    await w.update()
    return w.writable
  })
  const value = secret()
  await a.put('from-a', value)
  await w.put('from-w', value)
  await a.update()
  await w.update()
  await blind.update()
  await waitFor(() => blind.status().writers.length === 2)
  await blind.update()
  for (const writer of blind.status().writers) assert.equal(writer.downloaded, writer.length)
  assert.equal(blind.encryptionKey, null)

  await rejectsWithCode(() => blind.get('from-a'), 'ENCRYPTION_KEY_REQUIRED')
  await rejectsWithCode(() => collect(blind.list()), 'ENCRYPTION_KEY_REQUIRED')
  await rejectsWithCode(() => blind.history('from-a'), 'ENCRYPTION_KEY_REQUIRED')
  await rejectsWithCode(() => blind.snapshot().get('from-a'), 'ENCRYPTION_KEY_REQUIRED')
  await rejectsWithCode(() => collect(blind.changes()), 'ENCRYPTION_KEY_REQUIRED')
  await rejectsWithCode(() => collect(blind.watch()), 'ENCRYPTION_KEY_REQUIRED')
  await rejectsWithCode(() => blind.put('x', 1), 'ENCRYPTION_KEY_REQUIRED')
  await rejectsWithCode(() => blind.sub('s').get('x'), 'ENCRYPTION_KEY_REQUIRED')

  // Both writers go away: a new reader gets every key from the peer that cannot read them.
  for (const cut of cuts) cut()
  await a.close()
  await w.close()
  const reader = await createDb(t, { key: blind.key, encryptionKey: a.encryptionKey! })
  connect(blind, reader)
  await waitFor(async () => {
    await reader.update()
    return (await keysOf(reader)).length === 2
  })
  assert.deepEqual((await reader.get('from-w'))?.value, value)
  await blind.close()
  assert.deepEqual(await filesHolding(dir, value), [])
})

test('the storage keeps the key: a reopen needs nothing, and a peer first opened without it reads once given it', async (t) => {
  const dirA = await tempDir(t)
  const a = await createDb(t, { encrypt: true }, dirA)
  const key = a.encryptionKey!
  await a.put('k', 'v')
  const dirB = await tempDir(t)
  const b = await createDb(t, { key: a.key }, dirB)
  const cut = connect(a, b)
  await b.update()
  await rejectsWithCode(() => b.get('k'), 'ENCRYPTION_KEY_REQUIRED')
  cut()
  await a.close()
  await b.close()

  const again = await createDb(t, {}, dirA)
  assert.equal(hex(again.encryptionKey), hex(key))
  assert.equal((await again.get('k'))?.value, 'v')
  await again.put('k2', 'v2')
  // Given the key now, the peer that followed without it rebuilds its index and reads it all.
  const given = await createDb(t, { encryptionKey: key }, dirB)
  connect(again, given)
  await given.update()
  assert.deepEqual(await keysOf(given), ['k', 'k2'])
})

test('options: encrypt creates a db, a key is 32 bytes, a db without encryption has none', async (t) => {
  const a = await createDb(t, {})
  assert.equal(a.encryptionKey, null)
  for (const opts of [{ encrypt: true }, { encryptionKey: 'not a key' }, { encryptionKey: b4a.alloc(16) }]) {
    const dir = await tempDir(t)
    await rejectsWithCode(() => openAndClose(dir, { key: a.key, ...opts }), 'INVALID_ARGUMENT')
  }
})

test('removeWriter: what is written after it is under a key the removed writer never gets; the past stays readable to it', async (t) => {
  const a = await createDb(t, { encrypt: true })
  const k0 = a.encryptionKey!
  const b = await createDb(t, { key: a.key, encryptionKey: k0 })
  const dirC = await tempDir(t)
  const c = await createDb(t, { key: a.key, encryptionKey: k0 }, dirC)
  connect(a, b)
  connect(a, c)
  connect(b, c)
  const sync = () => Promise.all([a, b, c].map((db) => db.update()))
  await a.addWriter(b.writerKey)
  await a.addWriter(c.writerKey)
  await waitFor(async () => {
    await sync()
    return b.writable && c.writable
  })
  await a.put('before', 'old')
  await c.put('by-c', 'old')
  await sync()

  await a.removeWriter(c.writerKey)
  assert.notEqual(hex(a.encryptionKey), hex(k0), 'the admin writes under a new key')
  const [fromA, fromB] = [secret(), secret()]
  await a.put('after', fromA)
  await waitFor(async () => {
    await sync()
    return hex(b.encryptionKey) === hex(a.encryptionKey)
  })
  await b.put('after-b', fromB)
  await sync()
  assert.deepEqual(await keysOf(b), ['after', 'after-b', 'before', 'by-c'])

  // The removed writer still replicates every block, reads what came before, and nothing after.
  await waitFor(async () => {
    await c.update()
    const logs = c.status().writers.filter((w) => !b4a.equals(w.key, c.writerKey))
    return logs.length === 2 && logs.every((w) => w.downloaded === w.length && w.length > 1)
  })
  assert.equal(hex(c.encryptionKey), hex(k0))
  assert.deepEqual(await keysOf(c), ['before', 'by-c'])
  assert.equal(await c.get('after'), null)
  assert.equal(await c.get('after-b'), null)
  assert.equal((await c.get('before'))?.value, 'old')
  await c.close()
  assert.deepEqual(await filesHolding(dirC, fromA), [])
  assert.deepEqual(await filesHolding(dirC, fromB), [])

  // A reader given the new key reads everything, older entries included.
  const reader = await createDb(t, { key: a.key, encryptionKey: a.encryptionKey! })
  connect(a, reader)
  await reader.update()
  assert.deepEqual(await keysOf(reader), ['after', 'after-b', 'before', 'by-c'])
})

test('a member whose log the admin had not seen when it rotated gets the new key once it has', async (t) => {
  const a = await createDb(t, { encrypt: true })
  const k0 = a.encryptionKey!
  const b = await createDb(t, { key: a.key, encryptionKey: k0 })
  const c = await createDb(t, { key: a.key, encryptionKey: k0 })
  // b is added by key only; a has never seen its log when it removes c.
  await a.addWriter(b.writerKey)
  await a.addWriter(c.writerKey)
  await a.removeWriter(c.writerKey)
  connect(a, b)
  await waitFor(async () => {
    await b.update()
    return b.writable && hex(b.encryptionKey) === hex(a.encryptionKey)
  })
  assert.notEqual(hex(b.encryptionKey), hex(k0))
  await b.put('b', 1)
  await a.update()
  assert.equal((await a.get('b'))?.value, 1)
})
