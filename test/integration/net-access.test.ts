import assert from 'node:assert/strict'
import { test } from 'node:test'
import b4a from 'b4a'
import { PeerBee, type PeerBeeOptions } from '../../lib/index.js'
import { createDb, tempDir, teardown, waitFor } from '../helpers.js'
import { localTestnet, until, within } from './net-helpers.js'

const hex = (key: Uint8Array) => b4a.toString(key, 'hex')

/** Connections of `db` to the peer with swarm key `peer`. */
function linksTo(db: PeerBee, peer: PeerBee) {
  return db.connections().filter((c) => b4a.equals(c.publicKey, peer.peerKey))
}

async function refusals(db: PeerBee) {
  return (await db.diagnose()).refused
}

test('a denied peer is refused in the firewall and learns no block; unlisted, it replicates', async (t) => {
  const net = await localTestnet()
  teardown(t, () => net.destroy())
  const opts: PeerBeeOptions = { bootstrap: net.bootstrap }
  const a = await createDb(t, opts)
  await a.put('secret', 1)
  const b = await createDb(t, { ...opts, key: a.key })
  await a.denyPeer(b.peerKey)
  assert.deepEqual(a.listedPeers().deny.map(hex), [hex(b.peerKey)])

  await a.join()
  await b.join()
  await waitFor(async () => (await refusals(a)).denied > 0, 10_000)
  assert.equal(linksTo(a, b).length, 0)
  assert.equal(b.status().peers, 0)
  assert.equal(b.status().writers[0]?.downloaded ?? 0, 0, 'b holds no block of the root log')

  await a.unlistPeer(b.peerKey)
  assert.deepEqual(a.listedPeers(), { allow: [], deny: [] })
  await within(
    15_000,
    until(b, ['peer-add'], () => b.status().peers > 0),
    'b to connect once unlisted'
  )
  await b.update()
  assert.equal((await b.get('secret'))?.value, 1)

  // A peer denied while connected is dropped at once.
  await a.denyPeer(b.peerKey)
  await within(
    10_000,
    until(b, ['peer-remove'], () => b.status().peers === 0),
    'b to be dropped'
  )
})

test('lists are kept in the storage; allow and deny take a key off each other', async (t) => {
  const dir = await tempDir(t)
  const keys = [b4a.alloc(32, 1), b4a.alloc(32, 2), b4a.alloc(32, 3)]
  const first = new PeerBee(dir)
  await first.ready()
  await first.allowPeer(keys[0]!)
  await first.denyPeer(hex(keys[1]!))
  await first.allowPeer(keys[2]!)
  await first.denyPeer(keys[2]!)
  const peerKey = first.peerKey
  await first.close()

  const again = new PeerBee(dir, { allow: [keys[1]!] })
  teardown(t, () => again.close())
  await again.ready()
  assert.ok(b4a.equals(again.peerKey, peerKey), 'the swarm key is stable')
  assert.deepEqual(again.listedPeers().allow.map(hex), [hex(keys[0]!)], 'deny wins over an allow option')
  assert.deepEqual(again.listedPeers().deny.map(hex).sort(), [hex(keys[1]!), hex(keys[2]!)].sort())
  await again.unlistPeer(keys[1]!)
  assert.deepEqual(again.listedPeers().deny.map(hex), [hex(keys[2]!)])
  await assert.rejects(again.allowPeer('not a key'), { code: 'INVALID_ARGUMENT' })
  assert.throws(() => new PeerBee(dir, { maxInbound: -1 }), { code: 'INVALID_ARGUMENT' })
})

test('members only: a member bound by its writer log connects, a reader is refused, a removed writer is dropped', async (t) => {
  const net = await localTestnet()
  teardown(t, () => net.destroy())
  const a = await createDb(t, { bootstrap: net.bootstrap, membersOnly: true })
  await a.put('k', 1)
  const b = await createDb(t, { bootstrap: net.bootstrap, key: a.key, membersOnly: true })
  await a.addWriter(b.writerKey)
  // b is a member, but a knows its swarm key only once it met it: allowed for the first contact.
  await a.allowPeer(b.peerKey)
  await b.allowPeer(a.peerKey)
  await a.join()
  await b.join()
  await within(
    15_000,
    until(b, ['peer-add'], () => b.status().peers > 0),
    'b to connect'
  )
  await b.update()
  await waitFor(() => linksTo(a, b)[0]?.standing === 'member', 10_000)
  assert.ok(b4a.equals(linksTo(a, b)[0]!.writer!, b.writerKey), 'a learnt the binding of b')

  // Unlisted, b stays: it is a member now. A reader is not.
  await a.unlistPeer(b.peerKey)
  await b.unlistPeer(a.peerKey)
  assert.equal(linksTo(a, b).length, 1)
  const c = await createDb(t, { bootstrap: net.bootstrap, key: a.key })
  await c.join()
  await waitFor(async () => (await refusals(a)).notMember > 0, 10_000)
  assert.equal(linksTo(a, c).length, 0)
  assert.equal(c.status().writers[0]?.downloaded ?? 0, 0, 'the reader holds no block')

  // Removed, b's connection closes at once and b stays out.
  await a.removeWriter(b.writerKey)
  await within(
    10_000,
    until(b, ['peer-remove'], () => b.status().peers === 0),
    'b to be dropped'
  )
  assert.equal(linksTo(a, b).length, 0)
})

test('members only: a peer paired by invite is let in with the swarm key it bound while pairing', async (t) => {
  const net = await localTestnet()
  teardown(t, () => net.destroy())
  const a = await createDb(t, { bootstrap: net.bootstrap, membersOnly: true })
  await a.put('from-a', 1)
  await a.join()
  const invite = await a.createInvite()
  const b = await PeerBee.pair(await tempDir(t), invite, { bootstrap: net.bootstrap, membersOnly: true })
  teardown(t, () => b.close())
  await b.join()
  await within(
    15_000,
    until(b, ['peer-add'], () => b.status().peers > 0),
    'b to connect'
  )
  while (!b.writable) await b.update()
  await b.put('from-b', 2)
  await within(
    10_000,
    until(a, ['update'], () => a.status().writers.some((w) => b4a.equals(w.key, b.writerKey) && w.indexed === 2)),
    "b's write to reach a"
  )
  assert.equal(linksTo(a, b)[0]?.standing, 'member')
  assert.equal((await a.get('from-b'))?.value, 2)
})
