import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import b4a from 'b4a'
import fc from 'fast-check'
import {
  DecodeError,
  FORMAT_VERSION,
  decodeEntry,
  decodeHeader,
  encodeEntry,
  encodeHeader
} from '../../lib/log/codec.js'
import type { LogEntry, Op } from '../../lib/log/entry.js'

/** Golden blocks: committed hex that every later version of the codec must still decode alike. */
interface Fixture {
  name: string
  kind: 'header' | 'entry'
  value: unknown
  hex: string
}

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/log-v1.json', import.meta.url), 'utf-8')) as Fixture[]

const hex = (b: Uint8Array) => b4a.toString(b, 'hex')

/** A decoded entry with bytes as hex, so Buffers and Uint8Arrays compare alike. */
function plainEntry(e: LogEntry): unknown {
  return {
    clock: { wall: e.clock.wall, counter: e.clock.counter },
    ops: e.ops.map((o) => {
      switch (o.type) {
        case 'put':
          return {
            type: o.type,
            key: hex(o.key),
            value: hex(o.value),
            parents: o.parents.map((p) => ({ writer: hex(p.writer), seq: p.seq }))
          }
        case 'del':
          return {
            type: o.type,
            key: hex(o.key),
            parents: o.parents.map((p) => ({ writer: hex(p.writer), seq: p.seq }))
          }
        case 'add-writer':
          return { type: o.type, key: hex(o.key), role: o.role }
        case 'remove-writer':
          return { type: o.type, key: hex(o.key), length: o.length }
        case 'keys':
          return {
            type: o.type,
            id: hex(o.id),
            shares: o.shares.map((s) => ({ writer: hex(s.writer), box: hex(s.box) })),
            past: o.past.map((p) => ({ id: hex(p.id), box: hex(p.box) }))
          }
      }
    })
  }
}

function decodeFails(fn: () => unknown, reason: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DecodeError, `expected a DecodeError, got ${String(err)}`)
    assert.equal(err.reason, reason)
    return true
  })
}

const key32 = (byte: number) => b4a.alloc(32, byte)
const sample: LogEntry = {
  clock: { wall: 1_700_000_000_000, counter: 2 },
  ops: [{ type: 'put', key: b4a.from('k'), value: b4a.from('"v"'), parents: [{ writer: key32(1), seq: 3 }] }]
}

test('golden fixtures of format v1 still decode to the committed values', () => {
  assert.ok(fixtures.length >= 6)
  for (const f of fixtures) {
    const block = b4a.from(f.hex, 'hex')
    if (f.kind === 'header') {
      const h = decodeHeader(block)
      assert.deepEqual({ protocol: h.protocol, db: hex(h.db) }, f.value, f.name)
      decodeFails(() => decodeEntry(block), 'not-an-entry')
    } else {
      assert.deepEqual(plainEntry(decodeEntry(block)), f.value, f.name)
      decodeFails(() => decodeHeader(block), 'not-a-header')
    }
  }
})

test('golden fixtures re-encode to the same bytes', () => {
  for (const f of fixtures) {
    const block = b4a.from(f.hex, 'hex')
    const again = f.kind === 'header' ? encodeHeader(decodeHeader(block)) : encodeEntry(decodeEntry(block))
    assert.equal(hex(again), f.hex, f.name)
  }
})

test('every block starts with the format version', () => {
  assert.equal(FORMAT_VERSION, 1)
  assert.equal(encodeHeader({ protocol: 'peerbee', db: key32(9) })[0], 1)
  assert.equal(encodeEntry(sample)[0], 1)
})

test('header round trip', () => {
  const h = decodeHeader(encodeHeader({ protocol: 'peerbee', db: key32(0xab) }))
  assert.equal(h.protocol, 'peerbee')
  assert.equal(hex(h.db), hex(key32(0xab)))
})

test('a header of another protocol is refused', () => {
  // version 1, kind header, then the string 'notpeerbee' and a db key
  const block = b4a.concat([b4a.from([1, 0, 10]), b4a.from('notpeerbee'), key32(1)])
  decodeFails(() => decodeHeader(block), 'not-peerbee')
})

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((u) => b4a.from(u))
const refArb = fc.record({ writer: bytes(32, 32), seq: fc.nat({ max: 2 ** 40 }) })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    type: fc.constant('put' as const),
    key: bytes(1, 40),
    value: bytes(0, 80),
    parents: fc.array(refArb, { maxLength: 3 })
  }),
  fc.record({ type: fc.constant('del' as const), key: bytes(1, 40), parents: fc.array(refArb, { maxLength: 3 }) }),
  fc.record({
    type: fc.constant('add-writer' as const),
    key: bytes(32, 32),
    role: fc.constantFrom('writer' as const, 'admin' as const)
  }),
  fc.record({ type: fc.constant('remove-writer' as const), key: bytes(32, 32), length: fc.nat({ max: 2 ** 40 }) }),
  fc.record({
    type: fc.constant('keys' as const),
    id: bytes(8, 8),
    shares: fc.array(fc.record({ writer: bytes(32, 32), box: bytes(0, 96) }), { maxLength: 3 }),
    past: fc.array(fc.record({ id: bytes(8, 8), box: bytes(0, 64) }), { maxLength: 3 })
  })
)
const entryArb: fc.Arbitrary<LogEntry> = fc.record({
  clock: fc.record({ wall: fc.nat({ max: 2 ** 48 }), counter: fc.nat({ max: 0xffff }) }),
  ops: fc.array(opArb, { maxLength: 6 })
})

test('entry round trip (property)', () => {
  fc.assert(
    fc.property(entryArb, (entry) => {
      assert.deepEqual(plainEntry(decodeEntry(encodeEntry(entry))), plainEntry(entry))
    }),
    { seed: 1, numRuns: 300 }
  )
})

test('any strict prefix of an entry is refused, never misread', () => {
  fc.assert(
    fc.property(entryArb, fc.nat(), (entry, cut) => {
      const block = encodeEntry(entry)
      const prefix = block.subarray(0, cut % block.byteLength)
      assert.throws(() => decodeEntry(prefix), DecodeError)
    }),
    { seed: 2, numRuns: 300 }
  )
})

test('trailing bytes are refused', () => {
  const block = encodeEntry(sample)
  decodeFails(() => decodeEntry(b4a.concat([block, b4a.from([0])])), 'trailing-bytes')
  const header = encodeHeader({ protocol: 'peerbee', db: key32(1) })
  decodeFails(() => decodeHeader(b4a.concat([header, b4a.from([0])])), 'trailing-bytes')
})

test('an unknown format version is refused', () => {
  const block = b4a.from(encodeEntry(sample))
  block[0] = 2
  decodeFails(() => decodeEntry(block), 'unknown-version')
  const header = b4a.from(encodeHeader({ protocol: 'peerbee', db: key32(1) }))
  header[0] = 0
  decodeFails(() => decodeHeader(header), 'unknown-version')
})

test('an unknown op type is refused', () => {
  // version 1, kind entry, wall 5, counter 0, one op of type 9
  decodeFails(() => decodeEntry(b4a.from([1, 1, 5, 0, 1, 9])), 'unknown-op')
})

test('an unknown role is refused', () => {
  const block = b4a.from(
    encodeEntry({ clock: { wall: 5, counter: 0 }, ops: [{ type: 'add-writer', key: key32(2), role: 'admin' }] })
  )
  assert.equal(block[block.byteLength - 1], 1)
  block[block.byteLength - 1] = 7
  decodeFails(() => decodeEntry(block), 'unknown-role')
})

test('a clock counter over 16 bits is refused', () => {
  // version 1, kind entry, wall 5, counter 0x10000 (uint32 prefix 0xfe), no ops
  decodeFails(() => decodeEntry(b4a.from([1, 1, 5, 0xfe, 0x00, 0x00, 0x01, 0x00, 0])), 'bad-clock')
})

test('garbage is refused with a DecodeError, never another exception', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
      for (const decode of [decodeEntry, decodeHeader]) {
        try {
          decode(b4a.from(raw))
        } catch (err) {
          assert.ok(err instanceof DecodeError, String(err))
        }
      }
    }),
    { seed: 3, numRuns: 1000 }
  )
  decodeFails(() => decodeEntry(b4a.alloc(0)), 'undecodable')
})
