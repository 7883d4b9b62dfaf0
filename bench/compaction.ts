import { join } from 'node:path'
import { keyOf, recordOf, rowsOf, seededRandom } from './data.js'
import { diskBytes, measure, RssPeak, timed, type Measurement } from './harness.js'
import type { Db, Row, System } from './systems/types.js'
import type { Sizes, Workload } from './workload.js'

/**
 * A read or write of a request, as an app serves them: each in a turn of the event loop of its
 * own. A loop of awaits alone would run reads answered from a cache as microtasks only and
 * starve the event loop, the compaction's I/O with it.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Keys written during the compaction sort after every churned key. */
const DURING = 'later-'

/** The n-th live key after the compaction: the churned keys, then those written during it. */
function liveKey(n: number, s: Sizes): { key: string; id: number } {
  return n < s.churnKeys ? { key: keyOf(n), id: n } : { key: DURING + keyOf(n - s.churnKeys), id: n - s.churnKeys }
}

/** Reads rows in key order, each checked against `expected(n)`; returns how many it read. */
async function readBack(
  rows: AsyncIterable<{ key: string; value: { id: number } }>,
  expected: (n: number) => { key: string; id: number }
): Promise<number> {
  let n = 0
  for await (const row of rows) {
    const want = expected(n)
    if (row.key !== want.key || row.value.id !== want.id) throw new Error(`row ${n} is ${row.key}`)
    n++
  }
  return n
}

/** Writes every churned key `rounds` times over, in batches, round after round. */
async function churn(db: Db, s: Sizes): Promise<void> {
  const write = (rows: Row[]) => (db.overwriteBatch === undefined ? db.putBatch(rows) : db.overwriteBatch(rows))
  for (let round = 0; round < s.churnRounds; round++) {
    for (let i = 0; i < s.churnKeys; i += s.churnBatch) {
      await write(rowsOf(i, Math.min(s.churnBatch, s.churnKeys - i), round))
    }
  }
  await db.settle()
}

/**
 * The compaction, timed, with one writer putting new keys and one reader getting churned keys
 * (checking each has its last round's value) one after another for as long as it runs.
 * Returns what each did meanwhile; every write is read back after.
 */
async function compactUnderLoad(
  db: Db,
  s: Sizes
): Promise<{
  ms: number
  cpuMs: number
  reads: number
  writes: number
  index: { before: number; after: number } | null
}> {
  let done = false
  let reads = 0
  let writes = 0
  const writer = (async () => {
    for (; !done; writes++) {
      await db.put(DURING + keyOf(writes), recordOf(writes))
      await nextTurn()
    }
  })()
  const reader = (async () => {
    const random = seededRandom(11)
    for (; !done; reads++) {
      const i = Math.floor(random() * s.churnKeys)
      const value = await db.get(keyOf(i))
      await nextTurn()
      if (value?.id !== i || value.writer !== s.churnRounds - 1)
        throw new Error(`get ${keyOf(i)} during compaction: wrong record`)
    }
  })()
  let index: { before: number; after: number } | null = null
  const { ms, cpuMs } = await measure(async () => {
    try {
      index = await db.compact!()
    } finally {
      done = true
      await Promise.all([writer, reader])
    }
  })
  const seen = await readBack(db.scan({ gte: DURING }), (n) => liveKey(n + s.churnKeys, s))
  if (seen !== writes) throw new Error(`${seen} of the ${writes} writes made during the compaction read back`)
  return { ms, cpuMs: cpuMs!, reads, writes, index }
}

async function run(system: System, root: string, s: Sizes): Promise<Measurement> {
  const dir = join(root, 'db')
  const rss = new RssPeak()
  let db = await system.open(dir)
  let loadMs: number
  try {
    loadMs = await timed(() => churn(db, s))
  } finally {
    await db.close()
  }
  const before = await diskBytes(dir)

  db = await system.open(dir)
  let compaction: Awaited<ReturnType<typeof compactUnderLoad>>
  try {
    rss.start()
    compaction = await compactUnderLoad(db, s)
  } finally {
    rss.stop()
    await db.close()
  }
  const after = await diskBytes(dir)

  // A new peer that fetches the same logs and indexes them as they are now.
  const freshDir = join(root, 'fresh')
  const live = s.churnKeys + compaction.writes
  db = await system.open(dir)
  try {
    const follower = await db.follow(freshDir)
    try {
      follower.connect()
      await follower.catchUp()
      const seen = await readBack(follower.db.scan(), (n) => liveKey(n, s))
      if (seen !== live) throw new Error(`the new peer read ${seen} of ${live} keys`)
    } finally {
      await follower.close()
    }
  } finally {
    await db.close()
  }
  const fresh = await diskBytes(freshDir)
  // The fresh index's bytes are what a compaction of it finds (taken after its disk figure).
  const reopened = await system.open(freshDir)
  const freshIndex = await reopened.compact!().finally(() => reopened.close())

  const { ms, cpuMs, reads, writes, index } = compaction
  const measured: Measurement = {
    ms,
    cpuMs,
    rssMB: rss.stop(),
    diskBytes: before,
    diskBytesAfter: after,
    diskBytesFresh: fresh,
    phases: {
      load: { n: s.churnKeys * s.churnRounds, ms: loadMs },
      readsDuring: { n: reads, ms },
      writesDuring: { n: writes, ms }
    }
  }
  if (index !== null && freshIndex !== null) {
    measured.indexBytes = index.before
    measured.indexBytesAfter = index.after
    measured.indexBytesFresh = freshIndex.before
  }
  return measured
}

export const churnCompaction: Workload = {
  id: 'W11',
  title: 'compaction after overwrites',
  scale: true,
  systems: ['peerbee', 'pouchdb'],
  ops: (s) => s.churnKeys,
  run
}
