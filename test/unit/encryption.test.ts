import assert from 'node:assert/strict'
import { test } from 'node:test'
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import {
  FRAME_BYTES,
  FRAME_CLEAR,
  FRAME_SEALED,
  blockKeyOf,
  frameClear,
  frameSealed,
  keyIdOf,
  newKey,
  newSalt
} from '../../lib/crypt/block-cipher.js'
import { Keyring, type KeyOrder } from '../../lib/crypt/keyring.js'
import { boxKeyPairOf, boxPublicKeyOf, lockPast, openSealedKey, sealKey, unlockPast } from '../../lib/crypt/sealing.js'
import { LOCKED, OPAQUE, readEntry, readHeader } from '../../lib/log/blocks.js'
import { DecodeError, encodeEntry, encodeHeader, isClearBody } from '../../lib/log/codec.js'
import type { LogEntry } from '../../lib/log/entry.js'
import { writerId } from '../../lib/model/ids.js'

const hex = (b: Uint8Array) => b4a.toString(b, 'hex')
const LOG = b4a.alloc(32, 7)

/** A block as Hypercore hands it to the provider: the frame's bytes free, then the body. */
function framed(body: Uint8Array): Uint8Array {
  return b4a.concat([b4a.alloc(FRAME_BYTES), body])
}

function sealed(body: Uint8Array, index: number, key: Uint8Array, log = LOG): Uint8Array {
  const block = framed(body)
  frameSealed(block, index, keyIdOf(key), blockKeyOf(key, log), newSalt())
  return block
}

function clear(body: Uint8Array): Uint8Array {
  const block = framed(body)
  frameClear(block)
  return block
}

const put: LogEntry = {
  clock: { wall: 5, counter: 0 },
  ops: [{ type: 'put', key: b4a.from('k'), value: b4a.from('"the secret value"'), parents: [] }]
}
const add: LogEntry = { clock: { wall: 6, counter: 0 }, ops: [{ type: 'add-writer', key: LOG, role: 'writer' }] }

/** Keys as one keyring holds them, for one peer: `given` first, with a keyring saved in memory. */
async function ring(given: Uint8Array[]): Promise<Keyring> {
  return Keyring.create(given, async () => {})
}

function reasonOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof DecodeError, String(err))
    return err.reason
  }
  return 'none'
}

test('a sealed block holds no byte of its body in clear, names its key, and opens only with it', async () => {
  const key = newKey()
  const body = encodeEntry(put)
  const block = sealed(body, 3, key)
  assert.equal(block[0], FRAME_SEALED)
  assert.equal(hex(block.subarray(1, 9)), hex(keyIdOf(key)))
  assert.ok(!Buffer.from(block).includes('the secret value'))
  const keys = await ring([key])
  const read = readEntry(block, 3, LOG, 'encrypted', keys)
  assert.deepEqual(read, put)
  // Another index, log or key reads garbage or nothing: the nonce and the block key bind them.
  assert.notDeepEqual(tryRead(block, 4, LOG, keys), put)
  assert.notDeepEqual(tryRead(block, 3, b4a.alloc(32, 8), keys), put)
  assert.equal(readEntry(block, 3, LOG, 'encrypted', await ring([newKey()])), LOCKED)
  assert.equal(readEntry(block, 3, LOG, 'encrypted', null), OPAQUE)
  // Two sessions seal one body at one index differently (each draws a salt): a second history
  // written by a copy of a storage never reuses a nonce.
  assert.notEqual(hex(sealed(body, 3, key)), hex(block))
})

function tryRead(block: Uint8Array, index: number, log: Uint8Array, keys: Keyring): unknown {
  try {
    return readEntry(block, index, log, 'encrypted', keys)
  } catch {
    return null
  }
}

test('framing rules: data sealed, membership in clear, nothing framed in a db without encryption', async () => {
  const keys = await ring([newKey()])
  const key = keys.current
  assert.ok(isClearBody(encodeHeader({ protocol: 'peerbee', db: LOG })))
  assert.ok(isClearBody(encodeEntry(add)))
  assert.ok(!isClearBody(encodeEntry(put)))
  assert.ok(!isClearBody(encodeEntry({ clock: { wall: 1, counter: 0 }, ops: [] })))
  assert.deepEqual(readEntry(clear(encodeEntry(add)), 1, LOG, 'encrypted', null), add)
  assert.equal(
    reasonOf(() => readEntry(clear(encodeEntry(put)), 1, LOG, 'encrypted', keys)),
    'clear-data'
  )
  assert.equal(
    reasonOf(() => readEntry(sealed(encodeEntry(add), 1, key), 1, LOG, 'encrypted', keys)),
    'sealed-membership'
  )
  assert.equal(
    reasonOf(() => readEntry(encodeEntry(put), 1, LOG, 'encrypted', keys)),
    'not-encrypted'
  )
  assert.equal(
    reasonOf(() => readEntry(clear(encodeEntry(add)), 1, LOG, 'plain', null)),
    'unexpected-frame'
  )
  assert.equal(
    reasonOf(() => readEntry(b4a.from([FRAME_CLEAR, 1]), 1, LOG, 'encrypted', null)),
    'bad-frame'
  )
  assert.deepEqual(readEntry(encodeEntry(put), 1, LOG, 'plain', null), put)
  const header = encodeHeader({ protocol: 'peerbee', db: LOG })
  assert.equal(readHeader(clear(header)).framing, 'clear')
  assert.equal(readHeader(header).framing, 'plain')
  assert.equal(
    reasonOf(() => readHeader(sealed(header, 0, key))),
    'bad-header'
  )
})

test('a key sealed to a writer log opens with that log key pair only; past keys open under the newer key', () => {
  const member = crypto.keyPair()
  const other = crypto.keyPair()
  const key = newKey()
  const box = sealKey(key, boxPublicKeyOf(member.publicKey))
  assert.equal(hex(openSealedKey(box, boxKeyPairOf(member))!), hex(key))
  assert.equal(openSealedKey(box, boxKeyPairOf(other)), null)
  const old = newKey()
  const past = lockPast(old, key)
  assert.equal(hex(unlockPast(past.id, past.box, key)!), hex(old))
  assert.equal(unlockPast(past.id, past.box, newKey()), null)
  assert.equal(unlockPast(keyIdOf(newKey()), past.box, key), null, 'a box under another id does not open')
})

const order = (wall: number, writer = 'aa'.repeat(32), seq = 1): KeyOrder => ({
  clock: { wall, counter: 0 },
  writer,
  seq
})

test('keyring: the key to write with follows valid ops only, whatever order they are read in', async () => {
  const me = crypto.keyPair()
  const mine = { id: writerId(me.publicKey), pair: boxKeyPairOf(me) }
  const k0 = newKey()
  const k1 = newKey()
  const k2 = newKey()
  const rotation = (key: Uint8Array, past: Uint8Array[]) => ({
    id: keyIdOf(key),
    shares: [{ writer: me.publicKey, box: sealKey(key, boxPublicKeyOf(me.publicKey)) }],
    past: past.map((p) => lockPast(p, key))
  })

  const keys = await ring([k0])
  assert.equal(hex(keys.current), hex(k0))
  // A rotation read (valid or not) teaches the key; only a valid one makes it current.
  assert.ok(await keys.learn(rotation(k1, [k0]), mine))
  assert.ok(!(await keys.learn(rotation(k1, [k0]), mine)), 'learnt once')
  assert.equal(hex(keys.current), hex(k0))
  await keys.adopt(rotation(k1, [k0]), order(10), mine)
  assert.equal(hex(keys.current), hex(k1))
  // A re-share of the old key, older or newer, does not bring it back: k1 replaced it.
  await keys.adopt(rotation(k0, []), order(20), mine)
  assert.equal(hex(keys.current), hex(k1))

  // Two concurrent rotations: the later one by the merge's order wins, read in either order.
  for (const reads of [
    [10, 11],
    [11, 10]
  ]) {
    const peer = await ring([k0])
    const ops = new Map([
      [10, rotation(k1, [k0])],
      [11, rotation(k2, [k0])]
    ])
    for (const wall of reads) await peer.adopt(ops.get(wall)!, order(wall), mine)
    assert.equal(hex(peer.current), hex(k2))
  }

  // A reader given only the newest key learns every older one from the op that introduced it.
  const reader = await ring([k1])
  assert.equal(reader.key(keyIdOf(k0)), null)
  assert.ok(await reader.learn(rotation(k1, [k0]), null))
  assert.equal(hex(reader.key(keyIdOf(k0))!), hex(k0))
  assert.equal(hex(reader.current), hex(k1), 'the key it was given stays the newest until an op says otherwise')

  // Saved and decoded, the keyring keeps what it knew.
  let saved: Uint8Array = b4a.alloc(0)
  const kept = await Keyring.create([k0], async (bytes) => {
    saved = bytes
  })
  await kept.adopt(rotation(k1, [k0]), order(10), mine)
  const again = Keyring.decode(saved, async () => {})!
  assert.equal(hex(again.current), hex(k1))
  assert.ok(again.sharedWith(keyIdOf(k1)).has(mine.id))
  assert.equal(
    Keyring.decode(b4a.from([9, 9]), async () => {}),
    null
  )
})

test('keyring: a key made for an op is held, and written with only once the op counts', async () => {
  const k0 = newKey()
  const k1 = newKey()
  const keys = await ring([k0])
  await keys.hold(k1)
  assert.equal(hex(keys.current), hex(k0))
  assert.ok(keys.holds(k1))
  await keys.adopt({ id: keyIdOf(k1), shares: [], past: [lockPast(k0, k1)] }, order(3), null)
  assert.equal(hex(keys.current), hex(k1))
  assert.deepEqual(keys.all().map(hex), [hex(k0), hex(k1)])
})
