import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cleanups, Peer } from './peer-process.js'

/** A DHT bootstrap node that never answers: TEST-NET-2 (RFC 5737) is routed nowhere. */
const UNREACHABLE = ['198.51.100.1:49737']

test('processes: with no DHT node reachable, two peers on this machine find each other on the LAN', async (t) => {
  const defer = cleanups(t)
  const a = await Peer.start(defer, 'lan-a', UNREACHABLE, undefined, ['--join-later'])
  await a.call('write', { ops: [{ key: 'k', value: 1 }] })
  const b = await Peer.start(defer, 'lan-b', UNREACHABLE, a.key, ['--join-later'])
  const started = Date.now()
  await b.call('waitPeers', { peers: 1 })
  await b.call('waitIndexed', { lengths: { [a.writerKey]: 2 } })
  t.diagnostic(`found and synced over the LAN in ${Date.now() - started} ms`)
  const [link] = await b.call<Array<{ peerKey: string; publicKey: string; lan: boolean }>>('connections')
  assert.equal(link?.publicKey, a.peerKey)
  assert.equal(link?.lan, true)
})
