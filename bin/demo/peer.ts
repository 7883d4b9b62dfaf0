/**
 * One peer of `peerbee demo`, in its own process: it opens a db, joins the swarm, and runs
 * the requests the demo sends as JSON lines on stdin, answering each on stdout.
 *
 *   node peer.js <storage> <bootstrap> [db key [encryption key]]
 *   node peer.js <storage> <bootstrap> --encrypt        (a new encrypted db)
 */
import { createInterface } from 'node:readline'
import { isDeepStrictEqual } from 'node:util'
import { PeerBee } from '../../lib/index.js'
import { entryJson, formatKey } from '../format.js'
import { until } from '../waits.js'

/** Below the demo's own request timeout, so the peer reports first. */
const WAIT_TIMEOUT = 25_000

/** What the demo asks of a peer. `wait` resolves once every condition given holds. */
export type Request =
  | { op: 'put'; key: string; value: unknown }
  | { op: 'add-writer'; key: string }
  | { op: 'leave' }
  | { op: 'join' }
  | { op: 'dump' }
  | { op: 'status' }
  | {
      op: 'wait'
      writable?: boolean
      keys?: Record<string, unknown>
      conflicts?: Record<string, number>
      count?: number
    }

const [storage, bootstrap, key, encryptionKey] = process.argv.slice(2)
if (storage === undefined || bootstrap === undefined) {
  throw new Error('usage: peer.js <storage> <bootstrap> [db key [encryption key]] | --encrypt')
}

const db = new PeerBee(storage, {
  bootstrap: [bootstrap],
  ...(key === '--encrypt' ? { encrypt: true } : key === undefined ? {} : { key }),
  ...(encryptionKey === undefined ? {} : { encryptionKey })
})

function send(message: unknown): void {
  process.stdout.write(JSON.stringify(message) + '\n')
}

let joined: Promise<void> = Promise.resolve()

async function dump() {
  const entries = []
  for await (const e of db.list()) entries.push(entryJson(e))
  return entries
}

async function holds(req: Extract<Request, { op: 'wait' }>): Promise<boolean> {
  if (req.writable !== undefined && db.writable !== req.writable) return false
  for (const [k, value] of Object.entries(req.keys ?? {})) {
    const e = await db.get(k)
    if (e === null || !isDeepStrictEqual(e.value, value)) return false
  }
  for (const [k, count] of Object.entries(req.conflicts ?? {})) {
    const e = await db.get(k)
    if (e === null || e.conflicts.length !== count) return false
  }
  if (req.count !== undefined && (await dump()).length < req.count) return false
  return true
}

async function run(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'put':
      return db.put(req.key, req.value)
    case 'add-writer':
      return db.addWriter(req.key)
    case 'leave':
      // Leaving while the first join is still in flight would race it.
      await joined
      return db.leave()
    case 'join':
      return db.join()
    case 'dump':
      return dump()
    case 'status': {
      const s = db.status()
      return { ...s, role: db.role, writers: s.writers.map((w) => ({ ...w, key: formatKey(w.key) })) }
    }
    case 'wait':
      return until(db, () => holds(req), WAIT_TIMEOUT, 'the condition')
  }
}

async function main(): Promise<void> {
  await db.ready()
  // join() also waits for the peers the first lookup found, dead ones included: answer now.
  joined = db.join()
  joined.catch((err: Error) => send({ event: 'error', error: err.message }))
  const encryption = db.encryptionKey === null ? {} : { encryptionKey: formatKey(db.encryptionKey) }
  send({ event: 'ready', key: db.id, writerKey: formatKey(db.writerKey), role: db.role, ...encryption })
  for await (const line of createInterface({ input: process.stdin })) {
    const { id, ...req } = JSON.parse(line) as Request & { id: number }
    // Requests run concurrently: the demo may wait on one peer while another writes.
    run(req).then(
      (result) => send({ id, result: result ?? null }),
      (err: Error) => send({ id, error: err.message })
    )
  }
  // The demo closed stdin: shut down cleanly.
  await db.close()
}

process.once('SIGTERM', () => void db.close().then(() => process.exit(0)))
main().catch((err: Error) => {
  send({ event: 'error', error: err.message })
  process.exit(1)
})
