import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EAGER_OPS, IndexPacing, MAX_WAIT_MS, QUIET_MS } from '../../lib/db/index-pacing.js'

function paced(t: { after(fn: () => void): void }): { pacing: IndexPacing; steps: () => number } {
  let steps = 0
  const pacing = new IndexPacing(() => steps++)
  t.after(() => pacing.close())
  return { pacing, steps: () => steps }
}

test('a lone write goes to the index once writes paused for QUIET_MS', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const { pacing, steps } = paced(t)
  pacing.wrote(1)
  t.mock.timers.tick(QUIET_MS - 1)
  assert.equal(steps(), 0)
  t.mock.timers.tick(1)
  assert.equal(steps(), 1)
  t.mock.timers.tick(MAX_WAIT_MS * 2)
  assert.equal(steps(), 1, 'no step without a new write')
})

test('writes that keep coming go to the index every MAX_WAIT_MS, not after each write', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const { pacing, steps } = paced(t)
  // A write every 1 ms for 2.5 * MAX_WAIT_MS: never a pause of QUIET_MS.
  for (let ms = 0; ms < 2.5 * MAX_WAIT_MS; ms++) {
    pacing.wrote(1 + (ms % 10))
    t.mock.timers.tick(1)
  }
  assert.equal(steps(), 2)
  // The last writes are taken once the writes pause.
  t.mock.timers.tick(QUIET_MS - 1)
  assert.equal(steps(), 3)
})

test('EAGER_OPS pending ops go to the index at once, and the timer of the earlier writes is dropped', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const { pacing, steps } = paced(t)
  pacing.wrote(1)
  pacing.wrote(EAGER_OPS)
  assert.equal(steps(), 1)
  t.mock.timers.tick(MAX_WAIT_MS)
  assert.equal(steps(), 1, 'the step taken at once took the earlier writes too')
})

test('close() stops a pending step', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const { pacing, steps } = paced(t)
  pacing.wrote(1)
  pacing.close()
  t.mock.timers.tick(MAX_WAIT_MS)
  assert.equal(steps(), 0)
})
