import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import b4a from 'b4a'
import type { Entry, Key, PeerBee, PeerBeeOptions } from '../../lib/index.js'
import { collect, rejectsWithCode, waitFor } from '../helpers.js'

/**
 * The API behaviour of docs/API.md, run against any way of getting a db: every write goes to
 * `writer`, every read is checked on `reader` after `sync()`. Locally both are one db; over
 * replication the reader is another peer, so the suite also proves what replication carries.
 */
export interface Pair<K extends Key, V> {
  writer: PeerBee<K, V>
  reader: PeerBee<K, V>
  /** Makes the reader hold every write that resolved on the writer so far. */
  sync(): Promise<void>
}

/** Opens a pair with these options; everything it opens is closed when the test ends. */
export type PairFactory = <K extends Key = string, V = unknown>(
  t: TestContext,
  opts?: PeerBeeOptions
) => Promise<Pair<K, V>>

const hex = (b: Uint8Array) => b4a.toString(b, 'hex')

function keysOf<K extends Key>(entries: Array<Entry<K, unknown>>): K[] {
  return entries.map((e) => e.key)
}

/** Blocks in this peer's own writer log, as the db reports it. */
async function ownLength(db: PeerBee<any, any>): Promise<number> {
  const self = (await db.writers()).find((w) => b4a.equals(w.key, db.writerKey))
  return self?.length ?? 0
}

/** Runs the behaviour suite under `name` on dbs made by `make`. */
export function behaviourSuite(name: string, make: PairFactory): void {
  describe(name, () => {
    test('put then get returns the value, its version and no conflicts', async (t) => {
      const { writer, reader, sync } = await make<string, unknown>(t)
      await writer.put('a', { n: 1 })
      await sync()
      const e = await reader.get('a')
      assert.ok(e !== null)
      assert.equal(e.key, 'a')
      assert.deepEqual(e.value, { n: 1 })
      assert.equal(hex(e.writer), hex(writer.writerKey))
      assert.ok(e.seq >= 1, 'block 0 is the header')
      assert.equal(typeof e.clock, 'number')
      assert.deepEqual(e.conflicts, [])
    })

    test('a later put overwrites, without a conflict', async (t) => {
      const { writer, reader, sync } = await make(t)
      await writer.put('a', 1)
      await writer.put('a', 2)
      await sync()
      const e = await reader.get('a')
      assert.equal(e?.value, 2)
      assert.deepEqual(e?.conflicts, [])
    })

    test('get of an absent or deleted key is null', async (t) => {
      const { writer, reader, sync } = await make(t)
      await writer.put('gone', 'x')
      await writer.del('gone')
      await writer.del('never-written')
      await sync()
      assert.equal(await reader.get('gone'), null)
      assert.equal(await reader.get('never-written'), null)
      assert.equal(await reader.get('absent'), null)
      assert.deepEqual(keysOf(await collect(reader.list())), [])
    })

    test('a key can be written again after a delete', async (t) => {
      const { writer, reader, sync } = await make(t)
      await writer.put('k', 1)
      await writer.del('k')
      await writer.put('k', 3)
      await sync()
      assert.equal((await reader.get('k'))?.value, 3)
    })

    test('binary keys with 0x00 and 0xff bytes, in byte order', async (t) => {
      const { writer, reader, sync } = await make<Uint8Array, Uint8Array>(t, {
        keyEncoding: 'binary',
        valueEncoding: 'binary'
      })
      const keys = [[0xff], [0x00], [0x00, 0xff], [0xff, 0x00], [0x00, 0x00], [0x61], [0xff, 0xff]].map((k) =>
        b4a.from(k)
      )
      for (const k of keys) await writer.put(k, b4a.from([k.length, ...k]))
      await sync()
      for (const k of keys) {
        const e = await reader.get(b4a.from(k))
        assert.ok(e !== null, hex(k))
        assert.ok(e.key instanceof Uint8Array)
        assert.equal(hex(e.key), hex(k))
        assert.ok(e.value instanceof Uint8Array)
        assert.equal(hex(e.value), hex(b4a.from([k.length, ...k])))
      }
      const listed = (await collect(reader.list())).map((e) => hex(e.key))
      assert.deepEqual(listed, ['00', '0000', '00ff', '61', 'ff', 'ff00', 'ffff'])
      const prefixed = (await collect(reader.list({ prefix: b4a.from([0x00]) }))).map((e) => hex(e.key))
      assert.deepEqual(prefixed, ['00', '0000', '00ff'])
      const ff = (await collect(reader.list({ prefix: b4a.from([0xff]), reverse: true }))).map((e) => hex(e.key))
      assert.deepEqual(ff, ['ffff', 'ff00', 'ff'])
      const range = (await collect(reader.list({ gt: b4a.from([0x00]), lt: b4a.from([0xff]) }))).map((e) => hex(e.key))
      assert.deepEqual(range, ['0000', '00ff', '61'])
    })

    test("valueEncoding 'json' keeps JSON values, including empty ones", async (t) => {
      const { writer, reader, sync } = await make<string, unknown>(t)
      const values: Record<string, unknown> = {
        obj: { a: [1, 'two', { three: true }] },
        num: 42.5,
        str: 'héllo ✓',
        empty: '',
        emptyObj: {},
        emptyArr: [],
        zero: 0,
        no: false,
        nul: null
      }
      for (const [k, v] of Object.entries(values)) await writer.put(k, v)
      await sync()
      for (const [k, v] of Object.entries(values)) {
        const e = await reader.get(k)
        assert.ok(e !== null, `${k} is present`)
        assert.deepEqual(e.value, v, k)
      }
    })

    test("valueEncoding 'utf-8' keeps strings, the empty one too", async (t) => {
      const { writer, reader, sync } = await make<string, string>(t, { valueEncoding: 'utf-8' })
      await writer.put('s', 'plain {not json')
      await writer.put('u', 'ünïcødé 🐝')
      await writer.put('e', '')
      await sync()
      assert.equal((await reader.get('s'))?.value, 'plain {not json')
      assert.equal((await reader.get('u'))?.value, 'ünïcødé 🐝')
      const e = await reader.get('e')
      assert.ok(e !== null, 'an empty value is a value, not a delete')
      assert.equal(e.value, '')
    })

    test("valueEncoding 'binary' keeps bytes, the empty array too", async (t) => {
      const { writer, reader, sync } = await make<string, Uint8Array>(t, { valueEncoding: 'binary' })
      await writer.put('b', b4a.from([0, 255, 1, 0]))
      await writer.put('e', new Uint8Array(0))
      await sync()
      const b = await reader.get('b')
      assert.ok(b?.value instanceof Uint8Array)
      assert.equal(hex(b.value), '00ff0100')
      const e = await reader.get('e')
      assert.ok(e !== null, 'an empty value is a value, not a delete')
      assert.equal(e.value.byteLength, 0)
      assert.deepEqual(keysOf(await collect(reader.list())), ['b', 'e'])
    })

    test('utf-8 keys list in byte order of their encoding', async (t) => {
      const { writer, reader, sync } = await make(t)
      for (const k of ['é', 'z', 'A', 'a', '~', 'ab']) await writer.put(k, k)
      await sync()
      assert.deepEqual(keysOf(await collect(reader.list())), ['A', 'a', 'ab', 'z', '~', 'é'])
    })

    test('a batch is one entry; the last op per key wins', async (t) => {
      const { writer, reader, sync } = await make(t)
      await writer.put('del-then-put', 0)
      await writer.put('put-then-del', 0)
      const before = await ownLength(writer)
      const b = writer.batch()
      b.put('x', 1)
      b.put('x', 2)
      b.put('put-then-del', 1)
      b.del('put-then-del')
      b.del('del-then-put')
      b.put('del-then-put', 'back')
      b.put('y', 'y')
      await b.flush()
      assert.equal(await ownLength(writer), before + 1, 'exactly one entry appended')
      await sync()
      assert.equal((await reader.get('x'))?.value, 2)
      assert.equal(await reader.get('put-then-del'), null)
      assert.equal((await reader.get('del-then-put'))?.value, 'back')
      const x = await reader.get('x')
      const y = await reader.get('y')
      assert.equal(x?.seq, y?.seq, 'all ops of a batch share one entry')
      assert.equal(x?.clock, y?.clock)
      assert.equal((await reader.history('x')).length, 1, 'one version per key per entry')
    })

    test('an empty batch writes nothing', async (t) => {
      const { writer } = await make(t)
      const before = await ownLength(writer)
      await writer.batch().flush()
      assert.equal(await ownLength(writer), before)
    })

    test('list ranges: gt, gte, lt, lte, prefix, reverse, limit', async (t) => {
      const { writer, reader, sync } = await make(t)
      const b = writer.batch()
      for (const k of ['a', 'aa', 'ab', 'b', 'c', 'd', 'e']) b.put(k, k.toUpperCase())
      await b.flush()
      await sync()
      const keys = async (range: Parameters<typeof reader.list>[0]) => keysOf(await collect(reader.list(range)))
      assert.deepEqual(await keys(undefined), ['a', 'aa', 'ab', 'b', 'c', 'd', 'e'])
      assert.deepEqual(await keys({ gt: 'b' }), ['c', 'd', 'e'])
      assert.deepEqual(await keys({ gte: 'b' }), ['b', 'c', 'd', 'e'])
      assert.deepEqual(await keys({ lt: 'b' }), ['a', 'aa', 'ab'])
      assert.deepEqual(await keys({ lte: 'b' }), ['a', 'aa', 'ab', 'b'])
      assert.deepEqual(await keys({ gt: 'a', lt: 'c' }), ['aa', 'ab', 'b'])
      assert.deepEqual(await keys({ gte: 'aa', lte: 'c' }), ['aa', 'ab', 'b', 'c'])
      assert.deepEqual(await keys({ gt: 'bb', lt: 'c' }), [])
      assert.deepEqual(await keys({ prefix: 'a' }), ['a', 'aa', 'ab'])
      assert.deepEqual(await keys({ prefix: 'a', reverse: true }), ['ab', 'aa', 'a'])
      assert.deepEqual(await keys({ prefix: 'x' }), [])
      assert.deepEqual(await keys({ reverse: true }), ['e', 'd', 'c', 'b', 'ab', 'aa', 'a'])
      assert.deepEqual(await keys({ reverse: true, lt: 'c' }), ['b', 'ab', 'aa', 'a'])
      assert.deepEqual(await keys({ limit: 2 }), ['a', 'aa'])
      assert.deepEqual(await keys({ reverse: true, limit: 3 }), ['e', 'd', 'c'])
      assert.deepEqual(await keys({ gte: 'b', limit: 2 }), ['b', 'c'])
      assert.deepEqual(await keys({ limit: 0 }), [])
      const values = (await collect(reader.list({ prefix: 'a' }))).map((e) => e.value)
      assert.deepEqual(values, ['A', 'AA', 'AB'])
    })

    test('list skips deleted keys and applies limit after skipping them', async (t) => {
      const { writer, reader, sync } = await make(t)
      for (const k of ['a', 'b', 'c', 'd', 'e']) await writer.put(k, k)
      await writer.del('a')
      await writer.del('b')
      await writer.del('d')
      await sync()
      const keys = async (range: Parameters<typeof reader.list>[0]) => keysOf(await collect(reader.list(range)))
      assert.deepEqual(await keys({}), ['c', 'e'])
      assert.deepEqual(await keys({ limit: 1 }), ['c'])
      assert.deepEqual(await keys({ limit: 2 }), ['c', 'e'])
      assert.deepEqual(await keys({ reverse: true, limit: 2 }), ['e', 'c'])
      assert.deepEqual(await keys({ lt: 'd', limit: 5 }), ['c'])
    })

    test('list iterates over a snapshot taken at the call', async (t) => {
      const { writer, reader, sync } = await make(t)
      await writer.put('a', 1)
      await writer.put('b', 1)
      await sync()
      const iterable = reader.list()
      await writer.put('c', 1)
      await writer.del('a')
      await writer.put('b', 2)
      await sync()
      const seen = await collect(iterable)
      assert.deepEqual(keysOf(seen), ['a', 'b'])
      assert.deepEqual(
        seen.map((e) => e.value),
        [1, 1]
      )
      assert.deepEqual(keysOf(await collect(reader.list())), ['b', 'c'])
    })

    test('a snapshot sees every write resolved before it and none after', async (t) => {
      const { writer, reader, sync } = await make(t)
      await writer.put('x', 1)
      await writer.put('gone-later', 1)
      await sync()
      const snap = reader.snapshot()
      t.after(() => snap.close())
      await writer.put('x', 2)
      await writer.put('y', 1)
      await writer.del('gone-later')
      await sync()
      assert.equal((await snap.get('x'))?.value, 1)
      assert.equal(await snap.get('y'), null)
      assert.equal((await snap.get('gone-later'))?.value, 1)
      assert.deepEqual(keysOf(await collect(snap.list())), ['gone-later', 'x'])
      assert.deepEqual(keysOf(await collect(snap.list({ prefix: 'x' }))), ['x'])
      // the db itself moved on
      assert.equal((await reader.get('x'))?.value, 2)
      assert.deepEqual(keysOf(await collect(reader.list())), ['x', 'y'])
      // a snapshot taken right after a resolved write sees it
      await writer.put('z', 1)
      await sync()
      const later = reader.snapshot()
      t.after(() => later.close())
      assert.equal((await later.get('z'))?.value, 1)
      await snap.close()
    })

    test('watch yields the changes in its range and ends on close', async (t) => {
      const { writer, reader, sync } = await make(t)
      const batches: Array<Array<{ key: string; value: unknown; deleted: boolean }>> = []
      const done = (async () => {
        for await (const changes of reader.watch({ prefix: 'w/' })) batches.push(changes)
      })()
      await writer.put('w/1', 'one')
      await writer.put('other', 'not watched')
      await writer.put('w/2', 'two')
      await writer.del('w/1')
      await sync()
      const flat = () => batches.flat()
      await waitFor(() => flat().some((c) => c.key === 'w/1' && c.deleted))
      assert.ok(
        batches.every((b) => Array.isArray(b) && b.length > 0),
        'each yield is a non-empty Change[]'
      )
      assert.ok(
        flat().every((c) => c.key.startsWith('w/')),
        'nothing outside the range'
      )
      assert.deepEqual(
        flat().find((c) => c.key === 'w/2'),
        { key: 'w/2', value: 'two', deleted: false }
      )
      const w1 = flat().filter((c) => c.key === 'w/1')
      assert.deepEqual(w1.at(-1), { key: 'w/1', value: null, deleted: true })
      if (w1.length > 1) assert.deepEqual(w1[0], { key: 'w/1', value: 'one', deleted: false })
      await reader.close()
      await done
    })

    test('watch starts with the first index step after the call: what was indexed before is not yielded', async (t) => {
      const { writer } = await make(t)
      await writer.put('before', 1)
      // update() returns once this peer's own writes are indexed too.
      await writer.update()
      const seen: string[] = []
      const done = (async () => {
        for await (const changes of writer.watch()) for (const c of changes) seen.push(c.key)
      })()
      // Readable at once, indexed a few ms later: a step after the call, so watch yields it.
      await writer.put('after', 2)
      await waitFor(() => seen.includes('after'))
      assert.deepEqual(seen, ['after'])
      await writer.close()
      await done
    })

    test('history lists every version, oldest first', async (t) => {
      const { writer, reader, sync } = await make(t)
      await writer.put('h', 1)
      await writer.put('other', 'x')
      await writer.put('h', 2)
      await writer.del('h')
      await writer.put('h', 3)
      await sync()
      const versions = await reader.history('h')
      assert.deepEqual(
        versions.map((v) => [v.key, v.value, v.deleted]),
        [
          ['h', 1, false],
          ['h', 2, false],
          ['h', null, true],
          ['h', 3, false]
        ]
      )
      for (let i = 1; i < versions.length; i++) {
        assert.ok(versions[i]!.clock >= versions[i - 1]!.clock, 'oldest first by clock')
        assert.ok(versions[i]!.seq > versions[i - 1]!.seq)
      }
      assert.ok(versions.every((v) => b4a.equals(v.writer, writer.writerKey)))
      assert.deepEqual(await reader.history('never'), [])
    })

    test('the db properties describe the db and this peer', async (t) => {
      const { writer, reader } = await make(t)
      assert.equal(writer.key.byteLength, 32)
      assert.equal(hex(reader.key), hex(writer.key))
      assert.equal(reader.id, writer.id)
      assert.equal(writer.id.length, 52, 'z-base32 of 32 bytes')
      assert.equal(writer.discoveryKey.byteLength, 32)
      assert.notEqual(hex(writer.discoveryKey), hex(writer.key))
      assert.equal(hex(writer.writerKey), hex(writer.key), 'the creator writes the root log')
      assert.equal(writer.writable, true)
      assert.equal(writer.role, 'admin')
      assert.equal(reader.writerKey.byteLength, 32)
    })

    test('status reports the db, its writers and nothing invalid', async (t) => {
      const { writer, reader, sync } = await make(t)
      await writer.put('s', 1)
      await sync()
      const s = reader.status()
      assert.equal(s.key, writer.id)
      assert.equal(s.invalid, 0)
      assert.equal(s.pending, 0)
      assert.equal(typeof s.peers, 'number')
      const root = s.writers.find((w) => b4a.equals(w.key, writer.key))
      assert.ok(root !== undefined)
      assert.equal(root.role, 'admin')
      assert.equal(root.removed, false)
      assert.equal(root.length, 2, 'header + one entry')
      assert.equal(root.indexed, 2)
      assert.equal(writer.status().writable, true)
    })

    test('writers, addWriter and removeWriter', async (t) => {
      const { writer, reader, sync } = await make(t)
      const w1 = b4a.alloc(32, 1)
      const w2 = b4a.alloc(32, 2)
      await writer.addWriter(w1)
      await writer.addWriter(b4a.toString(w2, 'hex'), { role: 'admin' })
      await sync()
      const byKey = async () => new Map((await reader.writers()).map((w) => [hex(w.key), w]))
      let all = await byKey()
      assert.equal(all.size, 3)
      assert.equal(all.get(hex(writer.key))?.role, 'admin')
      assert.equal(all.get(hex(w1))?.role, 'writer')
      assert.equal(all.get(hex(w2))?.role, 'admin')
      assert.ok([...all.values()].every((w) => !w.removed))
      await writer.removeWriter(w1)
      await sync()
      all = await byKey()
      assert.equal(all.get(hex(w1))?.removed, true)
      assert.equal(all.get(hex(w2))?.removed, false)
    })

    test('keys must be non-empty and of the key encoding: INVALID_KEY', async (t) => {
      const { writer } = await make<any, any>(t)
      for (const bad of ['', 1, null, undefined, {}, b4a.from('bytes')]) {
        await rejectsWithCode(() => writer.put(bad, 1), 'INVALID_KEY')
        await rejectsWithCode(() => writer.del(bad), 'INVALID_KEY')
        await rejectsWithCode(() => writer.get(bad), 'INVALID_KEY')
        await rejectsWithCode(() => writer.history(bad), 'INVALID_KEY')
        await rejectsWithCode(() => writer.batch().put(bad, 1).flush(), 'INVALID_KEY')
      }
      const bin = await make<any, any>(t, { keyEncoding: 'binary' })
      for (const bad of [new Uint8Array(0), 'string', 5]) {
        await rejectsWithCode(() => bin.writer.put(bad, 1), 'INVALID_KEY')
        await rejectsWithCode(() => bin.writer.get(bad), 'INVALID_KEY')
      }
      assert.deepEqual(await collect(writer.list()), [])
      assert.deepEqual(await collect(bin.writer.list()), [])
    })

    test('values must fit the value encoding: INVALID_VALUE', async (t) => {
      const json = await make<string, any>(t)
      const circular: Record<string, unknown> = {}
      circular.self = circular
      for (const bad of [undefined, 10n, circular, () => 1]) {
        await rejectsWithCode(() => json.writer.put('k', bad), 'INVALID_VALUE')
        await rejectsWithCode(() => json.writer.batch().put('k', bad).flush(), 'INVALID_VALUE')
      }
      const utf8 = await make<string, any>(t, { valueEncoding: 'utf-8' })
      for (const bad of [1, null, b4a.from('x'), {}])
        await rejectsWithCode(() => utf8.writer.put('k', bad), 'INVALID_VALUE')
      const bin = await make<string, any>(t, { valueEncoding: 'binary' })
      for (const bad of ['x', 1, null, [1, 2]]) await rejectsWithCode(() => bin.writer.put('k', bad), 'INVALID_VALUE')
      for (const db of [json.writer, utf8.writer, bin.writer]) assert.equal(await db.get('k'), null)
    })

    test('limits: KEY_TOO_LARGE, VALUE_TOO_LARGE (bytes, not characters), at the limit is fine', async (t) => {
      const { writer, reader, sync } = await make<string, string>(t, {
        maxKeySize: 8,
        maxValueSize: 16,
        valueEncoding: 'utf-8'
      })
      await rejectsWithCode(() => writer.put('123456789', 'v'), 'KEY_TOO_LARGE')
      await rejectsWithCode(() => writer.put('éééé1', 'v'), 'KEY_TOO_LARGE') // 9 bytes, 5 chars
      await rejectsWithCode(() => writer.del('123456789'), 'KEY_TOO_LARGE')
      await rejectsWithCode(() => writer.put('k', 'x'.repeat(17)), 'VALUE_TOO_LARGE')
      await rejectsWithCode(() => writer.put('k', 'é'.repeat(9)), 'VALUE_TOO_LARGE') // 18 bytes
      await rejectsWithCode(() => writer.batch().put('ok', 'v').put('k', 'x'.repeat(17)).flush(), 'VALUE_TOO_LARGE')
      await writer.put('12345678', 'x'.repeat(16))
      await sync()
      assert.deepEqual(keysOf(await collect(reader.list())), ['12345678'])
    })

    test('default limits: 1 KiB keys, 1 MiB values', async (t) => {
      const { writer, reader, sync } = await make<string, string>(t, { valueEncoding: 'utf-8' })
      await rejectsWithCode(() => writer.put('k'.repeat(1025), 'v'), 'KEY_TOO_LARGE')
      await rejectsWithCode(() => writer.put('k', 'v'.repeat(1024 * 1024 + 1)), 'VALUE_TOO_LARGE')
      await writer.put('k'.repeat(1024), 'v'.repeat(1024 * 1024))
      await sync()
      assert.equal((await reader.get('k'.repeat(1024)))?.value.length, 1024 * 1024)
    })

    test('a batch over 10,000 ops: BATCH_TOO_LARGE', async (t) => {
      const { writer } = await make(t)
      const before = await ownLength(writer)
      const b = writer.batch()
      for (let i = 0; i <= 10_000; i++) b.put('k' + i, i)
      await rejectsWithCode(() => b.flush(), 'BATCH_TOO_LARGE')
      assert.equal(await ownLength(writer), before)
      assert.equal(await writer.get('k0'), null)
    })

    test('a call that throws writes nothing', async (t) => {
      const { writer, reader, sync } = await make(t, { maxKeySize: 4 })
      await writer.put('ok', 0)
      const before = await ownLength(writer)
      await rejectsWithCode(() => writer.batch().put('a', 1).put('', 2).flush(), 'INVALID_KEY')
      await rejectsWithCode(() => writer.batch().put('b', 1).del('toolong').flush(), 'KEY_TOO_LARGE')
      await rejectsWithCode(() => writer.batch().put('c', 1).put('d', undefined).flush(), 'INVALID_VALUE')
      await rejectsWithCode(() => writer.put('e', undefined), 'INVALID_VALUE')
      assert.equal(await ownLength(writer), before, 'no entry appended')
      await writer.put('ok', 1)
      await sync()
      assert.deepEqual(keysOf(await collect(reader.list())), ['ok'])
      assert.equal((await reader.history('ok')).length, 2)
    })

    test('after close every method rejects with CLOSED', async (t) => {
      const { writer } = await make(t)
      await writer.put('a', 1)
      await writer.close()
      await writer.close() // idempotent
      await rejectsWithCode(() => writer.put('a', 2), 'CLOSED')
      await rejectsWithCode(() => writer.get('a'), 'CLOSED')
      await rejectsWithCode(() => writer.del('a'), 'CLOSED')
      await rejectsWithCode(() => writer.batch().put('a', 3).flush(), 'CLOSED')
      await rejectsWithCode(() => writer.history('a'), 'CLOSED')
      await rejectsWithCode(() => writer.writers(), 'CLOSED')
      await rejectsWithCode(() => writer.update(), 'CLOSED')
      await rejectsWithCode(() => writer.addWriter(b4a.alloc(32, 7)), 'CLOSED')
      await rejectsWithCode(() => writer.removeWriter(b4a.alloc(32, 7)), 'CLOSED')
      await rejectsWithCode(() => collect(writer.list()), 'CLOSED')
      await rejectsWithCode(() => writer.snapshot().get('a'), 'CLOSED')
      assert.deepEqual(await collect(writer.watch()), [], 'watch of a closed db ends at once')
    })
  })
}
