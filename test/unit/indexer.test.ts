import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import b4a from 'b4a'
import Corestore from 'corestore'
import { Indexer } from '../../lib/indexer/indexer.js'
import { LogReader, type LogSource } from '../../lib/indexer/log-reader.js'
import { MembershipTracker } from '../../lib/indexer/membership-tracker.js'
import { readiness } from '../../lib/indexer/readiness.js'
import { WriterTable } from '../../lib/indexer/writers.js'
import { MAX_ENTRY_BYTES, encodeEntry, encodeHeader } from '../../lib/log/codec.js'
import type { LogEntry, Op } from '../../lib/log/entry.js'
import { keyId, writerId } from '../../lib/model/ids.js'
import type { MembershipFact } from '../../lib/model/membership.js'
import type { KeyChange, Ref } from '../../lib/model/version.js'
import type { InvalidEntry } from '../../lib/types.js'
import { IndexView } from '../../lib/view/index-view.js'
import { teardown, tempDir } from '../helpers.js'

/**
 * The indexer on its own, as autobase tests its linearizer: writer logs are in memory (blocks
 * held or not, at will), the index is a real Hyperbee, and each test checks one outcome of
 * the merge rules of docs/DESIGN.md: an entry blocked on a parent, an invalid entry, a
 * retraction after a removal, a rebuild after a lost membership.
 */

const LIMITS = { maxKeySize: 1024, maxValueSize: 1024 * 1024, maxBatchOps: 10_000 }

/** A writer log in memory: its length is what the writer signed, its blocks those held here. */
class MemoryLog implements LogSource {
  readonly key: Uint8Array
  length = 0
  closed = false
  private readonly blocks = new Map<number, Uint8Array>()
  /** Blocks written but withheld, as a replica that has not downloaded them yet. */
  private readonly withheld = new Map<number, Uint8Array>()

  constructor(fill: number) {
    this.key = b4a.alloc(32, fill)
  }

  append(block: Uint8Array, held = true): number {
    const seq = this.length++
    ;(held ? this.blocks : this.withheld).set(seq, block)
    return seq
  }

  deliver(seq: number): void {
    this.blocks.set(seq, this.withheld.get(seq)!)
    this.withheld.delete(seq)
  }

  async get(seq: number): Promise<Uint8Array | null> {
    return this.blocks.get(seq) ?? null
  }
}

const put = (key: string, value: string, parents: Ref[] = []): Op => ({
  type: 'put',
  key: b4a.from(key),
  value: b4a.from(value),
  parents
})
const del = (key: string, parents: Ref[] = []): Op => ({ type: 'del', key: b4a.from(key), parents })
const addWriter = (log: MemoryLog, role: 'writer' | 'admin' = 'writer'): Op => ({
  type: 'add-writer',
  key: log.key,
  role
})

interface Harness {
  root: MemoryLog
  logs: Map<string, MemoryLog>
  view: IndexView
  indexer: Indexer
  invalid: InvalidEntry[]
  steps: KeyChange[][]
  /** A new writer log whose header names this db. */
  writer(fill: number): MemoryLog
  /** Appends an entry at wall-clock `wall`; returns its seq. */
  write(log: MemoryLog, wall: number, ops: Op[], held?: boolean): number
  /** Indexes whatever became ready. */
  settle(): Promise<void>
  /** The heads of a key as `writer fill:seq=value` (winner first), or null. */
  heads(key: string): Promise<string[] | null>
}

async function harness(t: TestContext): Promise<Harness> {
  const store = new Corestore(await tempDir(t))
  teardown(t, () => store.close())
  const view = new IndexView(store, store.get({ name: 'index' }))
  await view.ready()
  teardown(t, () => view.close())

  const logs = new Map<string, MemoryLog>()
  const invalid: InvalidEntry[] = []
  const steps: KeyChange[][] = []
  const writer = (fill: number) => {
    const log = new MemoryLog(fill)
    logs.set(writerId(log.key), log)
    log.append(encodeHeader({ protocol: 'peerbee', db: root.key }))
    return log
  }
  const root = new MemoryLog(1)
  logs.set(writerId(root.key), root)
  root.append(encodeHeader({ protocol: 'peerbee', db: root.key }))

  const indexer = new Indexer({
    dbKey: root.key,
    root,
    keys: null,
    view,
    limits: LIMITS,
    evidence: { successions: [], forkCuts: [], quotaCuts: [] },
    openWriter: async (key) => {
      const log = logs.get(writerId(key))
      assert.ok(log, 'the indexer opens only logs that exist')
      return log
    },
    observeClock: () => {},
    landed: () => {},
    stepped: (changes) => steps.push(changes),
    progressed: () => {},
    invalid: (info) => invalid.push(info),
    opaque: () => assert.fail('a db without encryption has no sealed entry'),
    failed: (err) => assert.fail(err)
  })
  await indexer.open()

  return {
    root,
    logs,
    view,
    indexer,
    invalid,
    steps,
    writer,
    write(log, wall, ops, held = true) {
      const entry: LogEntry = { clock: { wall, counter: 0 }, ops }
      return log.append(encodeEntry(entry), held)
    },
    async settle() {
      indexer.trigger()
      await indexer.idle()
    },
    async heads(key) {
      const record = await view.getRecord(b4a.from(key))
      if (record === null) return null
      return record.heads.map((h) => `${h.writer[0]}:${h.seq}=${h.deleted ? '(del)' : b4a.toString(h.value!)}`)
    }
  }
}

const ref = (log: MemoryLog, seq: number): Ref => ({ writer: log.key, seq })

test('an entry citing a block not held yet waits, and only its own writer waits', async (t) => {
  const h = await harness(t)
  const b = h.writer(2)
  h.write(h.root, 10, [addWriter(b)])
  await h.settle()

  const a1 = h.write(h.root, 11, [put('k', 'root')], false)
  h.write(b, 12, [put('k', 'b', [ref(h.root, a1)])])
  h.write(h.root, 13, [put('other', 'x')], false)
  await h.settle()
  assert.equal(await h.heads('k'), null, "b's entry waits for the root's block it cites")
  assert.equal(h.indexer.committed(writerId(b.key)), 1, 'only the header of b is processed')

  h.root.deliver(a1)
  await h.settle()
  assert.deepEqual(await h.heads('k'), ['2:1=b'], "b's version supersedes the one it cites")
  assert.equal(h.indexer.committed(writerId(b.key)), 2)
  assert.equal(await h.heads('other'), null, 'the root log waits at its own missing block 3')
})

test('a writer that waits on a parent does not block the other writers', async (t) => {
  const h = await harness(t)
  const b = h.writer(2)
  const c = h.writer(3)
  h.write(h.root, 10, [addWriter(b), addWriter(c)])
  const missing = h.write(h.root, 11, [put('k', 'root')], false)
  h.write(b, 12, [put('k', 'b', [ref(h.root, missing)])])
  h.write(c, 12, [put('c', 'c')])
  await h.settle()
  assert.deepEqual(await h.heads('c'), ['3:1=c'])
  assert.equal(await h.heads('k'), null)
})

test('a parent that can never be satisfied makes the entry invalid; the writer goes on', async (t) => {
  const h = await harness(t)
  const b = h.writer(2)
  h.write(h.root, 10, [addWriter(b)])
  const other = h.write(h.root, 11, [put('other', 'x')])
  const bad = h.write(b, 12, [put('k', 'cites an entry without k', [ref(h.root, other)])])
  h.write(b, 13, [put('k', 'valid')])
  await h.settle()
  assert.deepEqual(
    h.invalid.map((i) => [i.writer[0], i.seq, i.reason]),
    [[2, bad, 'bad-parent']]
  )
  assert.deepEqual(await h.heads('k'), ['2:2=valid'])
  assert.equal(h.indexer.invalid, 1)
})

test('readiness: content checks, then each parent processed and touching the key', async (t) => {
  const h = await harness(t)
  const b = h.writer(2)
  h.write(h.root, 10, [addWriter(b)])
  const a1 = h.write(h.root, 11, [put('k', 'root')])
  await h.settle()
  const w = h.indexer.writers.get(writerId(b.key))!
  const ctx = {
    limits: LIMITS,
    writers: h.indexer.writers,
    reader: new LogReader({ root: h.root, keys: null }),
    membership: h.indexer.membership
  }
  const entry = (ops: Op[]): LogEntry => ({ clock: { wall: 20, counter: 0 }, ops })

  assert.equal(await readiness(entry([put('k', 'v', [ref(h.root, a1)])]), w, 1, ctx), 'ready')
  assert.equal(await readiness(entry([put('k', 'v', [ref(h.root, a1 + 1)])]), w, 1, ctx), 'blocked')
  const stranger = new MemoryLog(0xee)
  assert.equal(await readiness(entry([put('k', 'v', [ref(stranger, 5)])]), w, 1, ctx), 'blocked', 'not a member yet')
  assert.deepEqual(await readiness(entry([put('x', 'v', [ref(h.root, a1)])]), w, 1, ctx), { invalid: 'bad-parent' })
  assert.deepEqual(await readiness(entry([put('k', 'v', [ref(b, 1)])]), w, 1, ctx), { invalid: 'bad-parent' })
  assert.deepEqual(await readiness(entry([put('k', '1'), del('k')]), w, 1, ctx), { invalid: 'duplicate-key' })
})

test('retraction: a removal cut below indexed entries takes them back and restores what they superseded, before a wait for the removal ends', async (t) => {
  const h = await harness(t)
  const b = h.writer(2)
  h.write(h.root, 10, [addWriter(b)])
  const first = h.write(h.root, 11, [put('k', 'root')])
  h.write(b, 12, [put('k', 'b', [ref(h.root, first)])])
  h.write(b, 13, [put('only-b', 'x')])
  await h.settle()
  assert.deepEqual(await h.heads('k'), ['2:1=b'])

  // The root removes b having seen only b's header: both entries of b stop counting.
  const removal = h.write(h.root, 14, [{ type: 'remove-writer', key: b.key, length: 1 }])
  // Whoever waits for the removal to be indexed is let go once the retraction landed too: the
  // removal's step changes no key, the retraction's step right after it changes k and only-b.
  const stepsWhenLetGo = h.indexer.indexed(writerId(h.root.key), removal + 1).then(() => h.steps.length)
  const before = h.steps.length
  await h.settle()
  assert.equal(await stepsWhenLetGo, before + 1, 'let go once the retraction landed')
  assert.deepEqual(await h.heads('k'), ['1:2=root'], 'the superseded version is a head again')
  assert.equal(await h.heads('only-b'), null)
  assert.deepEqual(await h.view.versionsOf(b4a.from('k')), [], "b's version left the versions space too")
  assert.ok(h.steps.at(-1)!.some((c) => b4a.toString(c.key) === 'only-b' && c.record === null))
  assert.equal(h.indexer.membership.member(writerId(b.key))?.cut, 1)
})

test('retraction: a version found only through a retracted one becomes a head again', async (t) => {
  const h = await harness(t)
  const b = h.writer(2)
  h.write(h.root, 10, [addWriter(b)])
  const first = h.write(h.root, 11, [put('k', 'root')])
  const middle = h.write(b, 12, [put('k', 'b', [ref(h.root, first)])])
  h.write(h.root, 13, [put('k', 'last', [ref(b, middle)])])
  await h.settle()
  assert.deepEqual(await h.heads('k'), ['1:3=last'])
  assert.equal((await h.view.versionsOf(b4a.from('k'))).length, 2, "the root's first version, below b's")

  // b's version goes: the root's last one cites only it, so the first is a head again beside it.
  h.write(h.root, 14, [{ type: 'remove-writer', key: b.key, length: 1 }])
  await h.settle()
  assert.deepEqual(await h.heads('k'), ['1:3=last', '1:2=root'])
  assert.deepEqual(await h.view.versionsOf(b4a.from('k')), [], 'nothing left below the heads')
})

test('rebuild: a removal that invalidates an admin fact re-derives the index without what it lost', async (t) => {
  const h = await harness(t)
  const admin = h.writer(2)
  const d = h.writer(3)
  h.write(h.root, 10, [addWriter(admin, 'admin')])
  h.write(admin, 11, [put('k', 'admin')])
  h.write(admin, 12, [addWriter(d)])
  h.write(d, 13, [put('from-d', 'd')])
  h.write(h.root, 14, [put('root-key', 'r')])
  await h.settle()
  assert.deepEqual(await h.heads('from-d'), ['3:1=d'])

  // Cut the admin after its first entry: its add of d never counted, so d's writes never did.
  h.write(h.root, 15, [{ type: 'remove-writer', key: admin.key, length: 2 }])
  await h.settle()
  assert.equal(h.indexer.membership.member(writerId(d.key)), undefined, 'd is no member')
  assert.equal(await h.heads('from-d'), null)
  assert.deepEqual(await h.heads('k'), ['2:1=admin'], 'the admin entry before the cut stays')
  assert.deepEqual(await h.heads('root-key'), ['1:2=r'])
  const cursors = await h.view.cursors()
  assert.equal(cursors.get(writerId(h.root.key))?.indexed, h.root.length, 'cursors were rewritten by the rebuild')
})

test('an entry this peer wrote, met again by a rebuild, waits for the versions it cites', async (t) => {
  const h = await harness(t)
  const w = h.writer(2)
  h.write(h.root, 10, [addWriter(w)])
  const cited = h.write(w, 11, [put('k', 'w')])
  h.write(w, 12, [put('other', 'past the fork')])
  await h.settle()

  // The root writes on top of what its index holds; its entry is primed, not read back.
  const entry: LogEntry = { clock: { wall: 13, counter: 0 }, ops: [put('k', 'root', [ref(w, cited)])] }
  const seq = h.root.append(encodeEntry(entry))
  const version = {
    writer: h.root.key,
    seq,
    clock: entry.clock,
    deleted: false,
    value: b4a.from('root'),
    parents: [ref(w, cited)]
  }
  h.indexer.prime(writerId(h.root.key), seq, {
    clock: entry.clock,
    versions: [{ key: b4a.from('k'), id: keyId(b4a.from('k')), version }]
  })
  // A fork of w rebuilds the index before the entry is indexed: the root's log is read first.
  h.indexer.forked(writerId(w.key), 2)
  await h.settle()
  assert.deepEqual(await h.heads('k'), [`1:${seq}=root`], 'the version it cites is superseded, not a head again')
  assert.equal(await h.heads('other'), null, 'past the fork nothing counts')
})

test('a primed entry is taken once; primed after a step read it from the log, it is not kept', async (t) => {
  const h = await harness(t)
  const root = writerId(h.root.key)
  const primedOf = (seq: number, entry: LogEntry) => ({
    clock: entry.clock,
    versions: entry.ops.map((op) => {
      const { key, value, parents } = op as { key: Uint8Array; value: Uint8Array; parents: Ref[] }
      const version = { writer: h.root.key, seq, clock: entry.clock, deleted: false, value, parents }
      return { key, id: keyId(key), version }
    })
  })
  const late: LogEntry = { clock: { wall: 10, counter: 0 }, ops: [put('late', 'v')] }
  const lateSeq = h.root.append(encodeEntry(late))
  // The append woke the indexer, which read the entry before its writer primed it.
  await h.settle()
  h.indexer.prime(root, lateSeq, primedOf(lateSeq, late))
  assert.equal(h.indexer.primedCount, 0)

  const early: LogEntry = { clock: { wall: 11, counter: 0 }, ops: [put('early', 'w')] }
  const earlySeq = h.root.append(encodeEntry(early))
  h.indexer.prime(root, earlySeq, primedOf(earlySeq, early))
  assert.equal(h.indexer.primedCount, 1)
  await h.settle()
  assert.equal(h.indexer.primedCount, 0)
  assert.deepEqual(await h.heads('late'), [`1:${lateSeq}=v`])
  assert.deepEqual(await h.heads('early'), [`1:${earlySeq}=w`])
})

test('membership tracker: additive facts apply, a lower cut asks for a retraction, a lost fact for a rebuild', () => {
  const root = 'aa'.repeat(32)
  const admin = 'bb'.repeat(32)
  const w = 'cc'.repeat(32)
  const fact = (writer: string, seq: number, wall: number, ops: MembershipFact['ops']): MembershipFact => ({
    writer,
    seq,
    clock: { wall, counter: 0 },
    ops
  })
  const tracker = new MembershipTracker(root)
  const indexed = new Map<string, number>([[root, 10]])
  const at = (id: string) => indexed.get(id)

  assert.equal(tracker.add(fact(root, 1, 1, [{ type: 'add-writer', key: admin, role: 'admin' }]), at), 'done')
  assert.equal(tracker.add(fact(admin, 1, 2, [{ type: 'add-writer', key: w, role: 'writer' }]), at), 'done')
  indexed.set(admin, 3).set(w, 5)
  assert.equal(tracker.add(fact(root, 2, 3, [{ type: 'remove-writer', key: w, length: 2 }]), at), 'retract')
  assert.deepEqual([...tracker.takeCuts()], [[w, { from: 2, to: 5 }]])
  assert.deepEqual([...tracker.takeCuts()], [], 'cuts are handed over once')
  assert.equal(tracker.add(fact(root, 3, 4, [{ type: 'remove-writer', key: admin, length: 1 }]), at), 'rebuild')
})

test('the log reader: a closed log reads as not held; an oversized block as a reason, never thrown', async () => {
  const root = new MemoryLog(1)
  root.append(encodeHeader({ protocol: 'peerbee', db: root.key }))
  const reader = new LogReader({ root, keys: null })
  const log = new MemoryLog(9)
  const seq = log.append(b4a.alloc(MAX_ENTRY_BYTES + 1))
  assert.equal(await reader.entry(writerId(log.key), log, seq), 'entry-too-large')
  const garbage = log.append(b4a.from([0xff, 0xff, 0xff]))
  assert.equal(typeof (await reader.entry(writerId(log.key), log, garbage)), 'string')
  const closed = new MemoryLog(8)
  closed.append(b4a.from('x'))
  closed.closed = true
  assert.equal(await reader.entry(writerId(closed.key), closed, 0), null)
  assert.equal(await reader.header(closed), null)
})

test('the writer table opens each log once and reports committed blocks only after a step commits', async () => {
  let opened = 0
  const log = new MemoryLog(4)
  const table = new WriterTable(async () => {
    opened++
    return log
  })
  const id = writerId(log.key)
  await Promise.all([table.add(id), table.add(id)])
  assert.equal(table.size, 1)
  assert.ok(opened >= 1)
  table.get(id)!.cursor.indexed = 3
  assert.equal(table.committed(id), 0)
  assert.equal(table.indexed(id), 3)
  table.commitCursors()
  assert.equal(table.committed(id), 3)
})
