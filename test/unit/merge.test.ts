import assert from 'node:assert/strict'
import { test } from 'node:test'
import b4a from 'b4a'
import fc from 'fast-check'
import { Overlay, overlaid } from '../../lib/db/overlay.js'
import { GroupCommit, lastOpPerKey, type QueuedOp } from '../../lib/log/group-commit.js'
import { HybridClock, MAX_CLOCK_DRIFT_MS } from '../../lib/log/hybrid-clock.js'
import { compareClocks } from '../../lib/model/clock.js'
import type { MembershipFact } from '../../lib/model/membership.js'
import type { KeyRecord, KeyVersion } from '../../lib/model/version.js'
import { addVersion, applyVersions, compareVersions, headsOf } from '../../lib/merge/heads.js'
import { resolveMembership } from '../../lib/merge/membership.js'
import type { IndexReader } from '../../lib/view/index-view.js'
import { dataKey, dataRange } from '../../lib/view/keys.js'

/** The pure merge rules of docs/DESIGN.md, section 4: heads and winner, membership, the clock. */

const W = (n: number) => b4a.alloc(32, n)
const hex = (n: number) => b4a.toString(W(n), 'hex')

function version(writer: number, seq: number, wall: number, parents: Array<[number, number]> = []): KeyVersion {
  return {
    writer: W(writer),
    seq,
    clock: { wall, counter: 0 },
    deleted: false,
    value: b4a.from(`${writer}:${seq}`),
    parents: parents.map(([w, s]) => ({ writer: W(w), seq: s }))
  }
}

const ids = (vs: KeyVersion[]) => vs.map((v) => `${v.writer[0]}:${v.seq}`)

test('clock: tick is strictly increasing, even when the wall clock stands still or goes back', () => {
  let now = 1000
  const clock = new HybridClock(() => now)
  const a = clock.tick()
  const b = clock.tick()
  now = 900
  const c = clock.tick()
  assert.ok(compareClocks(a, b) < 0 && compareClocks(b, c) < 0)
  assert.equal(c.wall, 1000, 'the wall part never goes back')
})

test('clock: a remote clock within the drift cap advances ours, one beyond it does not', () => {
  const now = 1_000_000
  const clock = new HybridClock(() => now)
  clock.observe({ wall: now + 1000, counter: 5 })
  assert.deepEqual(clock.tick(), { wall: now + 1000, counter: 6 })
  clock.observe({ wall: now + MAX_CLOCK_DRIFT_MS + 10_000, counter: 0 })
  assert.deepEqual(clock.tick(), { wall: now + 1000, counter: 7 })
})

test('heads: a version supersedes what it cites; concurrent ones stay heads, greatest first', () => {
  const a = version(1, 1, 10)
  const b = version(2, 1, 20)
  let r = addVersion([], a)
  r = addVersion(r.heads, b)
  assert.deepEqual(ids(r.heads), ['2:1', '1:1'], 'concurrent: both heads, greatest clock first')
  const c = version(1, 2, 5, [
    [1, 1],
    [2, 1]
  ])
  r = addVersion(r.heads, c)
  assert.deepEqual(ids(r.heads), ['1:2'], 'causality beats a lower clock')
  assert.deepEqual(ids(r.superseded).sort(), ['1:1', '2:1'])
})

test('heads: ties on clock break on writer key, then seq', () => {
  assert.ok(compareVersions(version(1, 9, 10), version(2, 1, 10)) < 0)
  assert.ok(compareVersions(version(2, 1, 10), version(2, 2, 10)) < 0)
})

test('heads: incremental adds equal heads computed from the whole set (property)', () => {
  // Random causal histories: each new version cites a random subset of the current heads.
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          writer: fc.integer({ min: 1, max: 4 }),
          wall: fc.integer({ min: 0, max: 5 }),
          cite: fc.array(fc.boolean(), { maxLength: 6 })
        }),
        { maxLength: 30 }
      ),
      (steps) => {
        let heads: KeyVersion[] = []
        const all: KeyVersion[] = []
        steps.forEach((step, i) => {
          const parents = heads
            .filter((_h, j) => step.cite[j] === true)
            .map((h) => [h.writer[0]!, h.seq] as [number, number])
          const v = version(step.writer, i + 1, step.wall, parents)
          all.push(v)
          heads = addVersion(heads, v).heads
        })
        assert.deepEqual(ids(heads), ids(headsOf(all)))
      }
    ),
    { seed: 42, numRuns: 200 }
  )
})

function fact(writer: number, seq: number, wall: number, ops: MembershipFact['ops']): MembershipFact {
  return { writer: hex(writer), seq, clock: { wall, counter: 0 }, ops }
}
const add = (n: number, role: 'admin' | 'writer' = 'writer') => ({ type: 'add-writer' as const, key: hex(n), role })
const remove = (n: number, length: number) => ({ type: 'remove-writer' as const, key: hex(n), length })

test('membership: the root is admin; adds from admins count, from writers they do not', () => {
  const m = resolveMembership(hex(0), [fact(0, 1, 1, [add(1)]), fact(1, 1, 2, [add(2)])])
  assert.equal(m.members.get(hex(0))?.role, 'admin')
  assert.equal(m.members.get(hex(1))?.role, 'writer')
  assert.equal(m.members.has(hex(2)), false, 'a plain writer cannot add writers')
})

test('membership: a promotion makes an earlier op of that writer count (set semantics)', () => {
  const m = resolveMembership(hex(0), [
    fact(1, 1, 2, [add(2)]),
    fact(0, 1, 1, [add(1)]),
    fact(0, 2, 3, [add(1, 'admin')])
  ])
  assert.equal(m.members.get(hex(1))?.role, 'admin')
  assert.equal(m.members.has(hex(2)), true)
})

test('membership: the smallest cut wins; a later add does not lift it; the root cannot be removed', () => {
  const m = resolveMembership(hex(0), [
    fact(0, 1, 1, [add(1, 'admin'), add(2)]),
    fact(0, 2, 2, [remove(2, 5)]),
    fact(1, 1, 3, [remove(2, 3), remove(0, 1)]),
    fact(0, 3, 4, [add(2)])
  ])
  assert.equal(m.members.get(hex(2))?.cut, 3)
  assert.equal(m.members.get(hex(0))?.cut, Infinity)
})

test('membership: a cut voids the ops its writer made past it, even ones resolved earlier', () => {
  // Admin 1 adds 3 at its seq 4 (clock 2), then the root cuts 1 at 3 (clock 5): 3 was never added.
  const m = resolveMembership(hex(0), [
    fact(0, 1, 1, [add(1, 'admin')]),
    fact(1, 4, 2, [add(3)]),
    fact(0, 2, 5, [remove(1, 3)])
  ])
  assert.equal(m.members.has(hex(3)), false)
  assert.equal(m.members.get(hex(1))?.cut, 3)
})

test('membership: a successor takes its predecessor role; the root successor is a root', () => {
  const successions = [
    { from: hex(1), to: hex(5), clock: { wall: 3, counter: 0 } },
    { from: hex(0), to: hex(6), clock: { wall: 4, counter: 0 } }
  ]
  const m = resolveMembership(hex(0), [fact(0, 1, 1, [add(1, 'admin')])], { successions, forkCuts: new Map() })
  assert.equal(m.members.get(hex(5))?.role, 'admin')
  assert.equal(m.members.get(hex(5))?.removed, false)
  assert.equal(m.members.get(hex(6))?.role, 'admin')
  assert.ok(m.roots.has(hex(6)))
})

test('membership: a removed writer does not come back through a succession, signed before or after its removal', () => {
  for (const wall of [2, 9]) {
    const successions = [{ from: hex(1), to: hex(5), clock: { wall, counter: 0 } }]
    const m = resolveMembership(
      hex(0),
      [
        fact(0, 1, 1, [add(1)]),
        fact(0, 2, 5, [remove(1, 3)]),
        // The successor would add a writer if it were an admin: it is not even a member that counts.
        fact(5, 1, 10, [add(7)])
      ],
      { successions, forkCuts: new Map() }
    )
    const successor = m.members.get(hex(5))
    assert.equal(successor?.removed, true, `succession at clock ${wall}`)
    assert.equal(successor?.cut, 1, 'nothing the successor wrote counts')
    assert.equal(m.members.has(hex(7)), false)
  }
})

test('membership: a successor of a removed admin loses what it did as admin', () => {
  const successions = [{ from: hex(1), to: hex(5), clock: { wall: 2, counter: 0 } }]
  const m = resolveMembership(
    hex(0),
    [fact(0, 1, 1, [add(1, 'admin')]), fact(5, 1, 3, [add(7)]), fact(0, 2, 4, [remove(1, 2)])],
    { successions, forkCuts: new Map() }
  )
  assert.equal(m.members.get(hex(5))?.removed, true)
  assert.equal(m.members.has(hex(7)), false, "the successor's add never counted")
})

test('membership: the result does not depend on the order facts are given (property)', () => {
  const arbFact = fc.record({
    writer: fc.integer({ min: 0, max: 3 }),
    seq: fc.integer({ min: 1, max: 6 }),
    wall: fc.integer({ min: 0, max: 9 }),
    op: fc.oneof(
      fc.record({ kind: fc.constant('add'), key: fc.integer({ min: 1, max: 3 }), admin: fc.boolean() }),
      fc.record({
        kind: fc.constant('remove'),
        key: fc.integer({ min: 0, max: 3 }),
        length: fc.integer({ min: 1, max: 7 })
      })
    )
  })
  fc.assert(
    fc.property(
      fc.uniqueArray(arbFact, { selector: (f) => `${f.writer}:${f.seq}`, maxLength: 12 }),
      fc.integer(),
      (raw, shuffleSeed) => {
        const facts = raw.map((f) =>
          fact(f.writer, f.seq, f.wall, [
            f.op.kind === 'add'
              ? add(f.op.key, 'admin' in f.op && f.op.admin ? 'admin' : 'writer')
              : remove(f.op.key, 'length' in f.op ? f.op.length : 1)
          ])
        )
        const shuffled = [...facts].sort(
          (a, b) =>
            ((a.seq * 31 + a.writer.charCodeAt(0) + shuffleSeed) % 7) -
            ((b.seq * 31 + b.writer.charCodeAt(0) + shuffleSeed) % 7)
        )
        const one = resolveMembership(hex(0), facts)
        const two = resolveMembership(hex(0), shuffled)
        assert.deepEqual([...one.members].sort(), [...two.members].sort())
        assert.deepEqual([...one.applied].sort(), [...two.applied].sort())
      }
    ),
    { seed: 7, numRuns: 300 }
  )
})

test('group commit: concurrent calls share entries, a call is never split, each resolves', async () => {
  const entries: QueuedOp[][] = []
  const gc = new GroupCommit({ maxOps: 4, maxBytes: 1 << 20 }, async (ops) => {
    entries.push(ops)
    await new Promise((resolve) => setImmediate(resolve))
  })
  const put = (k: string): QueuedOp => ({ type: 'put', key: b4a.from(k), value: b4a.from('v') })
  await Promise.all([
    gc.push([put('a')]),
    gc.push([put('b')]),
    gc.push([put('c'), put('d'), put('e')]),
    gc.push([put('f')]),
    gc.push([put('g'), put('h'), put('i'), put('j'), put('k')])
  ])
  assert.deepEqual(
    entries.map((e) => e.map((op) => b4a.toString(op.type === 'keys' ? op.id : op.key))),
    [['a'], ['b', 'c', 'd', 'e'], ['f'], ['g', 'h', 'i', 'j', 'k']]
  )
})

test('group commit: a failed entry rejects exactly the calls in it', async () => {
  let n = 0
  const gc = new GroupCommit({ maxOps: 10, maxBytes: 1 << 20 }, async () => {
    if (n++ === 0) throw new Error('disk full')
  })
  const op: QueuedOp = { type: 'del', key: b4a.from('x') }
  const results = await Promise.allSettled([gc.push([op]), gc.push([op])])
  assert.equal(results[0]!.status, 'rejected')
  assert.equal(results[1]!.status, 'fulfilled')
})

test('group commit: a key appears once per entry, its last op wins', () => {
  const { ops, ids } = lastOpPerKey([
    { type: 'put', key: b4a.from('a'), value: b4a.from('1') },
    { type: 'add-writer', key: W(1), role: 'writer' },
    { type: 'put', key: b4a.from('b'), value: b4a.from('2') },
    { type: 'del', key: b4a.from('a') }
  ])
  assert.deepEqual(
    ops.map((op) => op.type),
    ['add-writer', 'put', 'del']
  )
  assert.deepEqual(ids, ['', 'b', 'a'])
})

test('overlay: pending versions apply on top of the index, once, and drop when indexed', async () => {
  const overlay = new Overlay()
  const indexed = version(2, 1, 10)
  const mine = version(1, 3, 20, [[2, 1]])
  overlay.add(3, [{ key: b4a.from('k'), id: 'k', version: mine }])
  const store = new Map<string, KeyRecord>([['k', { heads: [indexed] }]])
  const reader: IndexReader = {
    getRecord: async (key) => store.get(b4a.toString(key)) ?? null,
    versionsOf: async () => [],
    records: async function* () {
      for (const [key, record] of store) yield { key: b4a.from(key), record }
    },
    close: async () => {}
  }
  const frozen = overlaid(reader, overlay.view())
  assert.deepEqual(ids((await frozen.getRecord(b4a.from('k')))!.heads), ['1:3'])
  // The index catches up: applying the same version again changes nothing.
  store.set('k', { heads: [mine] })
  assert.deepEqual(ids(applyVersions({ heads: [mine] }, [mine]).heads), ['1:3'])
  overlay.dropBelow(4)
  assert.equal(overlay.ops, 0)
  assert.equal(overlay.view().size, 0)
  assert.deepEqual(ids((await frozen.getRecord(b4a.from('k')))!.heads), ['1:3'], 'an earlier view keeps its moment')
})

test('key ranges: prefix bounds hold for keys with 0xff bytes and combine with gt/lt', () => {
  const r = dataRange({ prefix: b4a.from([0x61, 0xff]) })
  assert.deepEqual(r.gte, dataKey(b4a.from([0x61, 0xff])))
  assert.deepEqual(r.lt, dataKey(b4a.from([0x62])))
  const all = dataRange({ prefix: b4a.from([0xff, 0xff]) })
  assert.deepEqual(all.lt, b4a.from([0x02]), 'no byte string follows 0xffff: the end of the data space')
  const tight = dataRange({ prefix: b4a.from('a'), gt: b4a.from('ab') })
  assert.deepEqual(tight.gt, dataKey(b4a.from('ab')))
})
