import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cleanups, Peer } from './peer-process.js'

/** A DHT bootstrap node that never answers: TEST-NET-2 (RFC 5737) is routed nowhere. */
const UNREACHABLE = ['198.51.100.1:49737']

interface Diagnosed {
  lan: { enabled: boolean; active: boolean; heard: number; note: string | null }
}

test('processes: with no DHT node reachable, two peers on this machine find each other on the LAN; one with lan off is not found', async (t) => {
  const defer = cleanups(t)
  const a = await Peer.start(defer, 'lan-a', UNREACHABLE, undefined, ['--join-later'])
  await a.call('write', { ops: [{ key: 'k', value: 1 }] })
  // Up before b: had it announced itself, a would hear it before it hears b.
  const off = await Peer.start(defer, 'lan-off', UNREACHABLE, a.key, ['--join-later', '--no-lan'])
  const b = await Peer.start(defer, 'lan-b', UNREACHABLE, a.key, ['--join-later'])
  const started = Date.now()
  await b.call('waitPeers', { peers: 1 })
  const found = Date.now() - started
  await b.call('waitIndexed', { lengths: { [a.writerKey]: 2 } })
  t.diagnostic(`b found a over the LAN ${found} ms after it started, and synced in ${Date.now() - started} ms`)
  const [link] = await b.call<Array<{ publicKey: string; lan: boolean }>>('connections')
  assert.equal(link?.publicKey, a.peerKey)
  // Whichever of the two heard the other's announcement first dialed: that side marks the link.
  const links = await a.call<Array<{ publicKey: string; lan: boolean }>>('connections')
  const back = links.find((l) => l.publicKey === b.peerKey)
  assert.ok(back !== undefined, 'a holds the link to b')
  assert.equal(link.lan || back.lan, true, 'the link was made over the LAN')

  assert.equal((await a.call<Diagnosed>('diagnose')).lan.heard, 1, 'a heard b only')
  assert.deepEqual((await off.call<Diagnosed>('diagnose')).lan, {
    enabled: false,
    active: false,
    heard: 0,
    note: 'turned off'
  })
  assert.deepEqual(await off.call('connections'), [])
})
