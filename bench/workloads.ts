import { join } from 'node:path'
import { keyOf, recordOf, rowsOf } from './data.js'
import { measure, until } from './harness.js'
import { million } from './million-keys.js'
import { churnCompaction } from './compaction.js'
import { threeWriters, writerChain } from './convergence.js'
import { fanOut } from './fan-out.js'
import type { Row, SystemName } from './systems/types.js'
import { getEach, load, randomPicks, scanFrom, withDb, type Workload } from './workload.js'

export type { Sizes, Workload, WorkloadId } from './workload.js'
export { FULL_SIZES, QUICK_SIZES } from './workload.js'

const ALL: readonly SystemName[] = ['peerbee', 'autobase', 'hyperbee', 'pouchdb']
/** Where an encrypted db runs beside the plain one: writes one by one and in batches, a scan, a catch-up. */
const WITH_ENCRYPTED: readonly SystemName[] = ['peerbee', 'peerbee-encrypted', 'autobase', 'hyperbee', 'pouchdb']

const w1: Workload = {
  id: 'W1',
  title: 'sequential puts',
  scale: false,
  systems: WITH_ENCRYPTED,
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
  scale: false,
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
  scale: false,
  systems: WITH_ENCRYPTED,
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
  scale: false,
  systems: ALL,
  ops: (s) => s.gets,
  run: (system, dir, s) =>
    withDb(system, dir, async (db) => {
      await load(db, s.dbKeys, s.batch)
      const picks = randomPicks(s.gets, s.dbKeys)
      return measure(() => getEach(db, picks))
    })
}

const w5: Workload = {
  id: 'W5',
  title: 'ordered scan',
  scale: false,
  systems: WITH_ENCRYPTED,
  ops: (s) => s.dbKeys,
  run: (system, dir, s) =>
    withDb(system, dir, async (db) => {
      await load(db, s.dbKeys, s.batch)
      return measure(async () => {
        const seen = await scanFrom(db.scan())
        if (seen !== s.dbKeys) throw new Error(`scan saw ${seen} of ${s.dbKeys} rows`)
      })
    })
}

const w7: Workload = {
  id: 'W7',
  title: 'new-peer catch-up',
  scale: false,
  systems: WITH_ENCRYPTED,
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
              return (await scanFrom(follower.db.scan())) === s.dbKeys
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

export const WORKLOADS: readonly Workload[] = [
  w1,
  w2,
  w3,
  w4,
  w5,
  threeWriters,
  w7,
  million,
  writerChain,
  fanOut,
  churnCompaction
]
