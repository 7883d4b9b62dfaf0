import PouchDB from 'pouchdb'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { linkedPairs } from './replicate.js'
import type { Db, Follower, Group, GroupOptions, Record, Row, ScanRange, System } from './types.js'

/** PouchDB with its default Node adapter (LevelDB on disk): a syncing local database. */
export const pouchdb: System = {
  name: 'pouchdb',
  async open(dir) {
    return new PouchDb(await openPouch(dir))
  },
  async openGroup(dir, size, opts) {
    const writers: PouchDb[] = []
    for (let i = 0; i < size; i++) writers.push(new PouchDb(await openPouch(join(dir, 'peer-' + i))))
    return new PouchGroup(writers, opts)
  }
}

// LevelDB creates its own directory but not the parents.
async function openPouch(dir: string): Promise<PouchDB> {
  await mkdir(dir, { recursive: true })
  return new PouchDB(join(dir, 'db'))
}

interface Doc {
  value: Record
}

function isMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'status' in err && err.status === 404
}

class PouchDb implements Db {
  /** The current revision of each doc `overwriteBatch` wrote: what PouchDB needs to write it again. */
  private readonly revs = new Map<string, string>()

  constructor(readonly db: PouchDB) {}

  async put(key: string, value: Record): Promise<void> {
    await this.db.put<Doc>({ _id: key, value })
  }

  async putBatch(rows: Row[]): Promise<void> {
    const results = await this.db.bulkDocs<Doc>(rows.map((row) => ({ _id: row.key, value: row.value })))
    for (const result of results) {
      if ('error' in result) throw new Error(`bulkDocs failed for ${result.id}: ${result.message}`)
    }
  }

  async overwriteBatch(rows: Row[]): Promise<void> {
    const docs = rows.map((row) => ({ _id: row.key, _rev: this.revs.get(row.key), value: row.value }))
    for (const result of await this.db.bulkDocs<Doc>(docs)) {
      if ('error' in result) throw new Error(`bulkDocs failed for ${result.id}: ${result.message}`)
      this.revs.set(result.id, result.rev)
    }
  }

  // Drops the bodies of revisions that are no longer leaves; the revision trees stay.
  async compact(): Promise<null> {
    await this.db.compact()
    return null
  }

  async get(key: string): Promise<Record | null> {
    try {
      return (await this.db.get<Doc>(key)).value
    } catch (err) {
      if (isMissing(err)) return null
      throw err
    }
  }

  scan(range?: ScanRange): AsyncIterable<Row> {
    return scanAll(this.db, range)
  }

  // bulkDocs resolves once the docs are stored and indexed by id.
  async settle(): Promise<void> {}

  async follow(dir: string): Promise<Follower> {
    return new PouchFollower(this.db, await openPouch(dir))
  }

  close(): Promise<void> {
    return this.db.close()
  }
}

// One allDocs call: PouchDB's fastest way to read everything in _id order.
async function* scanAll(db: PouchDB, range: ScanRange = {}): AsyncIterable<Row> {
  // PouchDB reads a present-but-undefined option as set, so only the given ones are passed.
  const { rows } = await db.allDocs<Doc>({
    include_docs: true,
    ...(range.gte === undefined ? {} : { startkey: range.gte }),
    ...(range.limit === undefined ? {} : { limit: range.limit })
  })
  for (const row of rows) {
    if (row.doc !== undefined) yield { key: row.id, value: row.doc.value }
  }
}

class PouchFollower implements Follower {
  readonly db: Pick<Db, 'get' | 'scan'>

  constructor(
    private readonly source: PouchDB,
    private readonly target: PouchDB
  ) {
    this.db = new PouchDb(target)
  }

  // Replication is a request/response loop started by catchUp: nothing to connect.
  connect(): void {}

  async catchUp(): Promise<void> {
    await this.target.replicate.from(this.source)
  }

  close(): Promise<void> {
    return this.target.close()
  }
}

class PouchGroup implements Group {
  private readonly pairs: Array<[number, number]>

  constructor(
    readonly writers: PouchDb[],
    opts: GroupOptions
  ) {
    this.pairs = linkedPairs(writers.length, opts.chain)
  }

  // Every linked pair syncs both ways at once: one round spreads every write to every peer of
  // a full mesh, and at least one hop along a chain.
  async sync(): Promise<void> {
    await Promise.all(this.pairs.map(([i, j]) => this.writers[i].db.sync(this.writers[j].db)))
  }

  async close(): Promise<void> {
    for (const writer of this.writers) await writer.close()
  }
}
