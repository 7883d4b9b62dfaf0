import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import b4a from 'b4a'
import Corestore from 'corestore'
import fc from 'fast-check'
import Hyperbee from 'hyperbee'
import type { ScanBounds } from '../../lib/view/bounds.js'
import { TreeCache, lookupTree } from '../../lib/view/tree-lookup.js'
import { scanTree, type BlockSource } from '../../lib/view/tree-scan.js'
import { collect, teardown, tempDir } from '../helpers.js'

/**
 * The index's own range scan reads Hyperbee's tree with concurrent block reads. It must return
 * exactly what Hyperbee's read stream returns for the same version: same entries, same order,
 * for every kind of bound, in both directions, on trees shaped by puts, deletes and batches.
 * Its point lookup must find what Hyperbee's get finds, whatever its tree cache holds.
 */
const SEED = process.env.PEERBEE_SEED === undefined ? 20_261_201 : Number(process.env.PEERBEE_SEED)
const RUNS = process.env.PEERBEE_RUNS === undefined ? 25 : Number(process.env.PEERBEE_RUNS)

/** Short keys over a few byte values, with 0x00 and 0xff, so that ranges meet real neighbours. */
const keyArb = fc
  .uint8Array({ minLength: 1, maxLength: 3 })
  .map((k) => b4a.from(k.map((b) => [0, 1, 0x7f, 0xfe, 0xff][b % 5]!)))
const opArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ key: keyArb, value: fc.option(fc.nat(999), { freq: 6 }) }) },
  // Runs of ordered keys build wide trees the way index steps do.
  { weight: 1, arbitrary: fc.record({ start: fc.nat(5_000), count: fc.integer({ min: 20, max: 300 }) }) }
)
const groupArb = fc.record({ batched: fc.boolean(), ops: fc.array(opArb, { minLength: 1, maxLength: 8 }) })
const boundsArb = fc.record({
  lower: fc.option(fc.record({ key: keyArb, inclusive: fc.boolean() })),
  upper: fc.option(fc.record({ key: keyArb, inclusive: fc.boolean() })),
  reverse: fc.boolean()
})

interface Bound {
  key: Uint8Array
  inclusive: boolean
}
interface RangeCase {
  lower: Bound | null
  upper: Bound | null
  reverse: boolean
}
type Op = { key: Uint8Array; value: number | null } | { start: number; count: number }

function runKey(i: number): Uint8Array {
  return b4a.from(`r${String(i).padStart(5, '0')}`)
}

async function apply(bee: Hyperbee | Hyperbee.Batch, op: Op): Promise<void> {
  if ('start' in op) {
    for (let i = op.start; i < op.start + op.count; i++) await bee.put(runKey(i), b4a.from(`run ${i}`))
  } else if (op.value === null) {
    await bee.del(op.key)
  } else {
    await bee.put(op.key, b4a.from(String(op.value)))
  }
}

type Group = { batched: boolean; ops: Op[] }

async function applyGroup(bee: Hyperbee, group: Group): Promise<void> {
  if (!group.batched) {
    for (const op of group.ops) await apply(bee, op)
    return
  }
  const batch = bee.batch()
  for (const op of group.ops) await apply(batch, op)
  await batch.flush()
}

/** Keys a group wrote: each put or delete, and both ends of each run. */
function keysOf(group: Group): Uint8Array[] {
  return group.ops.flatMap((op) => ('start' in op ? [runKey(op.start), runKey(op.start + op.count - 1)] : [op.key]))
}

function toBounds(b: RangeCase): ScanBounds {
  const out: ScanBounds = { reverse: b.reverse }
  if (b.lower) out[b.lower.inclusive ? 'gte' : 'gt'] = b.lower.key
  if (b.upper) out[b.upper.inclusive ? 'lte' : 'lt'] = b.upper.key
  return out
}

test('the concurrent tree scan returns what Hyperbee range reads return', async (t) => {
  const store = new Corestore(await tempDir(t))
  teardown(t, () => store.close())
  let run = 0

  await fc.assert(
    fc.asyncProperty(
      fc.array(groupArb, { minLength: 0, maxLength: 12 }),
      fc.array(boundsArb, { minLength: 1, maxLength: 6 }),
      async (groups, ranges) => {
        const bee = new Hyperbee(store.get({ name: `tree-${run++}` }), {
          keyEncoding: 'binary',
          valueEncoding: 'binary'
        })
        await bee.ready()
        try {
          for (const group of groups) await applyGroup(bee, group)
          const snap = bee.snapshot()
          await snap.ready()
          // Writes after the snapshot must not show in either read.
          await bee.put(b4a.from([0x7f]), b4a.from('later'))
          try {
            for (const range of ranges) {
              const bounds = toBounds(range)
              const expected = (await collect(snap.createReadStream(bounds))).map((n) => [
                n.seq,
                b4a.toString(n.key, 'hex'),
                b4a.toString(n.value, 'hex')
              ])
              const runs = await collect(scanTree(snap.core, snap.version, bounds))
              const actual = runs.flat().map((n) => [n.seq, b4a.toString(n.key, 'hex'), b4a.toString(n.value!, 'hex')])
              assert.deepEqual(actual, expected, JSON.stringify(bounds))
            }
          } finally {
            await snap.close()
          }
        } finally {
          await bee.close()
        }
      }
    ),
    { seed: SEED, numRuns: RUNS }
  )
})

test('the tree lookup finds what Hyperbee gets find, through a cache kept across versions', async (t) => {
  const store = new Corestore(await tempDir(t))
  teardown(t, () => store.close())
  let run = 0

  await fc.assert(
    fc.asyncProperty(
      fc.array(groupArb, { minLength: 1, maxLength: 12 }),
      fc.array(keyArb, { minLength: 1, maxLength: 6 }),
      // No cache, one that turns over every few reads, one that keeps everything.
      fc.constantFrom(0, 2048, 2 ** 20),
      async (groups, probes, cacheSize) => {
        const bee = new Hyperbee(store.get({ name: `lookup-${run++}` }), {
          keyEncoding: 'binary',
          valueEncoding: 'binary'
        })
        await bee.ready()
        const cache = new TreeCache(cacheSize)
        try {
          for (const group of groups) {
            await applyGroup(bee, group)
            for (const key of [...probes, ...keysOf(group)]) {
              const node = await bee.get(key)
              const expected = node === null ? null : [node.seq, b4a.toString(node.value, 'hex')]
              const found = await lookupTree(bee.core, cache, bee.core.length, key)
              const actual = found === null ? null : [found.seq, b4a.toString(found.value!, 'hex')]
              assert.deepEqual(actual, expected, b4a.toString(key, 'hex'))
              if (found !== null) assert.ok(b4a.equals(found.key, key))
            }
          }
        } finally {
          await bee.close()
        }
      }
    ),
    { seed: SEED, numRuns: RUNS }
  )
})

/** A Hyperbee in a temp store holding `count` ordered keys, written in one batch; closed when the test ends. */
async function orderedBee(t: TestContext, count: number): Promise<Hyperbee> {
  const store = new Corestore(await tempDir(t))
  teardown(t, () => store.close())
  const bee = new Hyperbee(store.get({ name: 'ordered' }), { keyEncoding: 'binary', valueEncoding: 'binary' })
  await bee.ready()
  teardown(t, () => bee.close())
  const batch = bee.batch()
  for (let i = 0; i < count; i++) await batch.put(runKey(i), b4a.from(`v${i}`))
  await batch.flush()
  return bee
}

test('a scan whose session closes under it fails cleanly, with no read left to fail later', async (t) => {
  const bee = await orderedBee(t, 2_000)

  const failures: unknown[] = []
  const onRejection = (err: unknown) => failures.push(err)
  process.on('unhandledRejection', onRejection)
  teardown(t, () => process.off('unhandledRejection', onRejection))

  const snap = bee.snapshot()
  await snap.ready()
  const scan = scanTree(snap.core, snap.version, { reverse: false })
  assert.ok(((await scan.next()).value ?? []).length > 0)
  // The reads the scan started ahead are still in flight.
  const closing = snap.close()
  await assert.rejects(collect(scan))
  await closing
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.deepEqual(failures, [])
})

test('a scan that is stopped after its first run read little more than one descent', async (t) => {
  const bee = await orderedBee(t, 20_000)

  const snap = bee.snapshot()
  await snap.ready()
  teardown(t, () => snap.close())
  const reads = new Set<number>()
  const counting: BlockSource = { get: (seq) => (reads.add(seq), snap.core.get(seq)) }
  for (const reverse of [false, true]) {
    reads.clear()
    const bounds = reverse ? { lt: runKey(12_345), reverse } : { gte: runKey(12_345), reverse }
    for await (const run of scanTree(counting, snap.version, bounds)) {
      assert.equal(b4a.toString(run[0]!.key), b4a.toString(runKey(reverse ? 12_344 : 12_345)))
      break
    }
    // One descent of this tree reads 31 blocks (its nodes and the keys they hold); reading all
    // children of each node on the way, as a full scan does, reads 52 and 108.
    assert.ok(reads.size <= 40, `${reads.size} blocks read for one run (reverse: ${reverse})`)
  }
})
