import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import b4a from 'b4a'
import { PeerBee } from '../../lib/index.js'
import { collect, connect, peerState, teardown, tempDir, waitFor } from '../helpers.js'

/**
 * Crash safety for real: a child process writes single puts, batches and concurrent puts and
 * is killed with SIGKILL at random moments, several times on the same storage. After each
 * kill the db reopens with every write that had resolved, no batch half-applied, and an index
 * equal to one built from the logs by a fresh peer.
 * Replay the kill points with PEERBEE_SEED=<seed>; PEERBEE_KILLS sets how many (`npm run soak`).
 */
const SEED = process.env.PEERBEE_SEED === undefined ? 424_242 : Number(process.env.PEERBEE_SEED)
const ITERATIONS = process.env.PEERBEE_KILLS === undefined ? 6 : Number(process.env.PEERBEE_KILLS)

const WRITER = fileURLToPath(new URL('../fixtures/crash-writer.ts', import.meta.url))

/** mulberry32: a small seeded PRNG, so the kill points of a run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Resolved =
  | { type: 'ready'; key: string; writer: string }
  | { type: 'put'; key: string; value: unknown }
  | { type: 'batch'; id: string; size: number }

/**
 * Runs the writer until `lines` writes have resolved (0: right after it opened), lets it go on
 * for `delayMs` more (writes in flight), then SIGKILLs it.
 */
async function writeAndKill(dir: string, run: number, lines: number, delayMs: number): Promise<Resolved[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(run)], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const resolved: Resolved[] = []
  const kill = () => child.kill('SIGKILL')
  // a writer that stalls never reaches its kill point: fail rather than hang
  let stalled = false
  const guard = setTimeout(() => {
    stalled = true
    kill()
  }, 30_000)
  // every line the child printed before it died still arrives through the pipe: keep reading
  const closed = once(
    createInterface({ input: child.stdout }).on('line', (line) => {
      resolved.push(JSON.parse(line) as Resolved)
      if (resolved.length === lines + 1) setTimeout(kill, delayMs)
    }),
    'close'
  )
  const [code, signal] = await once(child, 'exit').finally(kill)
  clearTimeout(guard)
  await closed
  assert.equal(stalled, false, `the writer stalled after ${resolved.length} lines: ${stderr}`)
  assert.equal(signal, 'SIGKILL', `the writer died on its own (code ${code}): ${stderr}`)
  return resolved
}

/** Every check a reopened db must pass against what the writer reported as resolved. */
async function verify(db: PeerBee<string, any>, resolved: Resolved[]): Promise<void> {
  for (const r of resolved) {
    if (r.type === 'put') {
      assert.deepEqual((await db.get(r.key))?.value, r.value, `resolved put ${r.key} is there`)
    } else if (r.type === 'batch') {
      for (let j = 0; j < r.size; j++) {
        assert.deepEqual(
          (await db.get(`${r.id}/${j}`))?.value,
          { batch: r.id, size: r.size, j },
          `resolved batch ${r.id}`
        )
      }
    }
  }
  // every batch in the db, resolved or not, is whole: all its keys, in one entry
  const batches = new Map<string, { size: number; seen: Set<number>; seqs: Set<number> }>()
  for (const e of await collect(db.list())) {
    if (typeof e.value !== 'object' || e.value === null || !('batch' in e.value)) continue
    const b = batches.get(e.value.batch) ?? { size: e.value.size, seen: new Set(), seqs: new Set() }
    b.seen.add(e.value.j)
    b.seqs.add(e.seq)
    batches.set(e.value.batch, b)
  }
  for (const [id, b] of batches) {
    assert.equal(b.seen.size, b.size, `batch ${id} is all there or not at all`)
    assert.equal(b.seqs.size, 1, `batch ${id} is one entry`)
  }
  // each key was written once: a replayed entry must not make a second version
  for (const e of await collect(db.list())) assert.equal((await db.history(e.key)).length, 1, e.key)
  // the log and the index agree after the restart
  const root = (await db.writers()).find((w) => b4a.equals(w.key, db.key))
  assert.ok(root !== undefined)
  assert.equal(root.indexed, root.length, 'every appended entry is indexed on open')
  assert.equal(db.status().invalid, 0)
}

test(`SIGKILL at random moments loses no resolved write and tears no batch (seed ${SEED})`, async (t) => {
  t.diagnostic(`seed ${SEED}, ${ITERATIONS} kills; replay with PEERBEE_SEED=${SEED}`)
  console.log(`crash: seed ${SEED}, ${ITERATIONS} kill iterations`)
  const random = prng(SEED)
  const dir = await tempDir(t)
  const all: Resolved[] = []
  let key: string | null = null

  for (let run = 0; run < ITERATIONS; run++) {
    // sometimes right after open, mostly somewhere in a stream of writes
    const lines = run === 1 ? 0 : Math.floor(random() * 80)
    const started = Date.now()
    const resolved = await writeAndKill(dir, run, lines, Math.floor(random() * 20))
    const ready = resolved.find((r) => r.type === 'ready')
    assert.ok(ready !== undefined && ready.type === 'ready')
    if (key === null) key = ready.key
    assert.equal(ready.key, key, 'every restart opens the same db')
    assert.equal(ready.writer, key, 'and writes as the same writer')
    all.push(...resolved)
    t.diagnostic(`kill ${run}: after ${resolved.length - 1} resolved writes (${Date.now() - started} ms)`)

    const db = new PeerBee<string, any>(dir)
    try {
      await db.ready()
      assert.equal(b4a.toString(db.key, 'hex'), key)
      await verify(db, all)
      t.diagnostic(`verified ${run} (${Date.now() - started} ms)`)
    } finally {
      await db.close()
    }
  }

  // finally: the index equals one rebuilt from the logs by a peer that starts from nothing
  const db = new PeerBee<string, any>(dir)
  teardown(t, () => db.close())
  await db.ready()
  const fresh = new PeerBee<string, any>(await tempDir(t), { key: db.key })
  teardown(t, () => fresh.close())
  await fresh.ready()
  const cut = connect(db, fresh)
  t.after(cut)
  // update() right after connect() is tested on its own, in test/unit/behaviour.test.ts
  await waitFor(() => fresh.status().peers > 0)
  await fresh.update()
  const keys = (await collect(db.list())).map((e) => e.key)
  assert.ok(keys.length > 0)
  assert.deepEqual(await peerState(fresh, keys), await peerState(db, keys))
  await verify(fresh, all)
})
