import assert from 'node:assert/strict'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { snapshotFiles, userFolder } from '../helpers.js'
import { Sandbox, assertUserError } from './cli-helpers.js'

/** Offline: nothing in these tests may reach a DHT. */
const NO_DHT = ['--bootstrap', '127.0.0.1:1']
const A_KEY = 'a'.repeat(64)

/** Every command that takes a storage folder, as a user might run it there. */
const COMMANDS = [
  ['init'],
  ['open', A_KEY],
  ['put', 'k', 'v'],
  ['get', 'k'],
  ['del', 'k'],
  ['list'],
  ['history', 'k'],
  ['writers'],
  ['status'],
  ['export'],
  ['import'],
  ['invite', '--no-wait'],
  ['join', 'not-an-invite'],
  ['sync', '--timeout', '1'],
  ['serve'],
  ['watch']
]

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false
  )
}

test('every command refuses a folder of the user files with STORAGE_NOT_EMPTY and leaves every byte in place', async (t) => {
  const box = await Sandbox.create(t)
  const folder = path.join(box.dir, 'some-folder')
  await userFolder(folder)
  const before = await snapshotFiles(folder)
  const results = await box.runAll(COMMANDS.map((args) => ['--storage', 'some-folder', ...NO_DHT, ...args]))
  for (const r of results) assertUserError(r, /^peerbee: STORAGE_NOT_EMPTY: /)
  assert.deepEqual(await snapshotFiles(folder), before)
})

test('no command but init, open and join makes a database: a missing folder stays missing, an empty one empty', async (t) => {
  const box = await Sandbox.create(t)
  await mkdir(path.join(box.dir, 'empty'))
  const readers = COMMANDS.filter(([name]) => !['init', 'open', 'join'].includes(name!))
  // Both are new folders to peerbee: every command on a missing one, a few on an empty one.
  const runs = [
    ...readers.map((args) => ['--storage', 'missing', ...NO_DHT, ...args]),
    ...[['status'], ['get', 'k'], ['put', 'k', 'v'], ['serve']].map((args) => [
      '--storage',
      'empty',
      ...NO_DHT,
      ...args
    ])
  ]
  for (const r of await box.runAll(runs)) assertUserError(r, /No database in/)
  assert.equal(await exists(path.join(box.dir, 'missing')), false)
  assert.deepEqual(await readdir(path.join(box.dir, 'empty')), [])
})

test('init refuses a folder that holds a database; status then shows that database', async (t) => {
  const box = await Sandbox.create(t)
  const [key] = await box.ok(['--storage', 'd', 'init'])
  assertUserError(await box.run(['--storage', 'd', 'init']), /already holds a database/)
  const [status] = (await box.ok(['--json', '--storage', 'd', 'status'])).map((l) => JSON.parse(l))
  assert.equal(status.key, key)
})

test('a store made before the marker opens as before, and files put beside a store stay untouched', async (t) => {
  const box = await Sandbox.create(t)
  const [key] = await box.ok(['--storage', 'd', 'init'])
  await box.ok(['--storage', 'd', 'put', 'k', '1'])
  await rm(path.join(box.dir, 'd', 'PEERBEE'))
  assert.deepEqual(await box.ok(['--storage', 'd', 'get', 'k']), ['1'])
  assert.equal(await exists(path.join(box.dir, 'd', 'PEERBEE')), true)

  await userFolder(path.join(box.dir, 'd'))
  const mine = [...(await snapshotFiles(path.join(box.dir, 'd')))].filter(
    ([f]) => f === 'notes.txt' || f.startsWith('sub')
  )
  const [status] = (await box.ok(['--json', '--storage', 'd', 'status'])).map((l) => JSON.parse(l))
  assert.equal(status.key, key)
  const after = await snapshotFiles(path.join(box.dir, 'd'))
  for (const [file, bytes] of mine) assert.equal(after.get(file), bytes, file)
})
