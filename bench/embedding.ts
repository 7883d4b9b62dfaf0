import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { PeerBee, type SubDatabase } from '../lib/index.js'
import { rowsOf } from './data.js'
import { inTempDir, measure, median, type Measurement } from './harness.js'
import type { Record } from './systems/types.js'

/**
 * `npm run bench:embedding [-- --quick] [--reps N] [--out file]`: what the embedding API costs,
 * on one peerbee db of N keys written in batches of 1,000 into the sub-database `bench`:
 *
 * - E1 `changes({ since })` catching up the N changes written after a checkpoint;
 * - E2 `list()` of the whole db, E3 `list({ prefix })` of the sub's prefix, E4 `list()` on the
 *   sub: the same N rows three ways, so a sub is seen to cost what a prefix scan costs.
 *
 * Every read is timed warm (after one untimed pass), repetitions interleaved.
 */

const HELP = 'usage: npm run bench:embedding -- [--quick] [--reps N] [--out file]'
const BATCH = 1000
/** A sub-database's list() may cost this much more than the prefix scan it is. */
const SUB_OVER_PREFIX = 1.1

interface Row {
  id: string
  title: string
  n: number
  ms: number
  opsPerSec: number
  repsMs: number[]
}

type Db = PeerBee<string, Record>

async function count(rows: AsyncIterable<unknown>): Promise<number> {
  let n = 0
  for await (const _ of rows) n++
  return n
}

/** The changes after `since`: every one of the N keys, once. */
async function catchUp(db: Db, since: string, n: number): Promise<void> {
  const keys = new Set<string>()
  for await (const batch of db.changes({ since })) for (const c of batch.changes) keys.add(c.key)
  if (keys.size !== n) throw new Error(`changes({ since }) gave ${keys.size} keys of ${n}`)
}

async function scanned(rows: AsyncIterable<unknown>, n: number, what: string): Promise<void> {
  const seen = await count(rows)
  if (seen !== n) throw new Error(`${what} saw ${seen} of ${n} rows`)
}

async function run(dir: string, n: number, reps: number): Promise<Row[]> {
  const db: Db = new PeerBee<string, Record>(join(dir, 'db'))
  await db.ready()
  try {
    const sub: SubDatabase<string, Record> = db.sub('bench')
    await db.put('start', rowsOf(0, 1)[0]!.value)
    let since = ''
    for await (const batch of db.changes()) since = batch.checkpoint
    for (let i = 0; i < n; i += BATCH) {
      const batch = sub.batch()
      for (const row of rowsOf(i, Math.min(BATCH, n - i))) batch.put(row.key, row.value)
      await batch.flush()
    }
    // The whole db then holds the N keys of the sub, as the prefix scan and the sub see them.
    await db.del('start')
    const cases: Array<{ id: string; title: string; run: () => Promise<void> }> = [
      // The N keys and the delete of `start`.
      { id: 'E1', title: 'changes({ since }) catch-up', run: () => catchUp(db, since, n + 1) },
      { id: 'E2', title: 'list() of the whole db', run: () => scanned(db.list(), n, 'list()') },
      {
        id: 'E3',
        title: "list({ prefix }) of the sub's prefix",
        run: () => scanned(db.list({ prefix: 'bench\u0000' }), n, 'list({ prefix })')
      },
      { id: 'E4', title: 'list() on the sub', run: () => scanned(sub.list(), n, 'sub.list()') }
    ]
    // The first pass also waits for the index to take the load (changes() does).
    for (const c of cases) await c.run()
    const times = new Map<string, Measurement[]>(cases.map((c) => [c.id, []]))
    for (let r = 0; r < reps; r++) for (const c of cases) times.get(c.id)!.push(await measure(c.run))
    return cases.map((c) => {
      const repsMs = times.get(c.id)!.map((m) => Math.round(m.ms * 10) / 10)
      const ms = median(repsMs)
      const rows = c.id === 'E1' ? n + 1 : n
      return { id: c.id, title: c.title, n: rows, ms, opsPerSec: rows / (ms / 1000), repsMs }
    })
  } finally {
    await db.close()
  }
}

function table(rows: Row[]): string {
  const lines = ['| case | what | n | median ms | rows/s | reps ms |', '| --- | --- | --- | --- | --- | --- |']
  for (const r of rows) {
    lines.push(
      `| ${r.id} | ${r.title} | ${r.n} | ${r.ms.toFixed(1)} | ${Math.round(r.opsPerSec)} | ${r.repsMs.join(', ')} |`
    )
  }
  return lines.join('\n')
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      reps: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(HELP)
    return 0
  }
  const n = values.quick ? 1_000 : 100_000
  const reps = values.reps === undefined ? 3 : Number(values.reps)
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps must be a positive integer')
  const rows = await inTempDir((dir) => run(dir, n, reps))
  console.log(`\n${values.quick ? 'quick sizes, ' : ''}${reps} repetition(s), medians:\n`)
  console.log(table(rows))
  const prefix = rows.find((r) => r.id === 'E3')!
  const sub = rows.find((r) => r.id === 'E4')!
  const ratio = sub.ms / prefix.ms
  const ok = ratio <= SUB_OVER_PREFIX
  console.log(
    `\n${ok ? 'ok' : 'OVER'}  a sub's list() costs ${ratio.toFixed(2)}× the prefix scan (at most ${SUB_OVER_PREFIX}×)${values.quick ? ' (quick sizes: ratios mean little)' : ''}`
  )
  if (values.out !== undefined) {
    await writeFile(
      values.out,
      JSON.stringify({ node: process.version, date: new Date().toISOString(), rows }, null, 2) + '\n'
    )
  }
  return ok || values.quick ? 0 : 1
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err)
    process.exitCode = 1
  }
)
