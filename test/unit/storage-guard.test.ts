import assert from 'node:assert/strict'
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { PeerBee, inspectStorage } from '../../lib/index.js'
import { snapshotFiles, tempDir, userFolder } from '../helpers.js'

const NOT_EMPTY = { name: 'PeerBeeError', code: 'STORAGE_NOT_EMPTY' }

async function openClose(dir: string): Promise<string> {
  const db = new PeerBee(dir)
  await db.ready()
  const id = db.id
  await db.close()
  return id
}

test('a folder of the user files is refused with STORAGE_NOT_EMPTY and keeps every byte', async (t) => {
  const dir = path.join(await tempDir(t), 'user')
  await userFolder(dir)
  const before = await snapshotFiles(dir)
  assert.equal(inspectStorage(dir), 'foreign')
  assert.throws(() => new PeerBee(dir), NOT_EMPTY)
  assert.throws(() => new PeerBee(dir, { key: 'a'.repeat(64) }), NOT_EMPTY)
  // Before any network: the invite is not even read.
  await assert.rejects(PeerBee.pair(dir, 'not-an-invite', { bootstrap: ['127.0.0.1:1'] }), NOT_EMPTY)
  assert.deepEqual(await snapshotFiles(dir), before)
})

test('a new folder becomes a store with the marker; it reopens as the same db', async (t) => {
  const dir = path.join(await tempDir(t), 'new', 'nested')
  assert.equal(inspectStorage(dir), 'new')
  const id = await openClose(dir)
  assert.equal(inspectStorage(dir), 'peerbee')
  assert.match(await readFile(path.join(dir, 'PEERBEE'), 'utf-8'), /^peerbee storage 1\n/)
  assert.equal(await openClose(dir), id)
})

test('a store made before the marker existed opens as before and gets the marker', async (t) => {
  const dir = await tempDir(t)
  const id = await openClose(dir)
  await rm(path.join(dir, 'PEERBEE'))
  assert.deepEqual((await readdir(dir)).sort(), ['CORESTORE', 'db'])
  assert.equal(inspectStorage(dir), 'peerbee')
  assert.equal(await openClose(dir), id)
  assert.deepEqual((await readdir(dir)).sort(), ['CORESTORE', 'PEERBEE', 'db'])
})

test('files the user put beside an opened store stay where they are', async (t) => {
  const dir = await tempDir(t)
  const id = await openClose(dir)
  await userFolder(dir)
  const mine = [...(await snapshotFiles(dir))].filter(([file]) => file === 'notes.txt' || file.startsWith('sub'))
  assert.equal(await openClose(dir), id)
  const after = await snapshotFiles(dir)
  for (const [file, bytes] of mine) assert.equal(after.get(file), bytes, file)
})

test('a first open cut short (marker only) opens as a new store; user files beside it are refused', async (t) => {
  const dir = await tempDir(t)
  await writeFile(path.join(dir, 'PEERBEE'), 'peerbee storage 1\n')
  assert.equal(inspectStorage(dir), 'peerbee')
  await openClose(dir)
  // Corestore's layout step did not carry the marker into db/.
  assert.deepEqual((await readdir(dir)).sort(), ['CORESTORE', 'PEERBEE', 'db'])
  assert.deepEqual(
    (await readdir(path.join(dir, 'db'))).filter((f) => f === 'PEERBEE'),
    []
  )

  const cut = path.join(await tempDir(t), 'cut')
  await mkdir(cut)
  await writeFile(path.join(cut, 'PEERBEE'), 'peerbee storage 1\n')
  await writeFile(path.join(cut, 'notes.txt'), 'mine')
  assert.equal(inspectStorage(cut), 'foreign')
  assert.throws(() => new PeerBee(cut), NOT_EMPTY)
  assert.equal(await readFile(path.join(cut, 'notes.txt'), 'utf-8'), 'mine')
})

test('a file named like the marker, a lone db/ folder, or a file as storage are not stores', async (t) => {
  const root = await tempDir(t)
  const named = path.join(root, 'named')
  await mkdir(named)
  await writeFile(path.join(named, 'PEERBEE'), 'a file of mine\n')
  const lone = path.join(root, 'lone')
  await mkdir(path.join(lone, 'db'), { recursive: true })
  const file = path.join(root, 'file.txt')
  await writeFile(file, 'text')
  for (const dir of [named, lone, file]) {
    assert.equal(inspectStorage(dir), 'foreign', dir)
    assert.throws(() => new PeerBee(dir), NOT_EMPTY)
  }
  assert.equal(await readFile(path.join(named, 'PEERBEE'), 'utf-8'), 'a file of mine\n')
  assert.deepEqual(await readdir(path.join(lone, 'db')), [])
})
