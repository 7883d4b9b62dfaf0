import type Hyperswarm from 'hyperswarm'
import { join } from 'node:path'
import { nextEvent, until } from '../harness.js'
import { PeerBee } from '../../lib/index.js'
import { linkedPairs, pipeStreams } from './replicate.js'
import type {
  Db,
  Follower,
  Group,
  IndexBytes,
  Record,
  Row,
  ScanRange,
  SwarmDb,
  SwarmFollower,
  System,
  SystemName
} from './types.js'

/**
 * peerbee through its public API only, with its default utf-8 keys and JSON values; `encrypt`:
 * on an encrypted db (writer logs and index encrypted block by block), its followers given the key.
 */
function peerbeeSystem(name: SystemName, encrypt: boolean): System {
  return {
    name,
    async open(dir) {
      const db = new PeerBee<string, Record>(join(dir, 'db'), { encrypt })
      await db.ready()
      return new PeerBeeDb(db)
    },
    async openGroup(dir, size, opts) {
      const root = new PeerBee<string, Record>(join(dir, 'peer-0'), { encrypt })
      await root.ready()
      const peers = [root]
      for (let i = 1; i < size; i++) {
        const peer = new PeerBee<string, Record>(join(dir, 'peer-' + i), followerOptions(root))
        await peer.ready()
        peers.push(peer)
      }
      for (const [i, j] of linkedPairs(size, opts.chain))
        pipeStreams(peers[i].replicate(true), peers[j].replicate(false))
      for (const peer of peers.slice(1)) await root.addWriter(peer.writerKey)
      // A peer learns it was added once it has indexed the root's log.
      await until(
        async () => {
          await Promise.all(peers.map((peer) => peer.update()))
          return peers.every((peer) => peer.writable)
        },
        opts.limitMs,
        'writers added'
      )
      return new PeerBeeGroup(peers.map((peer) => new PeerBeeDb(peer)))
    },
    async openOnSwarm(dir, swarm) {
      const db = new PeerBee<string, Record>(join(dir, 'db'), { swarm, encrypt })
      await db.ready()
      return new PeerBeeSwarmDb(db)
    }
  }
}

export const peerbee = peerbeeSystem('peerbee', false)
export const peerbeeEncrypted = peerbeeSystem('peerbee-encrypted', true)

type RecordDb = PeerBee<string, Record>

/** What a new peer of `source` opens it with: its key, and the key of an encrypted db. */
function followerOptions(source: RecordDb) {
  return { key: source.key, ...(source.encryptionKey === null ? {} : { encryptionKey: source.encryptionKey }) }
}

async function* scanDb(db: RecordDb, range: ScanRange = {}): AsyncIterable<Row> {
  for await (const entry of db.list(range)) yield { key: entry.key, value: entry.value }
}

async function getFrom(db: RecordDb, key: string): Promise<Record | null> {
  const entry = await db.get(key)
  return entry === null ? null : entry.value
}

async function compactDb(db: RecordDb): Promise<IndexBytes> {
  const { bytesBefore, bytesAfter } = await db.compact()
  return { before: bytesBefore, after: bytesAfter }
}

class PeerBeeDb implements Db {
  constructor(readonly db: RecordDb) {}

  put(key: string, value: Record): Promise<void> {
    return this.db.put(key, value)
  }

  async putBatch(rows: Row[]): Promise<void> {
    const batch = this.db.batch()
    for (const row of rows) batch.put(row.key, row.value)
    await batch.flush()
  }

  get(key: string): Promise<Record | null> {
    return getFrom(this.db, key)
  }

  scan(range?: ScanRange): AsyncIterable<Row> {
    return scanDb(this.db, range)
  }

  compact(): Promise<IndexBytes> {
    return compactDb(this.db)
  }

  // With no peer connected, update() is the wait for the local index to catch up.
  settle(): Promise<void> {
    return this.db.update()
  }

  async follow(dir: string): Promise<Follower> {
    const follower = new PeerBee<string, Record>(join(dir, 'db'), followerOptions(this.db))
    await follower.ready()
    return new PeerBeeFollower(this.db, follower)
  }

  close(): Promise<void> {
    return this.db.close()
  }
}

class PeerBeeFollower implements Follower {
  readonly db: Pick<Db, 'get' | 'scan' | 'compact'>

  constructor(
    private readonly source: RecordDb,
    private readonly peer: RecordDb
  ) {
    this.db = {
      get: (key) => getFrom(peer, key),
      scan: (range) => scanDb(peer, range),
      compact: () => compactDb(peer)
    }
  }

  connect(): void {
    pipeStreams(this.source.replicate(true), this.peer.replicate(false))
  }

  catchUp(): Promise<void> {
    return this.peer.update()
  }

  close(): Promise<void> {
    return this.peer.close()
  }
}

class PeerBeeGroup implements Group {
  constructor(readonly writers: PeerBeeDb[]) {}

  async sync(): Promise<void> {
    await Promise.all(this.writers.map((writer) => writer.db.update()))
  }

  /** Some peer has not indexed all it holds, or the peers hold different lengths of a log. */
  unsettled(): boolean {
    const first = lengths(this.writers[0].db)
    return this.writers.some(({ db }) => {
      const writers = db.status().writers
      return (
        writers.length !== first.size ||
        writers.some((w) => w.indexed < w.length || first.get(Buffer.from(w.key).toString('hex')) !== w.length)
      )
    })
  }

  async close(): Promise<void> {
    for (const writer of this.writers) await writer.close()
  }
}

/** How far each writer's log reaches, by writer key. */
function lengths(db: RecordDb): Map<string, number> {
  return new Map(db.status().writers.map((w) => [Buffer.from(w.key).toString('hex'), w.length]))
}

class PeerBeeSwarmDb extends PeerBeeDb implements SwarmDb {
  join(): Promise<void> {
    return this.db.join()
  }

  async followOnSwarm(dir: string, swarm: Hyperswarm): Promise<SwarmFollower> {
    const peer = new PeerBee<string, Record>(join(dir, 'db'), { ...followerOptions(this.db), swarm })
    await peer.ready()
    return new PeerBeeSwarmFollower(peer, lengths(this.db))
  }
}

class PeerBeeSwarmFollower implements SwarmFollower {
  readonly db: Pick<Db, 'get'>

  constructor(
    private readonly peer: RecordDb,
    private readonly target: Map<string, number>
  ) {
    this.db = { get: (key) => getFrom(peer, key) }
  }

  join(): Promise<void> {
    return this.peer.join()
  }

  /** Every writer the source knew is indexed as far as the source had it. */
  private caughtUp(): boolean {
    const indexed = new Map(this.peer.status().writers.map((w) => [Buffer.from(w.key).toString('hex'), w.indexed]))
    return [...this.target].every(([key, length]) => (indexed.get(key) ?? 0) >= length)
  }

  catchUp(limitMs: number): Promise<void> {
    return until(
      async () => {
        // update() returns at once without a connected peer: wait for one instead of spinning.
        if (this.peer.status().peers === 0) await nextEvent(this.peer, 'peer-add', limitMs)
        await this.peer.update()
        return this.caughtUp()
      },
      limitMs,
      'swarm catch-up'
    )
  }

  close(): Promise<void> {
    return this.peer.close()
  }
}
