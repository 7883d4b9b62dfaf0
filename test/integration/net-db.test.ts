import assert from 'node:assert/strict'
import { test } from 'node:test'
import { once } from 'node:events'
import { createSwarm } from '../../lib/net/create-swarm.js'
import { createDb, teardown } from '../helpers.js'
import { localTestnet, until, within } from './net-helpers.js'

test('a db on the app’s own swarm replicates, counts peers, and leaves the swarm to the app', async (t) => {
  const net = await localTestnet()
  teardown(t, () => net.destroy())
  const swarm = createSwarm({ bootstrap: net.bootstrap })
  teardown(t, () => swarm.destroy())

  const a = await createDb<string, number>(t, { swarm })
  await a.put('k', 1)
  const b = await createDb<string, number>(t, { key: a.key, bootstrap: net.bootstrap })
  const added = once(b, 'peer-add')
  await a.join()
  await b.join()
  await within(10_000, added, 'peer-add')
  await b.update()
  assert.equal((await b.get('k'))?.value, 1)
  assert.equal(a.status().peers, 1)
  assert.equal(b.status().peers, 1)

  // Live: a new write reaches the connected peer without another update() call.
  await a.put('live', 2)
  await within(
    10_000,
    until(b, ['update'], () => b.status().writers[0]?.indexed === 3),
    'live write'
  )
  assert.equal((await b.get('live'))?.value, 2)

  const removed = once(b, 'peer-remove')
  await b.leave()
  await within(10_000, removed, 'peer-remove')
  assert.equal(b.status().peers, 0)

  await a.close()
  assert.equal(swarm.destroyed, false, 'the app owns its swarm')
})
