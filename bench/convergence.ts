import { join } from 'node:path'
import { rowsOf } from './data.js'
import { Deadline, measure, type Measurement, type Phase } from './harness.js'
import type { Db, Group, System } from './systems/types.js'
import { identical, type Sizes, type Workload, type WorkloadId } from './workload.js'

/** Who writes what, and who replicates with whom. */
interface Shape {
  writers: number
  ownKeys: number
  sharedKeys: number
  batch: number
  /** Each peer replicates with its two neighbours only, instead of with every other peer. */
  chain: boolean
  /**
   * Also time what convergence is judged against: one fresh peer taking the same ops from one
   * peer that holds them all, until it holds the same keys (the `one peer` phase).
   */
  baseline: boolean
}

/** The name of the baseline phase in a result. */
export const ONE_PEER = 'one peer'

function opsOf(shape: Shape): number {
  return shape.writers * (shape.ownKeys + shape.sharedKeys)
}

/**
 * Times the writes of every writer at once until every peer holds the same `opsOf(shape)` keys.
 * The limit covers the writes too: with many writers, some systems spend it appending.
 */
async function converge(
  system: System,
  dir: string,
  shape: Shape,
  limitMs: number,
  what: string
): Promise<Measurement> {
  if (system.openGroup === undefined) throw new Error(`${system.name} has no multi-writer mode`)
  const group = await system.openGroup(join(dir, 'group'), shape.writers, { chain: shape.chain, limitMs })
  const total = shape.sharedKeys + shape.writers * shape.ownKeys
  // Keys 0..shared-1 are written by every writer with its own record, so they conflict;
  // then each writer writes its own range, in batches, all writers at once.
  const write = async (db: Db, w: number) => {
    await db.putBatch(rowsOf(0, shape.sharedKeys, w))
    const first = shape.sharedKeys + w * shape.ownKeys
    for (let i = 0; i < shape.ownKeys; i += shape.batch) {
      await db.putBatch(rowsOf(first + i, Math.min(shape.batch, shape.ownKeys - i), w))
    }
  }
  try {
    const measured = await measure(async () => {
      const deadline = new Deadline(limitMs, what)
      await deadline.race(Promise.all(group.writers.map(write)))
      await deadline.poll(async () => {
        await group.sync()
        return !(group.unsettled?.() ?? false) && identical(group.writers, total)
      })
    })
    if (shape.baseline) {
      measured.phases = { [ONE_PEER]: await onePeer(group, join(dir, 'one-peer'), total, limitMs) }
      measured.peers = shape.writers
    }
    return measured
  } finally {
    await group.close()
  }
}

/**
 * A fresh peer of the converged group fetches every writer's log from its first peer and
 * indexes them, until it holds the same keys: the time the ops take to replicate and index on
 * one peer, measured as the convergence was (wall time, with the CPU time beside it). The
 * group's other peers are idle meanwhile.
 */
async function onePeer(group: Group, dir: string, total: number, limitMs: number): Promise<Phase> {
  const source = group.writers[0]
  const follower = await source.follow(dir)
  try {
    const { ms, cpuMs } = await measure(async () => {
      follower.connect()
      await new Deadline(limitMs, 'W9 one peer').poll(async () => {
        await follower.catchUp()
        return identical([source, follower.db], total)
      })
    })
    return { n: total, ms, cpuMs }
  } finally {
    await follower.close()
  }
}

function meshShape(s: Sizes): Shape {
  return {
    writers: s.writers,
    ownKeys: s.ownKeys,
    sharedKeys: s.sharedKeys,
    batch: s.writerBatch,
    chain: false,
    baseline: false
  }
}

function chainShape(s: Sizes): Shape {
  return {
    writers: s.chainWriters,
    ownKeys: s.chainOwnKeys,
    sharedKeys: s.chainSharedKeys,
    batch: s.chainBatch,
    chain: true,
    baseline: true
  }
}

/** A convergence workload of `shape`, for the systems with a multi-writer mode. */
function convergence(
  id: WorkloadId,
  title: string,
  scale: boolean,
  shape: (s: Sizes) => Shape,
  limitMs: (s: Sizes) => number
): Workload {
  return {
    id,
    title,
    scale,
    systems: ['peerbee', 'autobase', 'pouchdb'],
    ops: (s) => opsOf(shape(s)),
    run: (system, dir, s) => converge(system, dir, shape(s), limitMs(s), `${id} convergence`)
  }
}

export const threeWriters = convergence('W6', '3-writer convergence', false, meshShape, (s) => s.limitMs)

/** Entries reach most peers only through others, as in a group whose members are not all online together. */
export const writerChain = convergence('W9', 'writers in a chain', true, chainShape, (s) => s.chainLimitMs)
