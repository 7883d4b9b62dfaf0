import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dump, rejectsWithCode } from '../helpers.js'
import { localTestnet, until, within } from './net-helpers.js'
import { CALL_MS, Peer, cleanups, converge, openDb, puts, type Op, type WriterStatus } from './peer-process.js'

test(
  'processes: a new peer gets every write from a writer and a reader after the root is SIGKILLed',
  { timeout: 60_000 },
  async (t) => {
    const defer = cleanups(t)
    const net = await localTestnet()
    defer(() => net.destroy())

    const a = await Peer.start(defer, 'A', net.bootstrap)
    const [b, c] = await Promise.all([
      Peer.start(defer, 'B', net.bootstrap, a.key),
      Peer.start(defer, 'C', net.bootstrap, a.key)
    ])
    await a.call('addWriter', { writerKey: b.writerKey })
    await b.call('waitWritable')

    const opsA: Op[] = [...puts('a/', 40, 'A'), { key: 'a/000', del: true }, { key: 'a/001', value: 'again' }]
    const opsB: Op[] = [...puts('b/', 40, 'B'), { key: 'b/039', del: true }]
    await Promise.all([a.call('write', { ops: opsA }), b.call('write', { ops: opsB })])

    // Nothing of A may live only on A when it dies: B and C (the reader) hold all of it.
    await within(CALL_MS, converge([a, b, c], [a, b]), 'A, B and C to index A and B')
    const before = await a.call<unknown[]>('dump')
    assert.deepEqual(await b.call('dump'), before)
    assert.deepEqual(await c.call('dump'), before)
    await assert.rejects(c.call('write', { ops: [{ key: 'c/0', value: 1 }] }), { code: 'NOT_WRITABLE' })

    await a.kill()
    assert.equal(a.child.signalCode, 'SIGKILL')

    const d = await Peer.start(defer, 'D', net.bootstrap, a.key)
    // D knows only the db key; it finds B and C on the swarm.
    await d.call('waitPeers', { peers: 2 })
    await d.call('update')
    const got = await d.call<Array<{ key: string; value: unknown }>>('dump')

    const expected = new Map<string, unknown>()
    for (const op of [...opsA, ...opsB]) {
      if (op.del) expected.delete(op.key)
      else expected.set(op.key, op.value)
    }
    assert.deepEqual(
      got.map((e) => [e.key, e.value]),
      [...expected].sort(([x], [y]) => (x < y ? -1 : 1))
    )
    assert.deepEqual(got, before, 'D sees the same versions (writers, seqs, conflicts) as A had')
    // Every writer log in full, indexed as far as B had it.
    const lengths = (ws: WriterStatus[]) => ws.map((w) => [w.key, w.length, w.indexed]).sort()
    assert.deepEqual(lengths(await d.writers()), lengths(await b.writers()))
  }
)

test(
  'processes: writers partitioned by leave() during concurrent writes converge after join()',
  { timeout: 60_000 },
  async (t) => {
    const defer = cleanups(t)
    const net = await localTestnet()
    defer(() => net.destroy())

    const a = await Peer.start(defer, 'A', net.bootstrap)
    const [b, c] = await Promise.all([
      Peer.start(defer, 'B', net.bootstrap, a.key),
      Peer.start(defer, 'C', net.bootstrap, a.key)
    ])
    await a.call('addWriter', { writerKey: b.writerKey })
    await a.call('addWriter', { writerKey: c.writerKey })
    await Promise.all([b.call('waitWritable'), c.call('waitWritable')])
    const all = [a, b, c]
    // Everyone writes the shared keys s/* and keys of its own.
    const round = (tag: string, n: number) => (p: Peer) =>
      p.call('write', { ops: [...puts('s/', n, `${p.name}-${tag}`), ...puts(`${p.name}/${tag}/`, n, tag)] })

    // Partition: B and C leave while all three are writing.
    await Promise.all([...all.map(round('1', 15)), b.call('leave'), c.call('leave')])
    await Promise.all([b.call('waitPeers', { peers: 0 }), c.call('waitPeers', { peers: 0 })])
    // Three islands: these versions of s/* cannot cite each other, so they conflict.
    await Promise.all(
      all.map((p) =>
        p.call('write', {
          ops: [...puts('s/', 10, `${p.name}-2`), { key: 's/003', del: true }, { key: `${p.name}/only`, value: p.name }]
        })
      )
    )
    // Heal while all three keep writing.
    await Promise.all([...all.map(round('3', 10)), b.call('join'), c.call('join')])

    await within(CALL_MS, converge(all, all), 'all peers to index every writer')
    const [da, db, dc] = await Promise.all(all.map((p) => p.call<Array<{ key: string; conflicts: unknown[] }>>('dump')))
    assert.deepEqual(db, da)
    assert.deepEqual(dc, da)
    assert.ok(
      da!.some((e) => e.conflicts.length > 0),
      'the partition produced conflicts'
    )
    for (const p of all) assert.ok(da!.some((e) => e.key === `${p.name}/only`))
  }
)

test(
  'update() resolves once what a swarm peer had is indexed, and rejects with CLOSED on close',
  { timeout: 60_000 },
  async (t) => {
    const defer = cleanups(t)
    const net = await localTestnet()
    defer(() => net.destroy())
    const writer = await openDb(defer, { bootstrap: net.bootstrap })
    for (let i = 0; i < 4; i++) {
      const batch = writer.batch()
      for (let j = 0; j < 500; j++) batch.put(`k/${String(i * 500 + j).padStart(5, '0')}`, { i, j })
      await batch.flush()
    }
    await writer.join()

    const reader = await openDb(defer, { bootstrap: net.bootstrap, key: writer.key })
    await reader.join()
    await within(
      10_000,
      until(reader, ['peer-add'], () => reader.status().peers > 0),
      'reader to connect'
    )
    await within(20_000, reader.update(), 'reader.update()')
    assert.deepEqual(await dump(reader), await dump(writer))

    // A second reader closes while its update() is still downloading.
    const late = await openDb(defer, { bootstrap: net.bootstrap, key: writer.key })
    await late.join()
    await within(
      10_000,
      until(late, ['peer-add'], () => late.status().peers > 0),
      'late reader to connect'
    )
    let settled = false
    const pending = late.update().finally(() => (settled = true))
    const progress = new Promise<void>((resolve) => {
      late.on('sync', (p: { length: number; indexed: number }) => {
        if (p.length > 0 && p.indexed < p.length) resolve()
      })
    })
    await within(10_000, progress, 'late reader to start downloading')
    assert.equal(settled, false, 'update() is still waiting for the rest')
    const closing = late.close()
    await rejectsWithCode(() => pending, 'CLOSED')
    await closing
    await rejectsWithCode(() => late.update(), 'CLOSED')
  }
)
