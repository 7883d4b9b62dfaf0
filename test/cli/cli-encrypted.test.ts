import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Sandbox, assertUserError, testnet } from './cli-helpers.js'

test('init --encrypt: a reader without the key syncs and is refused; given it, it reads; seed keeps the logs blind', async (t) => {
  const bootstrap = await testnet(t)
  const box = await Sandbox.create(t)
  const [key, encryptionKey] = await box.ok(['--storage', 'a', 'init', '--encrypt'])
  assert.match(encryptionKey!, /^[a-z0-9]{52}$/)
  assert.deepEqual(await box.ok(['--storage', 'a', 'encryption-key']), [encryptionKey])
  await box.ok(['--storage', 'a', 'put', 'greeting', 'hello'])
  const status = JSON.parse((await box.ok(['--json', '--storage', 'a', 'status']))[0]!)
  assert.equal(status.encryption, 'key')

  const serve = box.start(['--storage', 'a', ...bootstrap, 'serve'])
  await serve.line((l) => l.startsWith('serving '))
  await box.ok(['--storage', 'b', 'open', key!])
  await box.ok(['--storage', 'b', ...bootstrap, 'sync'])
  assertUserError(await box.run(['--storage', 'b', 'get', 'greeting']), /^peerbee: ENCRYPTION_KEY_REQUIRED: /)
  assert.match((await box.ok(['--storage', 'b', 'status'])).join('\n'), /encryption +on, without the key here/)
  assertUserError(await box.run(['--storage', 'b', 'encryption-key']), /not encrypted, or this peer was given no key/)
  // The same storage, given the key: it reads what it had replicated.
  await box.ok(['--storage', 'b', 'open', key!, '--encryption-key', encryptionKey!])
  assert.deepEqual(await box.ok(['--storage', 'b', 'get', 'greeting']), ['hello'])

  // A seeder, plain lines when piped: it reports the db's log as it gets it.
  const seed = box.start(['--storage', 's', ...bootstrap, 'seed', key!, '--max-bytes', '1000000'])
  await seed.line((l) => l.startsWith(`db ${key!.slice(0, 8)}: 1 writer, 2/2 blocks`), 30_000)
  assert.equal(await seed.stop('SIGINT'), 0)
  assert.equal(await serve.stop('SIGINT'), 0)
  assertUserError(await box.run(['--storage', 'empty', 'seed']), /^peerbee: No database to seed/)
  assertUserError(await box.run(['--storage', 'a', 'seed', key!]), /DB_EXISTS/)
})

test('invite and join on an encrypted db: the new writer gets the key with the invite', async (t) => {
  const bootstrap = await testnet(t)
  const box = await Sandbox.create(t)
  const [key, encryptionKey] = await box.ok(['--storage', 'a', 'init', '--encrypt'])
  const invite = box.start(['--storage', 'a', ...bootstrap, 'invite'])
  const code = await invite.line(() => true)
  const [joined] = (await box.ok(['--json', '--storage', 'b', ...bootstrap, 'join', code])).map((l) => JSON.parse(l))
  assert.equal(joined.key, key)
  assert.equal(joined.encryptionKey, encryptionKey)
  await box.ok(['--storage', 'b', 'put', 'from-b', '1'])
  assert.deepEqual(await box.ok(['--storage', 'b', 'get', 'from-b']), ['1'])
  assert.equal(await invite.stop('SIGINT'), 0)
})
