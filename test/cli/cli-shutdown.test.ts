import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import createTestnet from '@hyperswarm/testnet'
import { Sandbox, assertUserError, type Running } from './cli-helpers.js'

/** The first Ctrl-C must end any wait within 1 s; the margin covers a loaded test machine. */
const STOP_WITHIN_MS = 1500

/** A private DHT for one test; the CLI reaches it with --bootstrap. */
async function testnet(t: TestContext): Promise<string[]> {
  const net = await createTestnet(3)
  t.after(() => net.destroy())
  return net.bootstrap.flatMap((node) => ['--bootstrap', `${node.host}:${node.port}`])
}

/** Sends `signal`; the process must exit with `code` within {@link STOP_WITHIN_MS}. */
async function assertStopsAtOnce(r: Running, signal: NodeJS.Signals, code: number): Promise<void> {
  const start = Date.now()
  assert.equal(await r.stop(signal), code)
  const ms = Date.now() - start
  assert.ok(ms < STOP_WITHIN_MS, `took ${ms} ms to stop`)
}

/** The storage closed cleanly: another process opens it and finds the data. */
async function reopens(box: Sandbox, storage: string): Promise<void> {
  assert.deepEqual(await box.ok(['--storage', storage, 'get', 'k']), ['1'])
}

test('Ctrl-C while sync waits for a peer ends it at once and closes the storage', async (t) => {
  const bootstrap = await testnet(t)
  const box = await Sandbox.create(t)
  await box.ok(['--storage', 'a', 'init'])
  await box.ok(['--storage', 'a', 'put', 'k', '1'])
  const sync = box.start(['--storage', 'a', ...bootstrap, 'sync'])
  await sync.line((l) => l.startsWith('peers 0'))
  await assertStopsAtOnce(sync, 'SIGINT', 130)
  await reopens(box, 'a')
})

test('SIGTERM stops serve at once when its DHT is gone', async (t) => {
  const box = await Sandbox.create(t)
  const dht = box.start(['dht', '--port', '0'])
  const address = await dht.line((l) => /^127\.0\.0\.1:\d+$/.test(l))
  await box.ok(['--storage', 'a', 'init'])
  await box.ok(['--storage', 'a', 'put', 'k', '1'])
  const serve = box.start(['--storage', 'a', '--bootstrap', address, 'serve'])
  await serve.line((l) => l.startsWith('serving '))
  assert.equal(await dht.stop('SIGINT'), 0)
  await assertStopsAtOnce(serve, 'SIGTERM', 0)
  await reopens(box, 'a')
})

test('Ctrl-C while put reads stdin ends it at once and writes nothing', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['--storage', 'a', 'init'])
  await box.ok(['--storage', 'a', 'put', 'k', '1'])
  const put = box.start(['--storage', 'a', 'put', 'other', '-'])
  // More than a pipe holds: the write completes once put is reading stdin, so it is running its
  // command. stdin stays open: put waits for the rest of the value.
  await new Promise((resolve) => put.child.stdin!.write(`{"half": "${'x'.repeat(1024 * 1024)}`, resolve))
  await assertStopsAtOnce(put, 'SIGINT', 130)
  assert.equal((await box.run(['--storage', 'a', 'get', 'other'])).code, 2)
  await reopens(box, 'a')
})

test('sync says when no bootstrap node answers, and which, without waiting for its timeout', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  const start = Date.now()
  const r = await box.run(['--bootstrap', '127.0.0.1:1', '--bootstrap', '127.0.0.1:2', 'sync', '--timeout', '120'])
  assertUserError(r, /^peerbee: No DHT bootstrap node answered \(127\.0\.0\.1:1, 127\.0\.0\.1:2\)/)
  // It answers after the few seconds a ping may take, far from the timeout (a loaded machine slows it).
  assert.ok(Date.now() - start < 60_000, `sync took ${Date.now() - start} ms to give up`)
})

test('sync with a DHT that answers but no peer says that no peer serves the database', async (t) => {
  const bootstrap = await testnet(t)
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  const r = await box.run([...bootstrap, 'sync', '--timeout', '5'])
  assertUserError(
    r,
    /^peerbee: No peer found within 5 s: a DHT bootstrap node answered, but no peer serves this database/
  )
})

test('serve says when no bootstrap node answers, and keeps serving until interrupted', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  const serve = box.start(['--json', '--bootstrap', '127.0.0.1:1', 'serve'])
  const event = JSON.parse(await serve.line((l) => l.includes('"no-bootstrap"')))
  assert.deepEqual(event, { event: 'no-bootstrap', bootstrap: ['127.0.0.1:1'] })
  await assertStopsAtOnce(serve, 'SIGINT', 0)
})

test('dht on a port in use is one line and exit 1', async (t) => {
  const box = await Sandbox.create(t)
  const first = box.start(['dht', '--port', '0'])
  const port = (await first.line((l) => /^127\.0\.0\.1:\d+$/.test(l))).split(':')[1]!
  assertUserError(
    await box.run(['dht', '--port', port]),
    new RegExp(`^peerbee: UDP port ${port} of 127\\.0\\.0\\.1 is in use`)
  )
  assert.equal(await first.stop('SIGINT'), 0)
})
