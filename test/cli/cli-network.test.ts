import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Sandbox, testnet } from './cli-helpers.js'

test('serve in one dir, sync in another: the follower gets every key', async (t) => {
  const bootstrap = await testnet(t)
  const box = await Sandbox.create(t)
  const [key] = await box.ok(['--storage', 'a', 'init'])
  await box.ok(['--storage', 'a', 'put', 'greeting', 'hello'])
  await box.ok(['--storage', 'a', 'put', 'config', '{"theme":"dark"}'])
  await box.ok(['--storage', 'b', 'open', key!])

  const serve = box.start(['--json', '--storage', 'a', ...bootstrap, 'serve'])
  const joined = JSON.parse(await serve.line((l) => l.includes('"joined"')))
  assert.equal(joined.key, key)
  assert.equal(joined.role, 'admin')

  const synced = (await box.ok(['--json', '--storage', 'b', ...bootstrap, 'sync'])).map((l) => JSON.parse(l))
  const last = synced.at(-1)
  assert.equal(last.event, 'synced')
  assert.ok(last.peers >= 1)
  assert.deepEqual(await box.ok(['--storage', 'b', 'list']), ['config\t{"theme":"dark"}', 'greeting\thello'])

  // serve reports the peer it served, then shuts down cleanly on Ctrl-C.
  await serve.line((l) => /"event":"peers","peers":[1-9]/.test(l))
  assert.equal(await serve.stop('SIGINT'), 0)
})

test('sync without any peer gives up with one line', async (t) => {
  const bootstrap = await testnet(t)
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  const r = await box.run([...bootstrap, 'sync', '--timeout', '1'])
  assert.equal(r.code, 1)
  assert.match(r.stderr.trim(), /^peerbee: No peer found within 1 s/)
})

test('invite and join pair a new writer; watch prints its writes as they arrive', async (t) => {
  const bootstrap = await testnet(t)
  const box = await Sandbox.create(t)
  const [key] = await box.ok(['--storage', 'a', 'init'])

  const invite = box.start(['--storage', 'a', ...bootstrap, 'invite'])
  const code = await invite.line(() => true)
  const [joined] = (await box.ok(['--json', '--storage', 'b', ...bootstrap, 'join', code])).map((l) => JSON.parse(l))
  assert.equal(joined.key, key)
  assert.equal(joined.role, 'writer')
  await invite.line((l) => l === `added ${joined.writerKey} as writer`)

  // A used invite is refused by its issuer, still online.
  const again = await box.run(['--storage', 'c', ...bootstrap, 'join', code])
  assert.equal(again.code, 1)
  assert.match(again.stderr, /INVITE_USED/)
  assert.equal(await invite.stop('SIGINT'), 0)

  await box.ok(['--storage', 'b', 'put', 'note/1', '{"text":"from b"}'])
  const watch = box.start(['--json', '--storage', 'a', ...bootstrap, 'watch', '--prefix', 'note/'])
  const serve = box.start(['--storage', 'b', ...bootstrap, 'serve'])
  const change = JSON.parse(await watch.line((l) => l.includes('note/1')))
  assert.deepEqual(change, { key: 'note/1', value: { text: 'from b' }, deleted: false })
  assert.equal(await watch.stop('SIGINT'), 0)
  assert.equal(await serve.stop('SIGTERM'), 0)
})

test('dht runs a bootstrap node that serve and sync can use', async (t) => {
  const box = await Sandbox.create(t)
  const dht = box.start(['dht', '--port', '0'])
  const address = await dht.line((l) => /^127\.0\.0\.1:\d+$/.test(l))
  const [key] = await box.ok(['--storage', 'a', 'init'])
  await box.ok(['--storage', 'a', 'put', 'k', '1'])
  await box.ok(['--storage', 'b', 'open', key!])
  const serve = box.start(['--storage', 'a', '--bootstrap', address, 'serve'])
  await serve.line((l) => l.startsWith('serving '))
  assert.match((await box.ok(['--storage', 'b', '--bootstrap', address, 'sync'])).at(-1)!, /^synced/)
  assert.deepEqual(await box.ok(['--storage', 'b', 'get', 'k']), ['1'])
  assert.equal(await serve.stop('SIGINT'), 0)
  assert.equal(await dht.stop('SIGINT'), 0)
})
