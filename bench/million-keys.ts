import { join } from 'node:path'
import { keyOf, rowsOf } from './data.js'
import { diskBytes, RssPeak, rssMB, timed, type Measurement, type Phase } from './harness.js'
import type { Db, System } from './systems/types.js'
import { getEach, randomPicks, scanFrom, type Sizes, type Workload } from './workload.js'

const TENTHS = 10

/**
 * Loads `count` keys in order, timing each tenth of the load and noting the RSS after it. Rows
 * are made batch by batch inside the timing (a few µs per batch): made up front, a million
 * records would take hundreds of MB and hide the system's own memory.
 */
async function loadByTenths(
  db: Db,
  count: number,
  batch: number
): Promise<{ tenths: number[]; rssTenthsMB: number[] }> {
  const tenths: number[] = []
  const rssTenthsMB: number[] = []
  const tenth = Math.ceil(count / TENTHS)
  for (let start = 0; start < count; start += tenth) {
    const end = Math.min(count, start + tenth)
    const ms = await timed(async () => {
      for (let i = start; i < end; i += batch) await db.putBatch(rowsOf(i, Math.min(batch, end - i)))
    })
    tenths.push((end - start) / (ms / 1000))
    rssTenthsMB.push(rssMB())
  }
  return { tenths, rssTenthsMB }
}

/** The scan starts in the middle, so it reads the tree where the load left it, not its first pages. */
async function scanMiddle(db: Db, s: Sizes): Promise<Phase> {
  const start = Math.max(0, Math.floor((s.bigKeys - s.bigScan) / 2))
  let seen = 0
  const ms = await timed(async () => {
    seen = await scanFrom(db.scan({ gte: keyOf(start), limit: s.bigScan }), start)
  })
  if (seen !== s.bigScan) throw new Error(`scan saw ${seen} of ${s.bigScan} rows`)
  return { n: seen, ms }
}

/** Opening again until one read answers: what a restart costs at this size. */
async function reopen(system: System, dir: string, lastKey: number): Promise<Phase> {
  const start = performance.now()
  const db = await system.open(dir)
  try {
    await getEach(db, [lastKey])
    return { n: 1, ms: performance.now() - start }
  } finally {
    await db.close()
  }
}

async function run(system: System, root: string, s: Sizes): Promise<Measurement> {
  const dir = join(root, 'db')
  const rss = new RssPeak()
  const db = await system.open(dir)
  let measured: Measurement
  try {
    rss.start()
    const loadStart = performance.now()
    const { tenths, rssTenthsMB } = await loadByTenths(db, s.bigKeys, s.batch)
    const ms = performance.now() - loadStart
    // Reads start once the load's background work is done, as in W4 and W5.
    await db.settle()
    const picks = randomPicks(s.bigGets, s.bigKeys)
    const gets: Phase = { n: picks.length, ms: await timed(() => getEach(db, picks)) }
    const scan = await scanMiddle(db, s)
    measured = { ms, rssMB: rss.stop(), tenths, rssTenthsMB, phases: { gets, scan } }
  } finally {
    rss.stop()
    await db.close()
  }
  measured.diskBytes = await diskBytes(dir)
  measured.phases = { ...measured.phases, reopen: await reopen(system, dir, s.bigKeys - 1) }
  return measured
}

export const million: Workload = {
  id: 'W8',
  title: 'a million keys',
  scale: true,
  systems: ['peerbee', 'hyperbee', 'pouchdb'],
  ops: (s) => s.bigKeys,
  run
}
