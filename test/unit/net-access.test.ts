import assert from 'node:assert/strict'
import { test } from 'node:test'
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import { ConnectionGate, type AccessPolicy, type Standing } from '../../lib/net/connection-gate.js'
import { diagnosis } from '../../lib/net/diagnosis.js'
import type { SessionState } from '../../lib/net/swarm-session.js'
import { dialFailure } from '../../lib/net/dial-failure.js'
import { Invitees } from '../../lib/net/invitees.js'
import { openAnnouncement, sealAnnouncement } from '../../lib/net/lan-discovery.js'
import { checkBinding, decodeBindings, encodeBindings, signBinding } from '../../lib/net/peer-binding.js'
import { PeerLists, type ListStore } from '../../lib/net/peer-lists.js'
import type { SwarmConnection } from '../../lib/types.js'
import { tempStore } from '../integration/net-helpers.js'

const hex = (key: Uint8Array) => b4a.toString(key, 'hex')

function memoryStore(): ListStore & { map: Map<string, Uint8Array> } {
  const map = new Map<string, Uint8Array>()
  return {
    map,
    get: async (name) => map.get(name) ?? null,
    set: async (name, value) => void (value === null ? map.delete(name) : map.set(name, value))
  }
}

test('a binding is checked with the db key and both keys; a changed byte or another db fails it', async (t) => {
  const { store, close } = await tempStore()
  t.after(close)
  const log = store.get({ name: 'writer' })
  await log.ready()
  const db = b4a.alloc(32, 1)
  const peer = crypto.keyPair()
  const binding = signBinding(db, log, peer)
  assert.ok(checkBinding(binding, db))
  assert.ok(!checkBinding(binding, b4a.alloc(32, 2)), 'another db')
  assert.ok(!checkBinding({ ...binding, peer: crypto.keyPair().publicKey }, db), "a stranger's key")
  assert.ok(!checkBinding({ ...binding, writer: b4a.alloc(32, 3) }, db), "another writer's key")
  const forged = b4a.from(binding.signature)
  forged[0]! ^= 1
  assert.ok(!checkBinding({ ...binding, signature: forged }, db))

  const [decoded] = decodeBindings(encodeBindings([binding]))!
  assert.ok(decoded !== undefined && checkBinding(decoded, db))
  assert.equal(decodeBindings(b4a.from([9, 9, 9])), null)
})

test('a LAN announcement opens only with its discovery key, untouched', () => {
  const dk = b4a.alloc(32, 7)
  const key = b4a.alloc(32, 8)
  const sealed = sealAnnouncement(dk, key, 49737)
  assert.deepEqual(openAnnouncement(dk, sealed), { publicKey: key, port: 49737 })
  assert.equal(openAnnouncement(b4a.alloc(32, 6), sealed), null)
  assert.ok(!b4a.includes(sealed, key) && !b4a.includes(sealed, dk), 'neither key shows')
  const tampered = b4a.from(sealed)
  tampered[tampered.byteLength - 20]! ^= 1
  assert.equal(openAnnouncement(dk, tampered), null)
  assert.equal(openAnnouncement(dk, sealed.subarray(1)), null)
})

test('peer lists: kept in the store, one list per key, deny wins over an allow option', async () => {
  const store = memoryStore()
  const [a, b] = [b4a.alloc(32, 1), b4a.alloc(32, 2)]
  const lists = await PeerLists.open(store, { allow: [], deny: [] })
  await lists.put('allow', a)
  await lists.put('deny', b)
  await lists.put('deny', a)
  const again = await PeerLists.open(store, { allow: [b], deny: [] })
  assert.deepEqual(again.keys('deny').map(hex).sort(), [hex(a), hex(b)].sort())
  assert.equal(again.has('allow', b), false)
  await again.unlist(a)
  assert.deepEqual((await PeerLists.open(store, { allow: [], deny: [] })).keys('deny').map(hex), [hex(b)])
})

test('invitees: a pairing key counts until its invite is used or expires, across a reopen', async () => {
  const store = memoryStore()
  let now = 1000
  const invitees = await Invitees.open(store, () => now)
  const [a, b] = [b4a.alloc(32, 1), b4a.alloc(32, 2)]
  await invitees.add(a, 2000)
  await invitees.add(b, 5000)
  await invitees.remove(b)
  const again = await Invitees.open(store, () => now)
  assert.ok(again.has(a))
  assert.ok(!again.has(b))
  now = 2001
  assert.ok(!again.has(a))
})

/** A connection as the gate sees one; `destroyed` records that it was closed. */
function fakeConnection(key: Uint8Array, direction: 'inbound' | 'outbound') {
  const conn = { remotePublicKey: key, isInitiator: direction === 'outbound', userData: null, destroyed: false }
  return Object.assign(conn, { destroy: () => void (conn.destroyed = true) }) as unknown as SwarmConnection & {
    destroyed: boolean
  }
}

function gateWith(standings: Map<string, Standing>, membersOnly = false, grace = 0) {
  const unbanned: string[] = []
  const policy: AccessPolicy = {
    standing: (key) => standings.get(hex(key)) ?? 'stranger',
    membersOnly,
    dialable: () => []
  }
  const gate = new ConnectionGate({ policy, maxInbound: 2, maxOutbound: 1, grace, unban: (k) => unbanned.push(hex(k)) })
  return { gate, unbanned }
}

/** Runs the firewall, then opens the connection, as Hyperswarm does. */
function connect(gate: ConnectionGate, key: Uint8Array, direction: 'inbound' | 'outbound') {
  if (gate.firewall(key, direction)) return null
  const conn = fakeConnection(key, direction)
  return gate.admit(conn) ? conn : null
}

test('the gate holds the caps per direction; a member takes the slot of a stranger, a stranger is refused', (t) => {
  const member = b4a.alloc(32, 9)
  const { gate, unbanned } = gateWith(new Map([[hex(member), 'member']]))
  t.after(() => gate.close())
  const strangers = [1, 2, 3].map((n) => b4a.alloc(32, n))
  const first = connect(gate, strangers[0]!, 'inbound')
  const second = connect(gate, strangers[1]!, 'inbound')
  assert.ok(first && second)
  assert.equal(connect(gate, strangers[2]!, 'inbound'), null, 'full')
  assert.equal(gate.refusals.full, 1)
  assert.ok(connect(gate, b4a.alloc(32, 4), 'outbound'), 'the other direction has its own cap')

  const held = connect(gate, member, 'inbound')
  assert.ok(held, 'a member is admitted at the cap')
  assert.equal(gate.evicted, 1)
  assert.ok(first.destroyed || second.destroyed, 'a stranger made room')
  assert.equal(gate.count('inbound'), 2)

  // A freed slot lifts the ban of those refused for want of room.
  gate.release(first.destroyed ? second : first)
  assert.deepEqual(unbanned, [hex(strangers[2]!)])
})

test('the gate refuses denied peers and strangers of a members-only db; a change of standing takes effect at once', (t) => {
  const [member, denied, invitee] = [b4a.alloc(32, 1), b4a.alloc(32, 2), b4a.alloc(32, 3)]
  const standings = new Map<string, Standing>([
    [hex(member), 'member'],
    [hex(denied), 'denied'],
    [hex(invitee), 'invited']
  ])
  const { gate, unbanned } = gateWith(standings, true)
  t.after(() => gate.close())
  assert.equal(connect(gate, denied, 'inbound'), null)
  assert.equal(connect(gate, b4a.alloc(32, 4), 'outbound'), null, 'a members-only peer dials no stranger')
  assert.deepEqual(gate.refusals, { denied: 1, 'not-member': 1, full: 0, idle: 0 })
  const conn = connect(gate, member, 'inbound')
  const pairing = connect(gate, invitee, 'inbound')
  assert.ok(conn && pairing)

  // The member is removed; the invite is used; the denied peer is unlisted.
  standings.delete(hex(member))
  standings.delete(hex(invitee))
  standings.delete(hex(denied))
  gate.recheck()
  assert.ok(conn.destroyed, "a removed member's connection closes")
  assert.ok(!pairing.destroyed, 'a pairing connection outlives its invite')
  assert.equal(gate.refusals['not-member'], 2)
  assert.deepEqual(unbanned, [], 'strangers of a members-only db stay banned')
  standings.set(hex(denied), 'allowed')
  gate.recheck()
  assert.deepEqual(unbanned, [hex(denied)])
})

test('a stranger that opens no core within the grace is dropped and refused for a while', async (t) => {
  const { gate } = gateWith(new Map(), false, 20)
  t.after(() => gate.close())
  const key = b4a.alloc(32, 5)
  const conn = connect(gate, key, 'inbound')
  assert.ok(conn)
  while (!conn.destroyed) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(gate.refusals.idle, 1)
  assert.equal(connect(gate, key, 'inbound'), null, 'cooling down')
  assert.equal(gate.refusals.idle, 2)
})

test('dial failures and the diagnosis of a peer that reaches no DHT node', () => {
  assert.equal(dialFailure({ code: 'HOLEPUNCH_ABORTED' }), 'holepunch')
  assert.equal(dialFailure({ code: 'REQUEST_TIMEOUT' }), 'timeout')
  assert.equal(dialFailure({ code: 'PEER_NOT_FOUND' }), 'not-found')
  assert.equal(dialFailure({}), 'other')

  const d = diagnosis({
    peerKey: b4a.alloc(32),
    bootstrap: [{ address: '198.51.100.1:49737', answered: false, rtt: null }],
    state: null,
    membersOnly: true,
    lan: true
  })
  const byTopic = new Map(d.findings.map((f) => [f.topic, f]))
  assert.equal(byTopic.get('dht')?.level, 'fail')
  assert.match(byTopic.get('dht')!.advice!, /LAN/)
  assert.equal(d.nat, 'unknown')
  assert.equal(byTopic.get('topic')?.level, 'info', 'not joined')
  assert.match(byTopic.get('access')!.message, /members only/)
})

test('the diagnosis of a joined peer behind a randomizing NAT, with refusals and failed dials: one finding each, with advice', () => {
  const dht = { nodes: [{}], firewalled: true, randomized: true, host: '203.0.113.5', port: 40000 }
  const d = diagnosis({
    peerKey: b4a.alloc(32),
    bootstrap: [
      { address: '192.0.2.1:49737', answered: true, rtt: 12 },
      { address: '192.0.2.2:49737', answered: false, rtt: null }
    ],
    state: {
      joined: true,
      announced: true,
      found: 9,
      inbound: 1,
      outbound: 2,
      maxInbound: 48,
      maxOutbound: 16,
      refused: { denied: 1, 'not-member': 2, full: 3, idle: 0 },
      evicted: 0,
      failed: { timeout: 1, holepunch: 2, 'not-found': 0, other: 0 },
      dht: dht as unknown as NonNullable<SessionState['dht']>,
      lan: { enabled: true, active: true, heard: 1, why: null }
    },
    membersOnly: false,
    lan: true
  })
  assert.equal(d.nat, 'random')
  assert.equal(d.publicAddress, '203.0.113.5:40000')
  assert.deepEqual(d.refused, { denied: 1, notMember: 2, full: 3, idle: 0 })
  const lines = d.findings.map((f) => `${f.level} ${f.topic}: ${f.message}`)
  assert.deepEqual(lines, [
    'ok dht: 1 of 2 DHT bootstrap nodes answered, fastest in 12 ms',
    'warn nat: behind a NAT that changes ports (randomized): holepunching to peers behind NATs rarely works (seen as 203.0.113.5:40000)',
    'ok topic: announced on the discovery key and looked it up',
    'ok peers: 3 connections: 1 in, 2 out (caps 48 in, 16 out); 9 peers found',
    'info refused: refused: 1 denied, 2 not members, 3 at the caps',
    'warn dials: 2 dials failed to holepunch',
    'warn dials: 1 dial timed out',
    'info relay: no relay in use: peers connect directly or by holepunching',
    'ok lan: LAN discovery on: 1 peer of this db heard on this network',
    'info access: open: any peer that knows the discovery key may connect (and learns this address)'
  ])
  const advice = new Map(d.findings.map((f) => [f.message, f.advice]))
  assert.match(advice.get('refused: 1 denied, 2 not members, 3 at the caps')!, /peers allow.*--max-inbound/)
  assert.ok(
    d.findings.filter((f) => f.level === 'warn').every((f) => f.advice !== null),
    'every warning says what to do'
  )
})
