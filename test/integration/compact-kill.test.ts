import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import Corestore from 'corestore'
import { localCore } from '../../lib/db/local-core.js'
import { LocalSettings } from '../../lib/db/local-settings.js'
import { PeerBee } from '../../lib/index.js'
import { collect, createDb, peerState, tempDir } from '../helpers.js'

const CHILD = fileURLToPath(new URL('../fixtures/compact-child.ts', import.meta.url))

/** The index cores a storage's settings name, and whether a core still holds any block. */
async function inspect(dir: string, name: string | null): Promise<{ index: string | null; holds: boolean }> {
  const store = new Corestore(dir)
  try {
    const local = await LocalSettings.open(store)
    const index = await local.getText('index')
    for (const setting of ['compacting', 'retired']) assert.equal(await local.getText(setting), null, setting)
    let holds = false
    if (name !== null) {
      const core = localCore(store, name)
      await core.ready()
      holds = core.length > 0 && (await core.has(0, core.length))
      await core.close()
    }
    await local.close()
    return { index, holds }
  } finally {
    await store.close()
  }
}

for (const moment of ['copy', 'copied', 'swapped', 'freeing'] as const) {
  test(`SIGKILL during compact() (${moment}), then reopen: the old index or the new one serves, whole`, async (t) => {
    const dir = await tempDir(t)
    const db = await createDb<string, unknown>(t, {}, dir)
    // Enough entries for several copy batches.
    for (let r = 0; r < 3; r++) {
      for (let i = 0; i < 3000; i += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, j) => db.put(`k${i + j}`, `${r}:${i + j}`)))
      }
    }
    await db.del('k5')
    const keys = ['k0', 'k5', 'k2999']
    const state = await peerState(db, keys)
    const changes = await collect(db.changes())
    const checkpoint = changes[1]!.checkpoint
    const fromCheckpoint = (await collect(db.changes({ since: checkpoint }))).flatMap((b) => b.changes)
    await db.close()
    const { index: old } = await inspect(dir, null)

    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, moment], {
      stdio: ['ignore', 'pipe', 'inherit']
    })
    const lines = createInterface({ input: child.stdout })
    const exited = once(child, 'exit')
    const [line] = (await once(lines, 'line')) as [string]
    assert.notEqual(line, 'done', 'the compaction was still running')
    const at = JSON.parse(line) as { moment: string; index: string; compacting: string | null }
    child.kill('SIGKILL')
    await exited
    const swapped = moment === 'swapped' || moment === 'freeing'
    // The copy's core, in use once swapped.
    const copy = swapped ? at.index : at.compacting!
    assert.notEqual(copy, old)
    assert.equal(at.index, swapped ? copy : old)

    const reopened = new PeerBee<string, unknown>(dir)
    t.after(() => reopened.close())
    await reopened.ready()
    assert.deepEqual(await peerState(reopened, keys), state)
    assert.deepEqual(
      (await collect(reopened.changes({ since: checkpoint }))).flatMap((b) => b.changes),
      fromCheckpoint
    )
    await reopened.put('after', moment)
    assert.equal((await reopened.get('after'))?.value, moment)
    await reopened.close()

    // The open freed the core that is no longer in use: the copy cut short, or the old index.
    const unused = swapped ? old : copy
    const after = await inspect(dir, unused)
    assert.equal(after.index, swapped ? copy : old)
    assert.equal(after.holds, false, 'the core no longer in use holds no block')
  })
}
