/**
 * Keeps a JSON file in step with a db across restarts, as an app keeps a search index or a UI
 * store in step: each run reads `db.changes({ since })` from the checkpoint saved in the file,
 * applies what changed, and saves the data with the new checkpoint in one atomic rename, so a
 * crash between two runs loses nothing and applies nothing twice. A checkpoint the db no
 * longer knows (its index was rebuilt) starts the mirror over.
 *
 *   tsx examples/json-mirror.ts <storage dir> <json file>
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { PeerBee, PeerBeeError, type ChangeBatch } from '../lib/index.js'

interface Mirror {
  checkpoint: string | null
  data: Record<string, unknown>
}

const [storage, file] = process.argv.slice(2)
if (storage === undefined || file === undefined) throw new Error('usage: json-mirror <storage dir> <json file>')

async function load(): Promise<Mirror> {
  try {
    return JSON.parse(await readFile(file!, 'utf-8')) as Mirror
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { checkpoint: null, data: {} }
    throw err
  }
}

async function save(mirror: Mirror): Promise<void> {
  await writeFile(`${file}.tmp`, JSON.stringify(mirror, null, 2))
  await rename(`${file}.tmp`, file!)
}

/** Applies the changes after the mirror's checkpoint; returns how many. */
async function catchUp(db: PeerBee<string, unknown>, mirror: Mirror): Promise<number> {
  let applied = 0
  const feed: AsyncIterable<ChangeBatch<string, unknown>> =
    mirror.checkpoint === null ? db.changes() : db.changes({ since: mirror.checkpoint })
  for await (const { checkpoint, changes } of feed) {
    for (const change of changes) {
      if (change.deleted) delete mirror.data[change.key]
      else mirror.data[change.key] = change.value
    }
    mirror.checkpoint = checkpoint
    applied += changes.length
  }
  return applied
}

const db = new PeerBee<string, unknown>(storage)
await db.ready()
try {
  let mirror = await load()
  let since = mirror.checkpoint === null ? 'from the start' : 'since the last run'
  let applied: number
  try {
    applied = await catchUp(db, mirror)
  } catch (err) {
    if (!(err instanceof PeerBeeError && err.code === 'CHECKPOINT_EXPIRED')) throw err
    console.log('checkpoint expired: mirroring again')
    mirror = { checkpoint: null, data: {} }
    since = 'from the start'
    applied = await catchUp(db, mirror)
  }
  await save(mirror)
  console.log(`applied ${applied} changes ${since}`)
} finally {
  await db.close()
}
