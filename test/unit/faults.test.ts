import assert from 'node:assert/strict'
import { test } from 'node:test'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import b4a from 'b4a'
import { PeerBee } from '../../lib/index.js'
import { connect, createDb, tempDir, waitFor } from '../helpers.js'

// Hypercore closes every session of a writer log that signed two histories. Such a writer
// must stop being indexed, not take the peer's whole index down.
test('a writer log that closes under the indexer stops being indexed; the db keeps working', async (t) => {
  const a = await createDb<string, number>(t)
  const w = await createDb<string, number>(t, { key: a.key })
  connect(a, w)
  await a.addWriter(w.writerKey)
  await w.update()
  await w.put('from-w', 1)
  await a.update()
  assert.equal((await a.get('from-w'))?.value, 1)

  const errors: unknown[] = []
  a.on('error', (err) => errors.push(err))
  const internal = a as unknown as {
    core: { keeper: { current: { replication: { log(id: string): { close(): Promise<void> } } } } }
  }
  await internal.core.keeper.current.replication.log(b4a.toString(w.writerKey, 'hex')).close()
  await w.put('after-close', 2)
  await a.put('own', 3)
  await a.update()
  assert.deepEqual(errors, [])
  assert.equal((await a.get('own'))?.value, 3)
  assert.equal((await a.get('from-w'))?.value, 1, 'what was indexed stays')
  await waitFor(() => a.status().writers.length === 2)
  assert.ok(a instanceof PeerBee)
})

test('a process that awaits watch() after its last write is kept alive until the change arrives', async (t) => {
  for (let run = 0; run < 5; run++) {
    const dir = await tempDir(t)
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../fixtures/watch-after-write.ts', import.meta.url)), dir],
      {
        stdio: 'ignore'
      }
    )
    const [code] = (await once(child, 'exit')) as [number | null]
    assert.equal(code, 0, `run ${run}: exit code 13 is node's "unfinished top-level await"`)
  }
})
