import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { stat } from 'node:fs'
import b4a from 'b4a'
import z32 from 'z32'
import { Backoff } from '../../lib/net/backoff.js'
import { isLoopbackHost, isLoopbackNetwork, parseBootstrap } from '../../lib/net/bootstrap.js'
import { decodeInvite, decodeRecord, encodeInvite, encodeRecord, inviteId, issueInvite } from '../../lib/net/invite.js'
import { decodeFrame, encodeFrame, pairingProof, proofMatches, type Frame } from '../../lib/net/pairing-wire.js'
import { knownLength, reachedTargets, replicaProgress, replicated, syncProgress } from '../../lib/net/sync-progress.js'

const invite = {
  role: 'admin' as const,
  expires: 1_900_000_000_123,
  discoveryKey: b4a.alloc(32, 1),
  issuer: b4a.alloc(32, 2),
  secret: b4a.alloc(32, 3)
}

test('invite text round-trips and is z-base32', () => {
  const text = encodeInvite(invite)
  assert.match(text, /^[ybndrfg8ejkmcpqxot1uwisza345h769]+$/)
  assert.deepEqual(decodeInvite(text), invite)
  assert.deepEqual(decodeInvite(`  ${text}\n`), invite)
})

test('malformed invites are INVITE_INVALID', () => {
  const text = encodeInvite(invite)
  for (const bad of ['', 'hello world', text.slice(0, -4), text + 'yyyy', 'v' + text.slice(1)]) {
    assert.throws(() => decodeInvite(bad), { code: 'INVITE_INVALID' }, bad)
  }
  // Unknown version, unknown role.
  for (const [offset, byte] of [
    [0, 2],
    [1, 7]
  ] as const) {
    const bytes = z32.decode(text)
    bytes[offset] = byte
    assert.throws(() => decodeInvite(z32.encode(bytes)), { code: 'INVITE_INVALID' })
  }
})

test('invite records round-trip; unknown versions read as absent', () => {
  const record = { role: 'writer' as const, expires: 42, secret: b4a.alloc(32, 4), usedBy: null }
  assert.deepEqual(decodeRecord(encodeRecord(record)), record)
  const used = { ...record, usedBy: b4a.alloc(32, 5) }
  assert.deepEqual(decodeRecord(encodeRecord(used)), used)
  const future = encodeRecord(record)
  future[0] = 9
  assert.equal(decodeRecord(future), null)
})

test('issueInvite records the invite under the hash of its secret', async () => {
  const stored = new Map<string, Uint8Array>()
  const store = {
    get: async (k: Uint8Array) => stored.get(b4a.toString(k, 'hex')) ?? null,
    put: async (k: Uint8Array, v: Uint8Array) => void stored.set(b4a.toString(k, 'hex'), v)
  }
  const text = await issueInvite(store, {
    discoveryKey: invite.discoveryKey,
    issuer: invite.issuer,
    role: 'writer',
    expires: 1000
  })
  const decoded = decodeInvite(text)
  const record = decodeRecord((await store.get(inviteId(decoded.secret))) as Uint8Array)
  assert.equal(record?.role, 'writer')
  assert.equal(record?.expires, 1000)
  assert.ok(b4a.equals(record?.secret as Uint8Array, decoded.secret))
  await assert.rejects(issueInvite(store, { ...decoded, role: 'reader' as 'writer' }), {
    code: 'INVALID_ARGUMENT'
  })
  await assert.rejects(issueInvite(store, { ...decoded, expires: -1 }), {
    code: 'INVALID_ARGUMENT'
  })
})

test('pairing frames round-trip; malformed frames decode to null', () => {
  const frames: Frame[] = [
    { type: 'request', inviteId: b4a.alloc(32, 1), proof: b4a.alloc(32, 2) },
    { type: 'accept', role: 'writer', key: b4a.alloc(32, 3), encryptionKey: null },
    { type: 'accept', role: 'admin', key: b4a.alloc(32, 3), encryptionKey: b4a.alloc(32, 7) },
    { type: 'writer', writerKey: b4a.alloc(32, 4), binding: null },
    { type: 'added', role: 'admin' },
    { type: 'refused', reason: 'used' }
  ]
  for (const frame of frames) assert.deepEqual(decodeFrame(encodeFrame(frame)), frame)
  for (const bad of [[], [0], [6, 1], [4, 9], [5, 0], [3, 1, 2], [2, 0, ...new Array(40).fill(1)]]) {
    assert.equal(decodeFrame(b4a.from(bad)), null)
  }
})

test('a pairing proof is bound to the secret and the session', () => {
  const secret = b4a.alloc(32, 1)
  const session = b4a.alloc(64, 2)
  const proof = pairingProof(secret, session)
  assert.ok(proofMatches(secret, session, proof))
  assert.ok(!proofMatches(b4a.alloc(32, 9), session, proof))
  assert.ok(!proofMatches(secret, b4a.alloc(64, 3), proof))
  assert.ok(!proofMatches(secret, session, proof.subarray(1)))
})

test('bootstrap parsing and loopback detection', () => {
  assert.deepEqual(parseBootstrap('127.0.0.1:49737'), { host: '127.0.0.1', port: 49737 })
  assert.deepEqual(parseBootstrap('[::1]:10'), { host: '::1', port: 10 })
  assert.deepEqual(parseBootstrap('node.example:1'), { host: 'node.example', port: 1 })
  for (const bad of ['127.0.0.1', ':1', 'host:0', 'host:70000', 'a:b']) {
    assert.throws(() => parseBootstrap(bad), { code: 'INVALID_ARGUMENT' }, bad)
  }
  assert.ok(
    isLoopbackHost('127.0.0.1') && isLoopbackHost('127.1.2.3') && isLoopbackHost('localhost') && isLoopbackHost('::1')
  )
  assert.ok(!isLoopbackHost('10.0.0.1') && !isLoopbackHost('127.example') && !isLoopbackHost('0.0.0.0'))
  assert.ok(isLoopbackNetwork([parseBootstrap('127.0.0.1:1'), parseBootstrap('localhost:2')]))
  assert.ok(!isLoopbackNetwork([parseBootstrap('127.0.0.1:1'), parseBootstrap('10.0.0.1:2')]))
  assert.ok(!isLoopbackNetwork([]))
})

test('backoff doubles up to its cap and resets', () => {
  const backoff = new Backoff({ min: 1000, max: 30_000 })
  const delays = Array.from({ length: 8 }, () => backoff.next())
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000])
  backoff.reset()
  assert.equal(backoff.next(), 1000)
})

test('sync progress takes the longest known length and sums writers', () => {
  const replica = {
    length: 3,
    contiguousLength: 2,
    peers: [{ remoteLength: 7 }, { remoteLength: 5 }]
  }
  assert.equal(knownLength(replica), 7)
  assert.equal(knownLength({ ...replica, peers: [] }), 3)
  assert.deepEqual(replicaProgress(replica), { length: 7, downloaded: 2 })
  assert.deepEqual(
    syncProgress(2, [
      { length: 7, downloaded: 2, indexed: 1 },
      { length: 4, downloaded: 4, indexed: 4 }
    ]),
    { peers: 2, length: 11, downloaded: 6, indexed: 5 }
  )
  const targets = new Map([
    ['a', 7],
    ['b', 4]
  ])
  const replicas = new Map([
    ['a', replica],
    ['b', { length: 4, contiguousLength: 4, peers: [] }]
  ])
  assert.equal(
    reachedTargets(targets, (w) => replicas.get(w) ?? null),
    false
  )
  replicas.set('a', { ...replica, contiguousLength: 7 })
  assert.equal(
    reachedTargets(targets, (w) => replicas.get(w) ?? null),
    true
  )
  assert.equal(
    reachedTargets(new Map([['c', 1]]), (w) => replicas.get(w) ?? null),
    false
  )
})

/** A replica whose one peer advertises `remote` blocks while this one holds `held`. */
function fakeReplica(held: number, remote: number) {
  const events = new EventEmitter()
  const replica = {
    closed: false,
    length: held,
    contiguousLength: held,
    peers: [{ remoteLength: remote, remoteContiguousLength: remote }],
    on: (e: string, fn: () => void) => events.on(e, fn),
    off: (e: string, fn: () => void) => events.off(e, fn)
  }
  return { replica, block: () => (replica.contiguousLength++, replica.length++, events.emit('download')) }
}

async function settled(p: Promise<void>): Promise<boolean> {
  let done = false
  p.then(() => (done = true))
  // Lets the promise's own reactions run first.
  for (let i = 0; i < 3; i++) await Promise.resolve()
  return done
}

test('replicated() stops waiting for blocks a peer advertises but never sends', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const { replica } = fakeReplica(5, 6)
  const wait = replicated(replica, 6)
  t.mock.timers.tick(2_000)
  assert.equal(await settled(wait), false, 'still waiting within the grace')
  t.mock.timers.tick(1_000)
  // Judged once the I/O of that turn of the event loop has run.
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(await settled(wait), true, 'no block for the whole grace: done')
})

test('replicated() hears the blocks that came while the process did not run before judging its grace', async () => {
  const { replica, block } = fakeReplica(0, 2)
  const wait = replicated(replica, 2)
  // A block whose I/O completes while the process is held up past the grace, as on a busy machine.
  const heard = new Promise<boolean>((resolve) => stat(import.meta.filename, () => resolve(block())))
  const until = Date.now() + 3_200
  while (Date.now() < until);
  await heard
  assert.equal(await settled(wait), false, 'a block came within the grace: still waiting')
  block()
  assert.equal(await settled(wait), true)
})

test('replicated() waits on as long as blocks keep arriving', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const { replica, block } = fakeReplica(0, 5)
  const wait = replicated(replica, 5)
  for (let i = 0; i < 4; i++) {
    t.mock.timers.tick(2_500)
    block()
    assert.equal(await settled(wait), false, `block ${i + 1} of 5, 10 s in all: still waiting`)
  }
  block()
  assert.equal(await settled(wait), true)
})
