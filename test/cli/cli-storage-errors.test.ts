import assert from 'node:assert/strict'
import { cp, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { Sandbox, type Result } from './cli-helpers.js'

/** A user error: exit 1, exactly one line on stderr, no stack trace. */
function assertOneLine(r: Result, pattern: RegExp): void {
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}; stderr: ${r.stderr}`)
  const lines = r.stderr.split('\n').filter((l) => l !== '')
  assert.equal(lines.length, 1, `expected one stderr line, got: ${r.stderr}`)
  assert.match(lines[0]!, pattern)
  assert.equal(r.stdout, '', 'nothing partial served')
}

test('reindex rebuilds the index from the logs and the data reads the same', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  await box.ok(['put', 'a', '1'])
  await box.ok(['put', 'b', '{"x":2}'])
  const before = await box.ok(['list'])
  const [line] = await box.ok(['reindex'])
  assert.match(line!, /^reindexed: 3 blocks/)
  const events = (await box.ok(['--json', 'reindex'])).map((l) => JSON.parse(l))
  assert.equal(events.at(-1).event, 'reindexed')
  assert.ok(events.some((e) => e.event === 'reindex' && e.done === true))
  assert.deepEqual(await box.ok(['list']), before)
})

test('compact rewrites the index, the data reads the same and changes go on from a checkpoint', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  for (const v of ['1', '2', '3']) await box.ok(['put', 'a', v])
  await box.ok(['put', 'b', '{"x":2}'])
  const before = await box.ok(['list'])
  const [first] = (await box.ok(['--json', 'changes'])).map((l) => JSON.parse(l))
  const events = (await box.ok(['--json', 'compact'])).map((l) => JSON.parse(l))
  const done = events.at(-1)
  assert.equal(done.event, 'compacted')
  // Each put was an index step of its own: the copy holds the same entries in fewer bytes.
  assert.ok(done.bytesAfter < done.bytesBefore, JSON.stringify(done))
  const [line] = await box.ok(['compact'])
  assert.match(line!, new RegExp(`^compacted: \\d+ entries, index ${done.bytesAfter} -> \\d+ bytes$`))
  assert.ok(events.some((e) => e.event === 'compact' && e.done === true && e.copied === done.entries))
  assert.deepEqual(await box.ok(['list']), before)
  const since = (await box.ok(['--json', 'changes', '--since', first.checkpoint])).map((l) => JSON.parse(l))
  assert.ok(since.length > 0, 'a checkpoint of the index before the compaction is still good')
})

test('a storage in use by another process: one line naming the dir and what to do', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  let holder = box.start(['watch'])
  // watch holds the storage once it has opened it; until then status still gets through, and
  // a status that held it just then makes watch give up: it is started again.
  let r: Result
  for (;;) {
    r = await box.run(['status'])
    if (r.code !== 0) break
    if (holder.child.exitCode !== null) holder = box.start(['watch'])
  }
  assertOneLine(r, /\.peerbee is in use by another process .*peerbee serve.*--storage/)
  await holder.stop()
})

test('a copied storage: one line saying it was copied and how to go on', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  await cp(path.join(box.dir, '.peerbee'), path.join(box.dir, 'copy'), { recursive: true })
  assertOneLine(await box.run(['--storage', 'copy', 'get', 'a']), /copied or restored from a backup.*recover/)
})

test('recover opens a copied storage on a new writer log; the old one shows in writers, the data stays', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  await box.ok(['put', 'a', '1'])
  const [oldKey] = (await box.ok(['--json', 'status'])).map((l) => JSON.parse(l).writerKey as string)
  await cp(path.join(box.dir, '.peerbee'), path.join(box.dir, 'copy'), { recursive: true })
  const copy = ['--storage', 'copy', '--bootstrap', '127.0.0.1:1']
  const [line] = await box.ok([...copy, 'recover', '--timeout', '1'])
  assert.match(line!, /^recovered: writing as \S+, not synced yet$/)
  const [newKey] = (await box.ok([...copy, '--json', 'status'])).map((l) => JSON.parse(l).writerKey as string)
  assert.notEqual(newKey, oldKey)
  assert.deepEqual(await box.ok([...copy, 'get', 'a']), ['1'])
  await box.ok([...copy, 'put', 'b', '2'])
  const writers = await box.ok([...copy, 'writers'])
  assert.ok(
    writers.some((w) => w.startsWith(oldKey!) && w.includes('admin')),
    writers.join('\n')
  )
  assert.ok(
    writers.some((w) => w.startsWith(newKey!) && w.includes('admin') && w.includes('this peer')),
    writers.join('\n')
  )
  const [again] = await box.ok([...copy, 'recover'])
  assert.equal(again, 'nothing to recover: this storage was not copied or moved')
})

test('damaged storage files: one line, exit 1, nothing served', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  await box.ok(['put', 'a', '1'])
  const db = path.join(box.dir, '.peerbee', 'db')
  const manifest = (await readdir(db)).find((f) => f.startsWith('MANIFEST-'))!
  const bytes = await readFile(path.join(db, manifest))
  for (let i = 0; i < bytes.length; i += 3) bytes[i]! ^= 0x5a
  await writeFile(path.join(db, manifest), bytes)
  assertOneLine(await box.run(['get', 'a']), /cannot be read, its files are damaged/)
})
