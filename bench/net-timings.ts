/**
 * Network timings on a local testnet, all peers in this one process (they share its event loop):
 *
 *   node --import tsx bench/net-timings.ts [--ops 100000] [--batch 1000] [--writes 50] [--connects 5]
 *
 * - connect: a peer that has the db key calls join(); time until its first 'peer-add'
 * - catch-up: one writer appends `ops` keys in batches of `batch`; a new peer joins and
 *   calls update() until every writer is indexed, then reads every key with list()
 * - write → peer: a put on one connected peer until another peer's get() returns it
 */
import { parseArgs } from 'node:util'
import { PeerBee, type PeerBeeOptions } from '../lib/index.js'
import { localTestnet, until, within } from '../test/integration/net-helpers.js'
import { inTempDir, median } from './harness.js'

const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    writes: { type: 'string', default: '50' },
    connects: { type: 'string', default: '5' }
  }
})
const OPS = Number(values.ops)
const BATCH = Number(values.batch)
const WRITES = Number(values.writes)
const CONNECTS = Number(values.connects)

type Db = PeerBee<string, unknown>
const net = await localTestnet()

/** A ready db in a fresh temp dir, closed (then its dir removed) when `fn` is done. */
function withDb<T>(opts: PeerBeeOptions, fn: (db: Db) => Promise<T>): Promise<T> {
  return inTempDir(async (dir) => {
    const db = new PeerBee<string, unknown>(dir, { bootstrap: net.bootstrap, ...opts })
    try {
      await db.ready()
      return await fn(db)
    } finally {
      await db.close()
    }
  })
}

const connected = (db: Db) =>
  within(
    30_000,
    until(db, ['peer-add'], () => db.status().peers > 0),
    'a peer'
  )

/** `db` has indexed every writer as far as `source` has written it. */
function caughtUp(db: Db, source: Db): boolean {
  const have = new Map(db.status().writers.map((w) => [Buffer.from(w.key).toString('hex'), w.indexed]))
  return source.status().writers.every((w) => (have.get(Buffer.from(w.key).toString('hex')) ?? 0) >= w.length)
}

/** Resolves with the time until `key` can be read on `db`. */
function seen(db: Db, key: string, started: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const check = () => {
      db.get(key).then((entry) => {
        if (entry === null) return
        db.off('update', check)
        resolve(performance.now() - started)
      }, reject)
    }
    db.on('update', check)
    check()
  })
}

const rows: Array<[string, string]> = []
const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`

try {
  await withDb({}, async (root) => {
    await root.join()

    const connects: number[] = []
    for (let i = 0; i < CONNECTS; i++) {
      await withDb({ key: root.key }, async (peer) => {
        const started = performance.now()
        await peer.join()
        const joined = performance.now() - started
        await connected(peer)
        connects.push(performance.now() - started)
        if (i === 0) rows.push(['join() resolved (first pair)', ms(joined)])
      })
    }
    rows.push([`connect: join → first peer-add (median of ${connects.length})`, ms(median(connects))])
    rows.push(['connect: min / max', `${ms(Math.min(...connects))} / ${ms(Math.max(...connects))}`])

    let started = performance.now()
    for (let i = 0; i < OPS; i += BATCH) {
      const batch = root.batch()
      for (let j = i; j < Math.min(OPS, i + BATCH); j++) batch.put(`key/${String(j).padStart(8, '0')}`, { j })
      await batch.flush()
    }
    const wrote = performance.now() - started
    rows.push([`write ${OPS} ops in batches of ${BATCH} (writer, local)`, ms(wrote)])

    await withDb({ key: root.key }, async (peer) => {
      started = performance.now()
      await peer.join()
      await connected(peer)
      let updates = 0
      do {
        await within(120_000, peer.update(), 'update()')
        updates++
      } while (!caughtUp(peer, root))
      const indexed = performance.now() - started
      let count = 0
      for await (const entry of peer.list({ prefix: 'key/' })) {
        void entry
        count++
      }
      const total = performance.now() - started
      if (count !== OPS) throw new Error(`catch-up read ${count} keys, expected ${OPS}`)
      rows.push([`catch-up of ${OPS} ops: join → all indexed (${updates} update() calls)`, ms(indexed)])
      rows.push([`catch-up of ${OPS} ops: join → all keys read`, ms(total)])
      rows.push(['catch-up rate', `${Math.round(OPS / (total / 1000))} ops/s`])

      const latencies: number[] = []
      const local: number[] = []
      for (let i = 0; i < WRITES; i++) {
        const key = `live/${i}`
        const t0 = performance.now()
        const arrived = seen(peer, key, t0)
        await root.put(key, { i })
        local.push(performance.now() - t0)
        latencies.push(await within(10_000, arrived, `write ${i} at the peer`))
      }
      rows.push([`single put resolves locally (median of ${WRITES})`, ms(median(local))])
      rows.push([`single write → readable on the other peer (median of ${WRITES})`, ms(median(latencies))])
      rows.push(['write → peer: min / max', `${ms(Math.min(...latencies))} / ${ms(Math.max(...latencies))}`])
    })
  })
} finally {
  await net.destroy()
}

const width = Math.max(...rows.map(([name]) => name.length))
console.log(`peerbee network timings (local testnet, peers in one process, node ${process.version})`)
for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`)
