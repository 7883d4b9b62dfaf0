import { test } from 'node:test'
import assert from 'node:assert/strict'
import b4a from 'b4a'
import type Hyperswarm from 'hyperswarm'
import { createSwarm } from '../../lib/net/create-swarm.js'
import { SwarmSession } from '../../lib/net/swarm-session.js'
import { PairingHost } from '../../lib/net/pairing-host.js'
import { pair } from '../../lib/net/pairing-candidate.js'
import { decodeInvite, encodeInvite, issueInvite, type InviteStore } from '../../lib/net/invite.js'
import type { Role } from '../../lib/types.js'
import { localTestnet, within } from './net-helpers.js'

const DB_KEY = b4a.alloc(32, 1)
const DISCOVERY_KEY = b4a.alloc(32, 2)

class MemoryInviteStore implements InviteStore {
  readonly map = new Map<string, Uint8Array>()
  async get(key: Uint8Array) {
    return this.map.get(b4a.toString(key, 'hex')) ?? null
  }
  async put(key: Uint8Array, value: Uint8Array) {
    this.map.set(b4a.toString(key, 'hex'), value)
  }
}

/** An admin joined on the topic and serving invites, and a candidate's swarm. */
async function setup(t: { after: (fn: () => Promise<void>) => void }, now = () => Date.now()) {
  const net = await localTestnet()
  const session = new SwarmSession({
    discoveryKey: DISCOVERY_KEY,
    bootstrap: net.bootstrap,
    replicate: () => {}
  })
  await session.join()
  const swarm = session.swarm as Hyperswarm
  const store = new MemoryInviteStore()
  const added: Array<{ key: Uint8Array; role: Role }> = []
  const host = new PairingHost({
    swarm,
    dbKey: DB_KEY,
    discoveryKey: DISCOVERY_KEY,
    encryptionKey: () => null,
    store,
    addWriter: async (key, role) => {
      added.push({ key, role })
    },
    now
  })
  const candidates: Hyperswarm[] = []
  const candidateSwarm = () => {
    const s = createSwarm({ bootstrap: net.bootstrap })
    candidates.push(s)
    return s
  }
  t.after(async () => {
    host.close()
    for (const s of candidates) await s.destroy()
    await session.destroy()
    await net.destroy()
  })
  const invite = (role: Role = 'writer', expires = Date.now() + 60_000) =>
    issueInvite(store, {
      discoveryKey: DISCOVERY_KEY,
      issuer: swarm.keyPair.publicKey,
      role,
      expires
    })
  return { invite, added, candidateSwarm }
}

test('a candidate with an invite is added and learns the db key', async (t) => {
  const { invite, added, candidateSwarm } = await setup(t)
  const writerKey = b4a.alloc(32, 9)
  const text = await invite('admin')

  const started = Date.now()
  const result = await within(10_000, pair({ invite: text, swarm: candidateSwarm(), writerKey }), 'pairing')
  t.diagnostic(`paired in ${Date.now() - started} ms`)

  assert.ok(b4a.equals(result.key, DB_KEY))
  assert.equal(result.role, 'admin')
  assert.equal(added.length, 1)
  assert.ok(b4a.equals(added[0]!.key, writerKey))
  assert.equal(added[0]!.role, 'admin')
})

test('the writer key may depend on the db key', async (t) => {
  const { invite, added, candidateSwarm } = await setup(t)
  const text = await invite()
  const result = await within(
    10_000,
    pair({
      invite: text,
      swarm: candidateSwarm(),
      writerKey: async (dbKey) => b4a.from(dbKey).reverse()
    }),
    'pairing'
  )
  assert.equal(result.role, 'writer')
  assert.ok(b4a.equals(added[0]!.key, b4a.from(DB_KEY).reverse()))
})

test('an invite is single-use, but the same writer may ask again', async (t) => {
  const { invite, added, candidateSwarm } = await setup(t)
  const text = await invite()
  const swarm = candidateSwarm()
  await within(10_000, pair({ invite: text, swarm, writerKey: b4a.alloc(32, 3) }), 'first pairing')
  await within(10_000, pair({ invite: text, swarm, writerKey: b4a.alloc(32, 3) }), 'same writer again')
  await assert.rejects(within(10_000, pair({ invite: text, swarm, writerKey: b4a.alloc(32, 4) }), 'second writer'), {
    code: 'INVITE_USED'
  })
  assert.equal(added.length, 1)
})

test('an expired invite is refused, by the candidate and by the issuer', async (t) => {
  let hostNow = Date.now()
  const { invite, added, candidateSwarm } = await setup(t, () => hostNow)
  const text = await invite('writer', Date.now() + 60_000)
  await assert.rejects(
    pair({
      invite: text,
      swarm: candidateSwarm(),
      writerKey: b4a.alloc(32, 5),
      now: () => Date.now() + 120_000
    }),
    { code: 'INVITE_EXPIRED' }
  )
  hostNow += 120_000
  await assert.rejects(
    within(10_000, pair({ invite: text, swarm: candidateSwarm(), writerKey: b4a.alloc(32, 5) }), 'issuer refusal'),
    { code: 'INVITE_EXPIRED' }
  )
  assert.equal(added.length, 0)
})

test('a forged invite is refused', async (t) => {
  const { invite, added, candidateSwarm } = await setup(t)
  const real = decodeInvite(await invite())
  const forged = encodeInvite({ ...real, secret: b4a.alloc(32, 0xee) })
  await assert.rejects(
    within(10_000, pair({ invite: forged, swarm: candidateSwarm(), writerKey: b4a.alloc(32, 6) }), 'refusal'),
    { code: 'INVITE_INVALID' }
  )
  await assert.rejects(pair({ invite: 'not an invite', swarm: candidateSwarm(), writerKey: b4a.alloc(32, 6) }), {
    code: 'INVITE_INVALID'
  })
  assert.equal(added.length, 0)
})

test('an unreachable issuer fails the pairing after the timeout', async (t) => {
  const { invite, candidateSwarm } = await setup(t)
  const real = decodeInvite(await invite())
  const elsewhere = encodeInvite({ ...real, issuer: b4a.alloc(32, 0x42) })
  await assert.rejects(
    pair({ invite: elsewhere, swarm: candidateSwarm(), writerKey: b4a.alloc(32, 7), timeout: 500 }),
    { code: 'PAIRING_FAILED' }
  )
})
