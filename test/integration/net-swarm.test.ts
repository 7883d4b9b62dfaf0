import { test } from 'node:test'
import assert from 'node:assert/strict'
import b4a from 'b4a'
import type Hyperswarm from 'hyperswarm'
import { createSwarm } from '../../lib/net/create-swarm.js'
import { SwarmSession } from '../../lib/net/swarm-session.js'
import { waitFor } from '../helpers.js'
import { localTestnet, tempStore, until, within } from './net-helpers.js'

const TOPIC = b4a.alloc(32, 7)

test('two sessions find each other and replicate a core', async (t) => {
  const net = await localTestnet()
  const a = await tempStore()
  const b = await tempStore()
  t.after(async () => {
    await sa.destroy()
    await sb.destroy()
    await a.close()
    await b.close()
    await net.destroy()
  })

  const core = a.store.get({ name: 'log' })
  await core.append([b4a.from('one'), b4a.from('two')])
  const sa = new SwarmSession({
    discoveryKey: core.discoveryKey,
    bootstrap: net.bootstrap,
    replicate: (conn) => a.store.replicate(conn)
  })
  const sb = new SwarmSession({
    discoveryKey: core.discoveryKey,
    bootstrap: net.bootstrap,
    replicate: (conn) => b.store.replicate(conn)
  })
  const added: Uint8Array[] = []
  sb.on('peer-add', (peer: { publicKey: Uint8Array }) => added.push(peer.publicKey))

  const started = Date.now()
  await sa.join()
  await sb.join()
  await within(
    5000,
    until(sb, ['peer-add'], () => sb.peers === 1),
    'b to connect'
  )
  t.diagnostic(`connected in ${Date.now() - started} ms`)

  const replica = b.store.get({ key: core.key })
  await replica.ready()
  const block = await within(5000, replica.get(1), 'block 1')
  assert.equal(b4a.toString(block as Uint8Array), 'two')
  assert.equal(added.length, 1)
  assert.ok(b4a.equals(added[0] as Uint8Array, sa.swarm!.keyPair.publicKey))
})

test('leave closes connections and emits peer-remove; join again reconnects', async (t) => {
  const net = await localTestnet()
  const a = await tempStore()
  const b = await tempStore()
  const sa = new SwarmSession({
    discoveryKey: TOPIC,
    bootstrap: net.bootstrap,
    replicate: (c) => a.store.replicate(c)
  })
  const sb = new SwarmSession({
    discoveryKey: TOPIC,
    bootstrap: net.bootstrap,
    replicate: (c) => b.store.replicate(c)
  })
  t.after(async () => {
    await sa.destroy()
    await sb.destroy()
    await a.close()
    await b.close()
    await net.destroy()
  })
  // Both hold the same core so the connection carries an open channel.
  const core = a.store.get({ name: 'log' })
  await core.ready()
  await b.store.get({ key: core.key }).ready()

  await sa.join()
  await sb.join()
  await within(
    5000,
    until(sa, ['peer-add'], () => sa.peers === 1),
    'connect'
  )

  const removed = until(sa, ['peer-remove'], () => sa.peers === 0)
  await sb.leave()
  assert.equal(sb.peers, 0)
  assert.equal(sb.joined, false)
  await within(5000, removed, 'a to see b leave')

  await sb.join()
  await within(
    5000,
    until(sa, ['peer-add'], () => sa.peers === 1),
    'reconnect'
  )
})

test('three sessions joining at once all connect', async (t) => {
  const net = await localTestnet()
  const stores = await Promise.all([tempStore(), tempStore(), tempStore()])
  const sessions = stores.map(
    (s) =>
      new SwarmSession({
        discoveryKey: TOPIC,
        bootstrap: net.bootstrap,
        replicate: (c) => s.store.replicate(c),
        grace: 0
      })
  )
  t.after(async () => {
    for (const s of sessions) await s.destroy()
    for (const s of stores) await s.close()
    await net.destroy()
  })

  const started = Date.now()
  await Promise.all(sessions.map((s) => s.join()))
  await within(8000, Promise.all(sessions.map((s) => until(s, ['peer-add'], () => s.peers === 2))), 'a full mesh')
  t.diagnostic(`full mesh of 3 in ${Date.now() - started} ms`)
})

test('a connection that opens no core is dropped', async (t) => {
  const net = await localTestnet()
  const a = await tempStore()
  const sa = new SwarmSession({
    discoveryKey: TOPIC,
    bootstrap: net.bootstrap,
    replicate: (c) => a.store.replicate(c),
    grace: 300
  })
  const stranger = createSwarm({ bootstrap: net.bootstrap })
  stranger.on('connection', (conn) => conn.on('error', () => {}))
  t.after(async () => {
    await stranger.destroy()
    await sa.destroy()
    await a.close()
    await net.destroy()
  })

  await sa.join()
  stranger.joinPeer(sa.swarm!.keyPair.publicKey)
  await within(
    5000,
    until(sa, ['peer-add'], () => sa.peers === 1),
    'the stranger to connect'
  )
  await within(
    5000,
    until(sa, ['peer-remove'], () => sa.peers === 0),
    'the idle connection to drop'
  )
  stranger.leavePeer(sa.swarm!.keyPair.publicKey)
})

test('inbound handshakes beyond maxInbound are refused in the firewall', async (t) => {
  const net = await localTestnet()
  const a = await tempStore()
  const sa = new SwarmSession({
    discoveryKey: TOPIC,
    bootstrap: net.bootstrap,
    replicate: (c) => a.store.replicate(c),
    maxInbound: 1,
    grace: 0
  })
  const others = [createSwarm({ bootstrap: net.bootstrap }), createSwarm({ bootstrap: net.bootstrap })]
  for (const s of others) s.on('connection', (conn) => conn.on('error', () => {}))
  t.after(async () => {
    for (const s of others) await s.destroy()
    await sa.destroy()
    await a.close()
    await net.destroy()
  })

  await sa.join()
  const swarm = sa.swarm as Hyperswarm
  let inbound = 0
  swarm.on('connection', () => inbound++)
  for (const s of others) s.joinPeer(swarm.keyPair.publicKey)
  await waitFor(() => inbound === 1 && sa.gate!.refusals.full >= 1, 8000)
  assert.equal(sa.peers, 1)
  assert.equal(swarm.connections.size, 1)
  for (const s of others) s.leavePeer(swarm.keyPair.publicKey)
})
