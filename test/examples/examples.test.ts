import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { PeerBee } from '../../lib/index.js'
import { ROOT, runTs, scratch } from './example-helpers.js'

const example = (name: string) => path.join(ROOT, 'examples', name)

test('quickstart writes, reads, lists and deletes', async (t) => {
  const out = await runTs(example('quickstart.ts'), [], await scratch(t))
  const lines = out.trim().split('\n')
  assert.match(lines[0]!, /^database key: [a-z0-9]{52}$/)
  assert.deepEqual(lines.slice(1), [
    "{ text: 'hello' }",
    'todo/1 buy milk',
    'todo/2 water plants',
    'put buy milk',
    'deleted'
  ])
})

test('notes keeps notes across runs of the app', async (t) => {
  const dir = await scratch(t)
  const env = { NOTES_DIR: path.join(dir, 'notes') }
  const added = await runTs(example('notes.ts'), ['add', 'call the plumber'], dir, env)
  const id = /^added (\S+)$/.exec(added.trim())![1]!
  await runTs(example('notes.ts'), ['add', 'buy stamps'], dir, env)
  await runTs(example('notes.ts'), ['done', id], dir, env)
  const list = (await runTs(example('notes.ts'), ['list'], dir, env)).trim().split('\n')
  assert.equal(list.length, 2)
  assert.equal(list[0], `[x] ${id}  call the plumber`)
  assert.match(list[1]!, /^\[ \] \S+ {2}buy stamps$/)
})

test('two writers pair, replicate over a local testnet and converge on a conflict', async (t) => {
  const dir = await scratch(t)
  const out = await runTs(example('two-writers.ts'), [], dir)
  assert.deepEqual(await readdir(dir), [], 'it writes under the OS temp dir only')
  assert.match(out, /bob joined as writer/)
  assert.match(out, /bob sees title: shopping list/)
  assert.match(out, /alice sees item\/1: apples/)
  assert.match(out, /same winner on both peers: true/)
  const [alice, bob] = [/alice: (.*)/.exec(out)![1], /bob: {3}(.*)/.exec(out)![1]]
  assert.equal(alice, bob)
})

test('blind seeder keeps an encrypted db for a reader while its writer is offline, and holds no value in clear', async (t) => {
  const dir = await scratch(t)
  const out = await runTs(example('blind-seeder.ts'), [], dir)
  assert.deepEqual(await readdir(dir), [], 'it writes under the OS temp dir only')
  assert.match(out, /the seeder holds 2 blocks/)
  assert.match(out, /bob reads from the seeder alone: meet at the old mill at noon/)
  assert.match(out, /the plan in clear in the seeder files: false/)
})

test('live view redraws on each change in its range and stops at the winner', async (t) => {
  const dir = await scratch(t)
  const out = await runTs(example('live-view.ts'), [], dir)
  assert.deepEqual(await readdir(dir), [], 'it writes under the OS temp dir only')
  assert.match(out, /changed: .*score\//)
  assert.doesNotMatch(out, /seen\//)
  assert.match(out, /lin {4}#### 4\nlin wins\n$/)
})

test('quickstart and notes, run from the clone, write only into folders git ignores', async (t) => {
  const dir = await scratch(t)
  await runTs(example('quickstart.ts'), [], dir)
  // Without NOTES_DIR, notes uses its default folder.
  await runTs(example('notes.ts'), ['add', 'water the plants'], dir)
  const written = await readdir(dir)
  assert.deepEqual(written.sort(), ['my-db', 'notes-db'])
  for (const folder of written) {
    // Exits 0 when the clone's .gitignore covers the path, 1 when it does not.
    await promisify(execFile)('git', ['check-ignore', '--quiet', `${folder}/`], { cwd: ROOT })
  }
})

test('json-mirror keeps a JSON file in step across runs, reading only what changed since its checkpoint', async (t) => {
  const dir = await scratch(t)
  const storage = path.join(dir, 'db')
  const file = path.join(dir, 'mirror.json')
  /** Opens the db while the app is not running, does `fn`, closes it; returns the db's state. */
  const between = async (fn: (db: PeerBee<string, unknown>) => Promise<unknown>) => {
    const db = new PeerBee<string, unknown>(storage)
    try {
      await db.ready()
      await fn(db)
      const state: Record<string, unknown> = {}
      for await (const e of db.list()) state[e.key] = e.value
      return state
    } finally {
      await db.close()
    }
  }
  const mirrored = async () => (JSON.parse(await readFile(file, 'utf-8')) as { data: unknown }).data
  const run = () => runTs(path.join(ROOT, 'examples', 'json-mirror.ts'), [storage, file], dir)

  let state = await between(async (db) => {
    await db.put('todo/1', { text: 'milk' })
    await db.put('todo/2', { text: 'bread' })
  })
  assert.equal(await run(), 'applied 2 changes from the start\n')
  assert.deepEqual(await mirrored(), state)

  state = await between(async (db) => {
    await db.del('todo/1')
    await db.put('todo/3', { text: 'eggs' })
  })
  assert.equal(await run(), 'applied 2 changes since the last run\n')
  assert.deepEqual(await mirrored(), state)

  // A rebuilt index has a new change log: the mirror starts over, and ends equal all the same.
  state = await between(async (db) => {
    await db.reindex()
    await db.put('todo/2', { text: 'rye bread' })
  })
  assert.match(await run(), /^checkpoint expired: mirroring again\napplied \d+ changes from the start\n$/)
  assert.deepEqual(await mirrored(), state)
})
