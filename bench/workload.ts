import { createHash } from 'node:crypto'
import { keyOf, rowsOf, seededRandom } from './data.js'
import type { Measurement } from './harness.js'
import type { Db, System, SystemName } from './systems/types.js'

export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6' | 'W7' | 'W8' | 'W9' | 'W10' | 'W11'

/** The sizes; `--quick` shrinks the counts to smoke-test the same code. */
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
  /** W8: keys loaded (in batches of `batch`), then random gets and one range scan at that size. */
  bigKeys: number
  bigGets: number
  bigScan: number
  /** W9: writers linked in a chain, each with its own keys and writes to the shared ones. */
  chainWriters: number
  chainOwnKeys: number
  chainSharedKeys: number
  chainBatch: number
  /** W9's time limit: a system still short of it is reported as timed out. */
  chainLimitMs: number
  /** W10: ops the one writer holds, and the peers that join at once to fetch them. */
  fanOutOps: number
  fanOutPeers: number
  /** W11: keys each written `churnRounds` times over, in batches of `churnBatch`, then compacted. */
  churnKeys: number
  churnRounds: number
  churnBatch: number
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
  limitMs: 10 * 60_000,
  bigKeys: 1_000_000,
  bigGets: 10_000,
  bigScan: 100_000,
  chainWriters: 50,
  chainOwnKeys: 200,
  chainSharedKeys: 20,
  chainBatch: 50,
  chainLimitMs: 5 * 60_000,
  fanOutOps: 100_000,
  fanOutPeers: 10,
  churnKeys: 10_000,
  churnRounds: 100,
  churnBatch: 1_000
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
  limitMs: 60_000,
  bigKeys: 5_000,
  bigGets: 100,
  bigScan: 1_000,
  chainWriters: 5,
  chainOwnKeys: 20,
  chainSharedKeys: 5,
  chainBatch: 10,
  chainLimitMs: 60_000,
  fanOutOps: 1_000,
  fanOutPeers: 3,
  churnKeys: 500,
  churnRounds: 10,
  churnBatch: 50
}

export interface Workload {
  id: WorkloadId
  title: string
  /** Run by `--scale` (into results.scale.json) instead of by the default run. */
  scale: boolean
  systems: readonly SystemName[]
  /** The operations counted for ops/s. */
  ops(sizes: Sizes): number
  /** One repetition in the empty dir `dir`: set up untimed, measure, close everything. */
  run(system: System, dir: string, sizes: Sizes): Promise<Measurement>
}

export async function withDb<T>(system: System, dir: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await system.open(dir)
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

/** Untimed set-up: writes the rows, then lets the system finish what the writes started. */
export async function load(db: Db, count: number, batch: number): Promise<void> {
  for (let i = 0; i < count; i += batch) await db.putBatch(rowsOf(i, Math.min(batch, count - i)))
  await db.settle()
}

/** `count` indexes below `among`, the same ones on every system and in every repetition. */
export function randomPicks(count: number, among: number): number[] {
  const random = seededRandom(4)
  return Array.from({ length: count }, () => Math.floor(random() * among))
}

/** Reads each picked key in turn; a missing or wrong record fails the cell. */
export async function getEach(db: Pick<Db, 'get'>, picks: number[]): Promise<void> {
  for (const i of picks) {
    const value = await db.get(keyOf(i))
    if (value === null || value.id !== i) throw new Error(`get ${keyOf(i)}: wrong record`)
  }
}

/**
 * Every row from `start` must come back in key order with its own record: a scan that skips or
 * reorders fails. Returns how many rows it saw.
 */
export async function scanFrom(
  rows: AsyncIterable<{ key: string; value: { id: number } }>,
  start = 0
): Promise<number> {
  let seen = 0
  for await (const row of rows) {
    const i = start + seen
    if (row.key !== keyOf(i) || row.value.id !== i) throw new Error(`scan: row ${i} is ${row.key}`)
    seen++
  }
  return seen
}

/** Count and hash of every row a peer reads: peers with equal digests hold identical state. */
async function digest(db: Pick<Db, 'scan'>): Promise<string> {
  const hash = createHash('sha256')
  let count = 0
  for await (const row of db.scan()) {
    hash.update(row.key + '\n' + JSON.stringify(row.value) + '\n')
    count++
  }
  return count + ':' + hash.digest('hex')
}

/**
 * Every peer holds `total` rows and the same ones. The first and last peers are compared first:
 * in a chain they are the last to hear of each other's writes, so most polls end after two scans.
 */
export async function identical(peers: Array<Pick<Db, 'scan'>>, total: number): Promise<boolean> {
  const ends = await Promise.all([peers[0], peers[peers.length - 1]].map(digest))
  if (!ends[0].startsWith(total + ':') || ends[1] !== ends[0]) return false
  const rest = await Promise.all(peers.slice(1, -1).map(digest))
  return rest.every((d) => d === ends[0])
}
