import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PeerBee } from '../../lib/index.js'
import { connect, createDb, dump } from '../helpers.js'

/**
 * How long update() waits (docs/DESIGN.md: replication): for what its connected peers have,
 * never a fixed time for a log none of them holds.
 */

/** The median time of a few update() calls on `db`. */
async function updateMs(db: PeerBee<string, unknown>, calls = 5): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < calls; i++) {
    const start = performance.now()
    await db.update()
    times.push(performance.now() - start)
  }
  return times.sort((a, b) => a - b)[calls >> 1]!
}

test('update() waits for no log that no connected peer holds', async (t) => {
  const root = await createDb<string, unknown>(t)
  const full = await createDb<string, unknown>(t, { key: root.key })
  // This peer's quota cuts the root's log before the writers are added: it never learns of
  // them, so it never holds their logs.
  const cutShort = await createDb<string, unknown>(t, { key: root.key, maxWriterBytes: 2048 })
  await root.put('big', 'x'.repeat(4096))
  const writers = await Promise.all(Array.from({ length: 8 }, () => createDb<string, unknown>(t, { key: root.key })))
  for (const w of writers) await root.addWriter(w.writerKey)
  assert.equal((await root.writers()).length, 9)

  // Measured first: the same calls with a peer that holds every log.
  const toFull = connect(root, full)
  await full.update()
  assert.equal((await full.writers()).length, 9)
  const held = await updateMs(root)
  toFull()

  connect(root, cutShort)
  await cutShort.update()
  assert.equal(await cutShort.get('big'), null, 'the quota cut the root log before its first put')
  assert.equal((await cutShort.writers()).length, 1, 'the peer knows none of the writers')
  const lacking = await updateMs(root)
  // Both are well under a millisecond on an idle machine: the floor keeps a busy machine's
  // hiccups from failing the test, far below the 2 s a log waited for a peer to attach it.
  assert.ok(
    lacking < Math.max(10 * held, 20),
    `update() with 8 logs its only peer lacks took ${lacking.toFixed(1)} ms, ${held.toFixed(1)} ms with a peer holding them`
  )
})

test('eight peers in a chain, each writing at once, converge through update() rounds', async (t) => {
  const root = await createDb<string, unknown>(t)
  const peers = [root]
  for (let i = 1; i < 8; i++) peers.push(await createDb<string, unknown>(t, { key: root.key }))
  // Each peer replicates with its neighbours only: what the ends write reaches the other end
  // through six peers.
  for (let i = 0; i + 1 < peers.length; i++) connect(peers[i]!, peers[i + 1]!)
  for (const peer of peers.slice(1)) await root.addWriter(peer.writerKey)
  for (let round = 0; !peers.every((p) => p.writable); round++) {
    assert.ok(round < 20, 'every peer learns it was added')
    await Promise.all(peers.map((p) => p.update()))
  }

  await Promise.all(
    peers.map(async (peer, w) => {
      await peer.put('shared', w)
      const batch = peer.batch()
      for (let i = 0; i < 20; i++) batch.put(`own-${w}-${i}`, i)
      await batch.flush()
    })
  )
  const expected = 1 + 8 * 20
  let states: unknown[][] = []
  for (let round = 0; ; round++) {
    assert.ok(round < 20, `converged within 20 rounds of update(); key counts ${states.map((s) => s.length)}`)
    await Promise.all(peers.map((p) => p.update()))
    states = await Promise.all(peers.map(dump))
    if (states.every((s) => s.length === expected && JSON.stringify(s) === JSON.stringify(states[0]))) break
  }
  const shared = states[0]!.find((e) => (e as { key: string }).key === 'shared') as { conflicts: unknown[] }
  assert.equal(shared.conflicts.length, 7, 'the eight concurrent writes of one key are heads on every peer')
})
