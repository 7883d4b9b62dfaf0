import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import * as ids from 'hypercore-id-encoding'
import { Sandbox, assertUserError } from './cli-helpers.js'

const Z32_KEY = /^[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$/

test('init prints a z-base32 key; put, get, list and del round-trip values', async (t) => {
  const box = await Sandbox.create(t)
  const [key] = await box.ok(['init'])
  assert.match(key!, Z32_KEY)

  await box.ok(['put', 'n', '42'])
  await box.ok(['put', 'obj', '{"a":[1,2]}'])
  await box.ok(['put', 'word', 'hello'])
  await box.ok(['put', 'quoted', '"7"'])
  assert.deepEqual(await box.ok(['get', 'n']), ['42'])
  assert.deepEqual(await box.ok(['get', 'obj']), ['{"a":[1,2]}'])
  assert.deepEqual(await box.ok(['get', 'word']), ['hello'])
  // A string that looks like JSON prints quoted, so it reads back as the same string.
  assert.deepEqual(await box.ok(['get', 'quoted']), ['"7"'])

  const json = (await box.ok(['--json', 'get', 'obj'])).map((l) => JSON.parse(l))
  assert.equal(json.length, 1)
  assert.deepEqual(json[0].value, { a: [1, 2] })
  assert.equal(json[0].writer, key)
  assert.deepEqual(json[0].conflicts, [])

  assert.deepEqual(await box.ok(['list']), ['n\t42', 'obj\t{"a":[1,2]}', 'quoted\t"7"', 'word\thello'])
  assert.deepEqual(await box.ok(['list', '--reverse', '--limit', '2']), ['word\thello', 'quoted\t"7"'])
  assert.deepEqual(await box.ok(['list', '--gt', 'n', '--lt', 'word']), ['obj\t{"a":[1,2]}', 'quoted\t"7"'])
  const listed = (await box.ok(['--json', 'list', '--prefix', 'o'])).map((l) => JSON.parse(l))
  assert.deepEqual(
    listed.map((e) => [e.key, e.value]),
    [['obj', { a: [1, 2] }]]
  )

  await box.ok(['del', 'n'])
  const gone = await box.run(['get', 'n'])
  assert.equal(gone.code, 2)
  assert.equal(gone.stdout, '')
})

test('history, writers and status describe the db', async (t) => {
  const box = await Sandbox.create(t)
  const [key] = await box.ok(['init'])
  await box.ok(['put', 'k', '1'])
  await box.ok(['put', 'k', '2'])
  await box.ok(['del', 'k'])

  const history = (await box.ok(['--json', 'history', 'k'])).map((l) => JSON.parse(l))
  assert.deepEqual(
    history.map((v) => [v.value, v.deleted]),
    [
      [1, false],
      [2, false],
      [null, true]
    ]
  )
  assert.ok(history.every((v) => v.writer === key))
  const plain = await box.ok(['history', 'k'])
  assert.equal(plain.length, 3)
  assert.match(plain[2]!, /del$/)

  const writers = (await box.ok(['--json', 'writers'])).map((l) => JSON.parse(l))
  assert.equal(writers.length, 1)
  assert.equal(writers[0].key, key)
  assert.equal(writers[0].role, 'admin')
  assert.equal(writers[0].indexed, writers[0].length)

  const [status] = (await box.ok(['--json', 'status'])).map((l) => JSON.parse(l))
  assert.equal(status.key, key)
  assert.equal(status.role, 'admin')
  assert.equal(status.writable, true)
  assert.equal(status.peers, 0)
  assert.equal(status.invalid, 0)
  assert.match((await box.ok(['status'])).join('\n'), /role\s+admin/)
})

test('writers add makes a follower writable; writers remove takes it back', async (t) => {
  const box = await Sandbox.create(t)
  const [key] = await box.ok(['--storage', 'a', 'init'])
  const [follower] = (await box.ok(['--json', '--storage', 'b', 'open', key!])).map((l) => JSON.parse(l))
  assert.equal(follower.key, key)
  assert.equal(follower.role, null)
  assertUserError(await box.run(['--storage', 'b', 'put', 'x', '1']), /NOT_WRITABLE/)

  // Keys print in z-base32; hex is accepted too.
  await box.ok(['--storage', 'a', 'writers', 'add', Buffer.from(ids.decode(follower.writerKey)).toString('hex')])
  const roles = (await box.ok(['--json', '--storage', 'a', 'writers'])).map((l) => JSON.parse(l))
  assert.deepEqual(roles.map((w) => w.role).sort(), ['admin', 'writer'])
  await box.ok(['--storage', 'a', 'writers', 'remove', follower.writerKey])
  const after = (await box.ok(['--json', '--storage', 'a', 'writers'])).map((l) => JSON.parse(l))
  assert.equal(after.find((w) => w.key === follower.writerKey).removed, true)
})

test('export and import move every key as JSON lines, from a file or stdin', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['--storage', 'a', 'init'])
  await box.ok(['--storage', 'a', 'put', 'a', '{"x":1}'])
  await box.ok(['--storage', 'a', 'put', 'b', 'text'])
  const exported = await box.ok(['--storage', 'a', 'export'])
  assert.deepEqual(
    exported.map((l) => JSON.parse(l)),
    [
      { key: 'a', value: { x: 1 } },
      { key: 'b', value: 'text' }
    ]
  )

  await box.ok(['--storage', 'b', 'init'])
  assert.deepEqual(await box.ok(['--storage', 'b', 'import'], exported.join('\n') + '\n'), ['imported 2 keys'])
  assert.deepEqual(await box.ok(['--storage', 'b', 'export']), exported)

  await box.ok(['--storage', 'c', 'init'])
  const file = path.join(box.dir, 'data.jsonl')
  await writeFile(file, '{"key":"z","value":[null]}\n\n')
  assert.deepEqual(await box.ok(['--json', '--storage', 'c', 'import', file]), ['{"imported":1,"batches":1}'])
  assert.deepEqual(await box.ok(['--storage', 'c', 'get', 'z']), ['[null]'])
  assertUserError(await box.run(['--storage', 'c', 'import'], 'not json\n'), /line 1/)
  assertUserError(await box.run(['--storage', 'c', 'import', 'missing.jsonl']), /ENOENT/)
})

test('every command has --help', async (t) => {
  const box = await Sandbox.create(t)
  const commands = ['init', 'open', 'put', 'get', 'del', 'list', 'watch', 'history', 'writers', 'invite', 'join']
  commands.push('serve', 'sync', 'status', 'export', 'import', 'dht', 'demo')
  const top = await box.ok(['--help'])
  const helps = await Promise.all(commands.map((name) => box.ok([name, '--help'])))
  commands.forEach((name, i) => {
    assert.ok(
      top.some((l) => l.trimStart().startsWith(name + ' ')),
      `${name} is listed`
    )
    assert.match(helps[i]![0]!, new RegExp(`^Usage: peerbee ${name}`))
  })
  assert.match((await box.ok(['writers', 'add', '--help']))[0]!, /^Usage: peerbee writers add/)
})

test('user errors exit 1 with one line and no stack trace', async (t) => {
  const box = await Sandbox.create(t)
  assertUserError(await box.run(['get', 'k']), /No database in/)
  assertUserError(await box.run(['frobnicate']), /Unknown command 'frobnicate' \(peerbee --help/)
  assertUserError(await box.run(['--storage', 'x']), /Missing command/)
  assertUserError(await box.run(['--bogus', 'init']), /unknown option/)
  assertUserError(await box.run(['open', 'not-a-key']), /Not a valid database key/)

  const [key] = await box.ok(['init'])
  const [other] = await box.ok(['--storage', 'other', 'init'])
  assertUserError(await box.run(['init']), /already holds a database/)
  assertUserError(await box.run(['open', other!]), /DB_EXISTS/)
  assertUserError(await box.run(['put']), /missing required argument 'key'/)
  assertUserError(await box.run(['put', 'k']), /missing required argument 'value'/)
  assertUserError(await box.run(['get', 'a', 'b']), /too many arguments/)
  assertUserError(await box.run(['put', '', 'v']), /INVALID_KEY/)
  assertUserError(await box.run(['put', 'k'.repeat(1025), 'v']), /KEY_TOO_LARGE/)
  assertUserError(await box.run(['list', '--limit', 'lots']), /--limit/)
  assertUserError(await box.run(['writers', 'add', 'abc']), /Not a valid writer key/)
  assertUserError(await box.run(['writers', 'remove', key!]), /root writer cannot be removed/)
})
