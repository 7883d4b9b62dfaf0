import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { keyOf, recordOf, rowsOf, seededRandom } from './data.js'
import { measure, until, type Measurement } from './harness.js'
import type { Db, Row, System, SystemName } from './systems/types.js'

export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6' | 'W7'

/** The sizes; `--quick` divides the counts by 100 to smoke-test the same code. */
export interface Sizes {
  sequential: number
  concurrent: number
  batched: number
  batch: number
  dbKeys: number
  gets: number
  writers: number
  ownKeys: number
  sharedKeys: number
  writerBatch: number
  /** A convergence or catch-up slower than this fails the cell instead of hanging the run. */
  limitMs: number
}

export const FULL_SIZES: Sizes = {
  sequential: 5_000,
  concurrent: 20_000,
  batched: 100_000,
  batch: 1_000,
  dbKeys: 100_000,
  gets: 10_000,
  writers: 3,
  ownKeys: 5_000,
  sharedKeys: 500,
  writerBatch: 500,
  limitMs: 10 * 60_000
}

export const QUICK_SIZES: Sizes = {
  sequential: 50,
  concurrent: 200,
  batched: 1_000,
  // Batches shrink less than counts: a quick run's time goes to set-up loads otherwise.
  batch: 100,
  dbKeys: 1_000,
  gets: 100,
  writers: 3,
  ownKeys: 50,
  sharedKeys: 5,
  writerBatch: 25,
  limitMs: 60_000
}

export interface Workload {
  id: WorkloadId
  title: string
  systems: readonly SystemName[]
  /** The operations counted for ops/s. */
  ops(sizes: Sizes): number
  /** One repetition in the empty dir `dir`: set up untimed, measure, close everything. */
  run(system: System, dir: string, sizes: Sizes): Promise<Measurement>
}

const ALL: readonly SystemName[] = ['peerbee', 'autobase', 'hyperbee', 'pouchdb']

async function withDb(system: System, dir: string, fn: (db: Db) => Promise<Measurement>): Promise<Measurement> {
  const db = await system.open(dir)
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

/** Untimed set-up: writes the rows, then lets the system finish what the writes started. */
async function load(db: Db, count: number, batch: number): Promise<void> {
  for (let i = 0; i < count; i += batch) await db.putBatch(rowsOf(i, Math.min(batch, count - i)))
  await db.settle()
}

/** Every row must come back in key order with its own record: a scan that skips or reorders fails. */
async function scanAll(db: Pick<Db, 'scan'>, count: number): Promise<number> {
  let seen = 0
  for await (const row of db.scan()) {
    if (seen < count && (row.key !== keyOf(seen) || row.value.id !== seen)) {
      throw new Error(`scan: row ${seen} is ${row.key}`)
    }
    seen++
  }
  return seen
}

const w1: Workload = {
  id: 'W1',
  title: 'sequential puts',
  systems: ALL,
  ops: (s) => s.sequential,
  run: (system, dir, s) =>
    withDb(system, dir, (db) =>
      measure(async () => {
        for (let i = 0; i < s.sequential; i++) await db.put(keyOf(i), recordOf(i))
      })
    )
}

const w2: Workload = {
  id: 'W2',
  title: 'concurrent puts',
  systems: ALL,
  ops: (s) => s.concurrent,
  run: (system, dir, s) =>
    withDb(system, dir, (db) =>
      measure(async () => {
        const puts: Array<Promise<void>> = []
        for (let i = 0; i < s.concurrent; i++) puts.push(db.put(keyOf(i), recordOf(i)))
        await Promise.all(puts)
      })
    )
}

const w3: Workload = {
  id: 'W3',
  title: 'batched puts',
  systems: ALL,
  ops: (s) => s.batched,
  run: (system, dir, s) =>
    withDb(system, dir, async (db) => {
      // Records are built before timing: only the writes are measured.
      const batches: Row[][] = []
      for (let i = 0; i < s.batched; i += s.batch) batches.push(rowsOf(i, s.batch))
      return measure(async () => {
        for (const rows of batches) await db.putBatch(rows)
      })
    })
}

const w4: Workload = {
  id: 'W4',
  title: 'random gets',
  systems: ALL,
  ops: (s) => s.gets,
  run: (system, dir, s) =>
    withDb(system, dir, async (db) => {
      await load(db, s.dbKeys, s.batch)
      const random = seededRandom(4)
      const picks = Array.from({ length: s.gets }, () => Math.floor(random() * s.dbKeys))
      return measure(async () => {
        for (const i of picks) {
          const value = await db.get(keyOf(i))
          if (value === null || value.id !== i) throw new Error(`get ${keyOf(i)}: wrong record`)
        }
      })
    })
}

const w5: Workload = {
  id: 'W5',
  title: 'ordered scan',
  systems: ALL,
  ops: (s) => s.dbKeys,
  run: (system, dir, s) =>
    withDb(system, dir, async (db) => {
      await load(db, s.dbKeys, s.batch)
      return measure(async () => {
        const seen = await scanAll(db, s.dbKeys)
        if (seen !== s.dbKeys) throw new Error(`scan saw ${seen} of ${s.dbKeys} rows`)
      })
    })
}

/** Count and hash of every row a peer reads: peers with equal digests hold identical state. */
async function digest(db: Db): Promise<string> {
  const hash = createHash('sha256')
  let count = 0
  for await (const row of db.scan()) {
    hash.update(row.key + '\n' + JSON.stringify(row.value) + '\n')
    count++
  }
  return count + ':' + hash.digest('hex')
}

const w6: Workload = {
  id: 'W6',
  title: '3-writer convergence',
  systems: ['peerbee', 'autobase', 'pouchdb'],
  ops: (s) => s.writers * (s.ownKeys + s.sharedKeys),
  async run(system, dir, s) {
    if (system.openGroup === undefined) throw new Error(`${system.name} has no multi-writer mode`)
    const group = await system.openGroup(join(dir, 'group'), s.writers)
    const total = s.sharedKeys + s.writers * s.ownKeys
    try {
      return await measure(async () => {
        // Keys 0..shared-1 are written by every writer with its own record, so they conflict;
        // then each writer writes its own range, in batches, all writers at once.
        await Promise.all(
          group.writers.map(async (db, w) => {
            await db.putBatch(rowsOf(0, s.sharedKeys, w))
            const first = s.sharedKeys + w * s.ownKeys
            for (let i = 0; i < s.ownKeys; i += s.writerBatch) {
              await db.putBatch(rowsOf(first + i, Math.min(s.writerBatch, s.ownKeys - i), w))
            }
          })
        )
        await until(
          async () => {
            await group.sync()
            const digests = await Promise.all(group.writers.map(digest))
            return digests.every((d) => d === digests[0]) && digests[0].startsWith(total + ':')
          },
          s.limitMs,
          'W6 convergence'
        )
      })
    } finally {
      await group.close()
    }
  }
}

const w7: Workload = {
  id: 'W7',
  title: 'new-peer catch-up',
  systems: ALL,
  ops: (s) => s.dbKeys,
  run: (system, dir, s) =>
    withDb(system, join(dir, 'source'), async (source) => {
      await load(source, s.dbKeys, s.batch)
      const follower = await source.follow(join(dir, 'follower'))
      try {
        return await measure(async () => {
          follower.connect()
          await until(
            async () => {
              await follower.catchUp()
              return (await scanAll(follower.db, s.dbKeys)) === s.dbKeys
            },
            s.limitMs,
            'W7 catch-up'
          )
        })
      } finally {
        await follower.close()
      }
    })
}

export const WORKLOADS: readonly Workload[] = [w1, w2, w3, w4, w5, w6, w7]
