import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import b4a from 'b4a'
import Corestore from 'corestore'
import { WRITER_LOG_NAME } from '../../lib/db/storage.js'
import { PeerBee, type InvalidEntry, type PeerBeeOptions } from '../../lib/index.js'
import { encodeEntry, encodeHeader } from '../../lib/log/codec.js'
import type { LogEntry } from '../../lib/log/entry.js'
import type { Ref } from '../../lib/model/version.js'
import { collect, connect, createDb, dump, tempDir } from '../helpers.js'

/**
 * A hostile writer: a member that appends raw blocks to its own log through Corestore.
 * Honest peers must skip every bad block identically, report it, keep indexing everyone
 * else, and still count the hostile writer's later valid entries.
 */
const MAX_VALUE = 1000
const OPTS: PeerBeeOptions = { maxValueSize: MAX_VALUE }
const TEN_YEARS = 10 * 365 * 24 * 3600 * 1000

const hex = (b: Uint8Array) => b4a.toString(b, 'hex')
const json = (v: unknown) => b4a.from(JSON.stringify(v))

function put(key: string, value: unknown, parents: Ref[] = []) {
  return { type: 'put' as const, key: b4a.from(key), value: json(value), parents }
}

/** A db that fails the test if it ever emits 'error', and records its 'invalid' events. */
async function observed(t: TestContext, opts: PeerBeeOptions, dir?: string) {
  const db = await createDb<string, unknown>(t, { ...OPTS, ...opts }, dir)
  const invalid: InvalidEntry[] = []
  const errors: unknown[] = []
  db.on('invalid', (e: InvalidEntry) => invalid.push(e))
  db.on('error', (err: unknown) => errors.push(err))
  return { db, invalid, errors }
}

test('a hostile writer appending raw blocks stalls and crashes no one', async (t) => {
  const honest = await observed(t, {})
  const a = honest.db
  const hostileDir = await tempDir(t)
  let hostile = new PeerBee<string, unknown>(hostileDir, { ...OPTS, key: a.key })
  await hostile.ready()
  const hostileKey = hostile.writerKey

  // the hostile peer becomes a writer and writes one valid entry the normal way
  let cut = connect(a, hostile)
  await a.addWriter(hostileKey)
  await a.put('a/0', 0)
  await a.put('a/other', 'not the key cited below')
  await hostile.update()
  await hostile.put('h/valid-1', 1)
  await a.update()
  cut()
  await hostile.close()
  const other = (await a.get('a/other'))!
  const honestClock = (await a.get('a/0'))!.clock

  // meanwhile the honest writer writes a key the hostile peer has not seen
  await a.put('tie', 'honest')

  // raw blocks, straight into the hostile writer's log
  const store = new Corestore(hostileDir)
  const log = store.get({ name: WRITER_LOG_NAME })
  await log.ready()
  assert.equal(hex(log.key), hex(hostileKey))
  const clock = (n: number) => ({ wall: honestClock + 1000 + n, counter: 0 })
  const entry = (e: LogEntry) => encodeEntry(e)
  const bad: Array<{ name: string; seq: number }> = []
  const append = async (name: string | null, block: Uint8Array) => {
    const { length } = await log.append(block)
    if (name !== null) bad.push({ name, seq: length - 1 })
    return length - 1
  }
  const truncated = entry({ clock: clock(1), ops: [put('bad/truncated', 'x')] })
  const unknownVersion = b4a.from(entry({ clock: clock(2), ops: [put('bad/version', 'x')] }))
  unknownVersion[0] = 2
  await append('garbage', b4a.from('this is not a peerbee block at all'))
  await append('truncated', truncated.subarray(0, truncated.byteLength - 3))
  await append('unknown version', unknownVersion)
  await append('second header naming another db', encodeHeader({ protocol: 'peerbee', db: b4a.alloc(32, 0xee) }))
  await append('oversized value', entry({ clock: clock(3), ops: [put('bad/big', 'x'.repeat(MAX_VALUE))] }))
  await append(
    'parent: its own seq',
    entry({ clock: clock(4), ops: [put('bad/self', 'x', [{ writer: hostileKey, seq: log.length }])] })
  )
  await append(
    'parent: a later seq of its own',
    entry({ clock: clock(5), ops: [put('bad/later', 'x', [{ writer: hostileKey, seq: log.length + 3 }])] })
  )
  await append(
    'parent: an entry that does not touch the key',
    entry({ clock: clock(6), ops: [put('bad/untouched', 'x', [{ writer: a.key, seq: other.seq }])] })
  )
  await append(
    'a batch with one bad op',
    entry({ clock: clock(7), ops: [put('bad/batch-ok', 'x'), put('bad/batch-big', 'y'.repeat(MAX_VALUE + 10))] })
  )
  // valid, after all that: it must count
  await append(null, entry({ clock: clock(8), ops: [put('h/valid-2', 2)] }))
  // valid, with a clock ten years ahead: counts like any other version
  const future = Date.now() + TEN_YEARS
  await append(
    null,
    entry({ clock: { wall: future, counter: 0 }, ops: [put('tie', 'hostile-future'), put('h/future', 'f')] })
  )
  await store.close()

  // back as a PeerBee: its own index validates its own log like remote input
  const h = await observed(t, { key: a.key }, hostileDir)
  hostile = h.db
  const r1 = await observed(t, { key: a.key })
  const r2 = await observed(t, { key: a.key })
  const cuts = [connect(a, hostile), connect(a, r1.db), connect(hostile, r2.db), connect(r1.db, r2.db)]
  for (const c of cuts) t.after(c)

  // the honest writer keeps writing while everyone catches up
  for (let i = 1; i <= 5; i++) await a.put(`a/${i}`, i)
  await hostile.put('h/valid-3', 3)
  const peers = [honest, h, r1, r2]
  for (let pass = 0; pass < 2; pass++) for (const p of peers) await p.db.update()

  const expectedSeqs = bad.map((b) => b.seq).sort((x, y) => x - y)
  const first = await dump(a)
  for (const p of peers) {
    const name = p === honest ? 'root' : p === h ? 'hostile' : p === r1 ? 'reader 1' : 'reader 2'
    assert.deepEqual(p.errors, [], `${name}: no 'error'`)
    // every honest write arrived
    for (let i = 0; i <= 5; i++) assert.equal((await p.db.get(`a/${i}`))?.value, i, `${name}: a/${i}`)
    // the hostile writer's valid entries count, before and after the bad ones
    assert.equal((await p.db.get('h/valid-1'))?.value, 1, `${name}: h/valid-1`)
    assert.equal((await p.db.get('h/valid-2'))?.value, 2, `${name}: h/valid-2`)
    assert.equal((await p.db.get('h/valid-3'))?.value, 3, `${name}: h/valid-3`)
    assert.equal((await p.db.get('h/future'))?.value, 'f', `${name}: a far-future clock is not invalid`)
    // nothing of a bad entry, not even the good op of a bad batch
    assert.deepEqual(await collect(p.db.list({ prefix: 'bad/' })), [], `${name}: no bad op applied`)
    // skipped identically and reported
    assert.equal(p.db.status().invalid, bad.length, `${name}: status().invalid`)
    const hostileInvalid = p.invalid.filter((e) => b4a.equals(e.writer, hostileKey))
    if (p !== h) {
      assert.deepEqual(
        [...new Set(hostileInvalid.map((e) => e.seq))].sort((x, y) => x - y),
        expectedSeqs,
        `${name}: an 'invalid' event for each bad block`
      )
    }
    const info = (await p.db.writers()).find((w) => b4a.equals(w.key, hostileKey))
    assert.equal(info?.indexed, info?.length, `${name}: the hostile log is fully processed, not stalled`)
    assert.deepEqual(await dump(p.db), first, `${name}: same state as the root`)
  }
  // the reasons are the same on both receivers
  const reasons = (p: typeof r1) => p.invalid.map((e) => [e.seq, e.reason]).sort()
  assert.deepEqual(reasons(r1), reasons(r2))

  // the far-future version wins the tie it did not see, on every peer...
  for (const p of peers) {
    const tie = await p.db.get('tie')
    assert.equal(tie?.value, 'hostile-future')
    assert.deepEqual(
      tie.conflicts.map((c) => c.value),
      ['honest']
    )
  }
  // ...but loses to a write that saw it, and never drags an honest clock along
  await r1.db.update()
  await a.put('tie', 'honest-again')
  assert.ok((await a.get('tie'))!.clock < Date.now() + 10 * 60_000, 'the local clock did not adopt the future')
  for (const p of peers) await p.db.update()
  for (const p of peers) {
    const tie = await p.db.get('tie')
    assert.equal(tie?.value, 'honest-again')
    assert.deepEqual(tie.conflicts, [])
  }
})

test('a writer log whose header names another db is never indexed', async (t) => {
  const a = await observed(t, {})
  // a peer of another db: its block 0 names its own db
  const foreign = await observed(t, {})
  await foreign.db.put('foreign/k', 1)
  const r = await observed(t, { key: a.db.key })
  t.after(connect(a.db, foreign.db))
  t.after(connect(a.db, r.db))
  await a.db.addWriter(foreign.db.writerKey)
  await a.db.put('a/k', 1)
  for (const p of [a, r, a, r]) await p.db.update()
  for (const p of [a, r]) {
    assert.deepEqual(p.errors, [])
    assert.equal(await p.db.get('foreign/k'), null)
    assert.equal((await p.db.get('a/k'))?.value, 1)
    assert.equal(p.db.status().invalid, 1)
    assert.deepEqual(
      p.invalid.map((e) => [hex(e.writer), e.seq]),
      [[hex(foreign.db.writerKey), 0]]
    )
  }
})
