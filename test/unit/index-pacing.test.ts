import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EAGER_OPS, IndexPacing, MAX_WAIT_MS, QUIET_MS } from '../../lib/db/index-pacing.js'
import { createDb } from '../helpers.js'

/** A pacing whose writer is in flight while `writing` is set; `steps` counts the steps it asked for. */
function paced(t: { after(fn: () => void): void }) {
  const state = { steps: 0, writing: false }
  const pacing = new IndexPacing(
    () => state.steps++,
    () => state.writing
  )
  t.after(() => pacing.close())
  return { pacing, state }
}

test('a lone write goes to the index QUIET_MS after it', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const { pacing, state } = paced(t)
  pacing.wrote(1)
  t.mock.timers.tick(QUIET_MS - 1)
  assert.equal(state.steps, 0)
  t.mock.timers.tick(1)
  assert.equal(state.steps, 1)
  t.mock.timers.tick(MAX_WAIT_MS * 2)
  assert.equal(state.steps, 1, 'no step without a new write')
})

test('writes that keep coming go to the index every MAX_WAIT_MS, then once none is in flight', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const { pacing, state } = paced(t)
  // A write every 1 ms for 2.5 * MAX_WAIT_MS, the next always in flight.
  state.writing = true
  for (let ms = 0; ms < 2.5 * MAX_WAIT_MS; ms++) {
    pacing.wrote(1 + (ms % 10))
    t.mock.timers.tick(1)
  }
  assert.equal(state.steps, 2)
  state.writing = false
  t.mock.timers.tick(QUIET_MS)
  assert.equal(state.steps, 3)
})

test('a gap between writes is no pause while a write is in flight', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const { pacing, state } = paced(t)
  state.writing = true
  pacing.wrote(1)
  // The next write takes long (a busy machine, a step running): still the same stream.
  t.mock.timers.tick(MAX_WAIT_MS - 1)
  assert.equal(state.steps, 0)
  t.mock.timers.tick(1)
  assert.equal(state.steps, 1)
})

test('EAGER_OPS pending ops go to the index at once, and the timer of the earlier writes is dropped', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const { pacing, state } = paced(t)
  pacing.wrote(1)
  pacing.wrote(EAGER_OPS)
  assert.equal(state.steps, 1)
  t.mock.timers.tick(MAX_WAIT_MS)
  assert.equal(state.steps, 1, 'the step taken at once took the earlier writes too')
})

test('close() stops a pending step', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const { pacing, state } = paced(t)
  pacing.wrote(1)
  pacing.close()
  t.mock.timers.tick(MAX_WAIT_MS)
  assert.equal(state.steps, 0)
})

test('a db indexes sequential awaited puts every MAX_WAIT_MS at most, and the last soon after', async (t) => {
  const db = await createDb<string, number>(t)
  let steps = 0
  db.on('update', () => steps++)
  const start = Date.now()
  for (let i = 0; i < 300; i++) await db.put(`k${i}`, i)
  const elapsed = Date.now() - start
  // A step may come between the db opening and the first put, and one after the last.
  assert.ok(steps <= Math.floor(elapsed / MAX_WAIT_MS) + 2, `${steps} steps in ${elapsed} ms`)
  const wrote = Date.now()
  const own = () => db.status().writers[0]!
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`indexed ${own().indexed} of ${own().length}`)), 5_000)
    const indexed = () => {
      if (own().indexed < own().length) return void db.once('update', indexed)
      clearTimeout(timer)
      resolve()
    }
    indexed()
  })
  assert.ok(Date.now() - wrote < MAX_WAIT_MS * 4, 'the last writes were indexed once the writes stopped')
})
