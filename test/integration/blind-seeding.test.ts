import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { Running } from '../cli/cli-helpers.js'
import { dump, filesHolding } from '../helpers.js'
import { localTestnet, until, within } from './net-helpers.js'
import { CALL_MS, Peer, cleanups, converge, openDb, puts, type Op } from './peer-process.js'

/** A seeder's `--json` line about one db. */
interface SeedLine {
  event: string
  key?: string
  writers?: number
  blocks?: number
  length?: number
}

test(
  'processes: two writers write, a blind seeder keeps up, both writers are SIGKILLed, a new reader gets every key from the seeder',
  { timeout: 120_000 },
  async (t) => {
    const defer = cleanups(t)
    const net = await localTestnet()
    defer(() => net.destroy())

    const a = await Peer.start(defer, 'A', net.bootstrap, undefined, ['--encrypt'])
    const b = await Peer.start(defer, 'B', net.bootstrap, a.key, ['--encryption-key', a.encryptionKey!])
    const seedDir = await mkdtemp(path.join(tmpdir(), 'peerbee-seeder-'))
    defer(() => rm(seedDir, { recursive: true, force: true }))
    const bootstrap = net.bootstrap.flatMap((node) => ['--bootstrap', node])
    const seeder = new Running(seedDir, ['--storage', seedDir, '--json', ...bootstrap, 'seed', a.key])
    defer(() => seeder.stop('SIGKILL'))

    await a.call('addWriter', { writerKey: b.writerKey })
    await b.call('waitWritable')
    const secrets = { a: 'secret-' + randomBytes(12).toString('hex'), b: 'secret-' + randomBytes(12).toString('hex') }
    const opsA: Op[] = [...puts('a/', 30, 'A'), { key: 'a/secret', value: secrets.a }, { key: 'a/000', del: true }]
    const opsB: Op[] = [...puts('b/', 30, 'B'), { key: 'b/secret', value: secrets.b }]
    await Promise.all([a.call('write', { ops: opsA }), b.call('write', { ops: opsB })])
    await within(CALL_MS, converge([a, b], [a, b]), 'A and B to index both writers')
    const before = await a.call<unknown[]>('dump')
    const held = (await a.length()) + (await b.length())

    // The seeder (the CLI, `peerbee seed`) reports each change as one JSON line: wait until it
    // holds both logs in full.
    await seeder.line((text) => {
      const s = JSON.parse(text) as SeedLine
      return s.event === 'db' && s.writers === 2 && s.blocks! >= held && s.blocks === s.length
    }, 60_000)

    await Promise.all([a.kill(), b.kill()])
    assert.equal(a.child.signalCode, 'SIGKILL')
    assert.equal(b.child.signalCode, 'SIGKILL')

    // Nothing but the seeder serves the db now.
    const reader = await openDb(defer, { key: a.key, encryptionKey: a.encryptionKey!, bootstrap: net.bootstrap })
    await reader.join()
    await within(
      20_000,
      until(reader, ['peer-add'], () => reader.status().peers > 0),
      'reader to reach the seeder'
    )
    await within(
      60_000,
      (async () => {
        for (;;) {
          await reader.update()
          if ((await dump(reader)).length === before.length) return
          await new Promise((resolve) => reader.once('update', resolve))
        }
      })(),
      'reader to get every key'
    )
    assert.deepEqual(await dump(reader), before)

    assert.equal(await seeder.stop('SIGINT'), 0)
    assert.deepEqual(await filesHolding(seedDir, secrets.a), [])
    assert.deepEqual(await filesHolding(seedDir, secrets.b), [])
  }
)
