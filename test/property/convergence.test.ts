import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { PeerBee } from '../../lib/index.js'
import { applyWrite, connect, mesh, peerState, type GeneratedWrite } from '../helpers.js'

/**
 * Convergence as a property: random writes from random writers on 3-5 peers, replicated in a
 * random order through random partitions, must leave every peer with the same state once all
 * of them have seen every log (docs/DESIGN.md, section 4: the state is a function of the set
 * of valid versions). Replay a failure with PEERBEE_SEED=<seed> (and PEERBEE_RUNS).
 */
const SEED = process.env.PEERBEE_SEED === undefined ? 20_250_601 : Number(process.env.PEERBEE_SEED)
const RUNS = process.env.PEERBEE_RUNS === undefined ? 15 : Number(process.env.PEERBEE_RUNS)
/** Encrypted dbs run the same scenarios, fewer of them: what differs is keys, not the merge. */
const ENCRYPTED_RUNS = Math.max(1, Math.round(RUNS / 3))

/** A small alphabet, so that concurrent writes to one key really happen. */
const KEYS = ['a', 'b', 'c', 'd']
const T0 = 1_800_000_000_000
const MINUTE = 60_000

type Write = GeneratedWrite & { peer: number }

type Step = Write | { type: 'sync'; peer: number } | { type: 'remove'; target: number }

interface Round {
  /** Which pairs (by index into the list of all pairs) are connected in this round. */
  links: boolean[]
  steps: Step[]
}

interface Scenario {
  peers: number
  /** Peers 0..writers-1 write; the rest only read. Peer 0 is the root. */
  writers: number
  /** Per peer: added as admin instead of writer. */
  admins: boolean[]
  /** Per peer: wall-clock skew in ms, some of them beyond the 5 minute drift bound. */
  skews: number[]
  rounds: Round[]
}

const key = fc.constantFrom(...KEYS)
const value = fc.integer({ min: 0, max: 99 })

function scenarioArb(): fc.Arbitrary<Scenario> {
  return fc.integer({ min: 3, max: 5 }).chain((peers) => {
    const pairs = (peers * (peers - 1)) / 2
    const peer = fc.integer({ min: 0, max: peers - 1 })
    const write: fc.Arbitrary<Step> = fc.oneof(
      { weight: 8, arbitrary: fc.record({ type: fc.constant('put' as const), peer, key, value }) },
      { weight: 3, arbitrary: fc.record({ type: fc.constant('del' as const), peer, key }) },
      {
        weight: 2,
        arbitrary: fc.record({
          type: fc.constant('batch' as const),
          peer,
          ops: fc.array(fc.record({ key, value: fc.option(value, { freq: 3 }) }), { minLength: 1, maxLength: 4 })
        })
      },
      { weight: 4, arbitrary: fc.record({ type: fc.constant('sync' as const), peer }) },
      {
        weight: 1,
        arbitrary: fc.record({ type: fc.constant('remove' as const), target: fc.integer({ min: 1, max: peers - 1 }) })
      }
    )
    const round = fc.record({
      links: fc.array(fc.boolean(), { minLength: pairs, maxLength: pairs }),
      steps: fc.array(write, { minLength: 3, maxLength: 12 })
    })
    return fc.record({
      peers: fc.constant(peers),
      writers: fc.integer({ min: 2, max: peers }),
      admins: fc.array(fc.boolean(), { minLength: peers, maxLength: peers }),
      skews: fc.array(fc.constantFrom(0, 1, 5, -3, 6 * MINUTE, -6 * MINUTE), { minLength: peers, maxLength: peers }),
      rounds: fc.array(round, { minLength: 2, maxLength: 5 })
    })
  })
}

/**
 * `encrypt`: the db is encrypted, every peer given its key at the start. A removal then moves
 * the db to a key the removed writer never gets, nor the readers (an admin hands it to them by
 * hand): the peers that are members at the end must converge, the others hold less.
 */
async function run(sc: Scenario, encrypt = false): Promise<void> {
  const dirs: string[] = []
  const dbs: Array<PeerBee<string, unknown>> = []
  const cuts: Array<() => void> = []
  // One logical time for all peers, advanced by every step: runs are reproducible.
  let time = T0
  try {
    for (let i = 0; i < sc.peers; i++) {
      const dir = await mkdtemp(path.join(tmpdir(), 'peerbee-conv-'))
      dirs.push(dir)
      const skew = sc.skews[i]!
      const opened = i === 0 ? { encrypt } : { key: dbs[0]!.key, encryptionKey: dbs[0]!.encryptionKey ?? undefined }
      const db = new PeerBee<string, unknown>(dir, { ...opened, now: () => time + skew })
      dbs.push(db)
      await db.ready()
    }
    const root = dbs[0]!
    for (let i = 1; i < sc.writers; i++)
      await root.addWriter(dbs[i]!.writerKey, { role: sc.admins[i] ? 'admin' : 'writer' })
    const all = mesh(dbs)
    for (const db of dbs) await db.update()
    all()

    const pairs: Array<[number, number]> = []
    for (let i = 0; i < sc.peers; i++) for (let j = i + 1; j < sc.peers; j++) pairs.push([i, j])

    for (const round of sc.rounds) {
      const links = pairs.filter((_, i) => round.links[i])
      for (const [i, j] of links) cuts.push(connect(dbs[i]!, dbs[j]!))
      for (const step of round.steps) {
        time += 7
        if (step.type === 'sync') await dbs[step.peer]!.update()
        else if (step.type === 'remove') {
          const target = dbs[step.target]!
          if (root.writable) await root.removeWriter(target.writerKey)
        } else await applyWrite(dbs[step.peer]!, step)
      }
      while (cuts.length > 0) cuts.pop()!()
    }

    // Heal every partition, then update until every peer holds the same state.
    cuts.push(mesh(dbs))
    let states: unknown[] = []
    const compared = () => (encrypt ? dbs.filter((db) => db.writable) : dbs)
    for (let pass = 0; pass < 6; pass++) {
      for (const db of dbs) await db.update()
      states = await Promise.all(compared().map((db) => peerState(db, KEYS)))
      if (states.every((s) => isDeepStrictEqual(s, states[0]))) break
    }
    for (let i = 1; i < states.length; i++) assert.deepEqual(states[i], states[0], `peer ${i} differs from peer 0`)
    if (process.env.PEERBEE_DEBUG) console.log(JSON.stringify(states[0]))
  } finally {
    while (cuts.length > 0) cuts.pop()!()
    for (const db of dbs) await db.close()
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  }
}

function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepStrictEqual(a, b)
    return true
  } catch {
    return false
  }
}

test(`every peer converges to the same list, conflicts and histories (seed ${SEED}, ${RUNS} runs)`, async (t) => {
  t.diagnostic(`seed ${SEED}, numRuns ${RUNS}; replay with PEERBEE_SEED=${SEED}`)
  console.log(`convergence: seed ${SEED}, numRuns ${RUNS}`)
  await fc.assert(
    fc.asyncProperty(scenarioArb(), (sc) => run(sc)),
    {
      seed: SEED,
      numRuns: RUNS,
      endOnFailure: true,
      includeErrorInReport: true
    }
  )
})

test(`members of an encrypted db converge through removals and partitions (seed ${SEED}, ${ENCRYPTED_RUNS} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArb(), (sc) => run(sc, true)),
    { seed: SEED + 1, numRuns: ENCRYPTED_RUNS, endOnFailure: true, includeErrorInReport: true }
  )
})

test('convergence regression: concurrent writes across a partition with skewed clocks', async () => {
  // A fixed scenario: both writers write every key while apart, one far ahead in time.
  await run({
    peers: 3,
    writers: 3,
    admins: [false, false, true],
    skews: [0, 6 * MINUTE, -6 * MINUTE],
    rounds: [
      {
        links: [false, false, false],
        steps: [
          { type: 'put', peer: 0, key: 'a', value: 1 },
          { type: 'put', peer: 1, key: 'a', value: 2 },
          { type: 'del', peer: 2, key: 'a' },
          {
            type: 'batch',
            peer: 1,
            ops: [
              { key: 'b', value: 1 },
              { key: 'c', value: null }
            ]
          },
          { type: 'put', peer: 2, key: 'b', value: 3 }
        ]
      },
      {
        links: [true, false, false],
        steps: [
          { type: 'sync', peer: 0 },
          { type: 'put', peer: 0, key: 'a', value: 4 },
          { type: 'remove', target: 2 },
          { type: 'put', peer: 2, key: 'c', value: 5 }
        ]
      }
    ]
  })
})
