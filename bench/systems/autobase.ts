import Autobase from 'autobase'
import Corestore from 'corestore'
import type Hyperbee from 'hyperbee'
import { join } from 'node:path'
import { until } from '../harness.js'
import { getFrom, openBee, scanBee } from './bee.js'
import { encodeKey, encodeRecord } from './codec.js'
import { linkedPairs, pipeStreams } from './replicate.js'
import type { Db, Follower, Group, Record, Row, ScanRange, System } from './types.js'

/** Autobase 7 with a Hyperbee view: what a multi-writer Hyperbee looks like today. */
export const autobase: System = {
  name: 'autobase',
  async open(dir) {
    const db = new AutobaseDb(join(dir, 'store'), null)
    await db.ready()
    return db
  },
  async openGroup(dir, size, opts) {
    const root = new AutobaseDb(join(dir, 'peer-0'), null)
    await root.ready()
    const peers = [root]
    for (let i = 1; i < size; i++) {
      const peer = new AutobaseDb(join(dir, 'peer-' + i), root.base.key)
      await peer.ready()
      peers.push(peer)
    }
    for (const [i, j] of linkedPairs(size, opts.chain)) pipeStreams(peers[i].base.replicate(true), peers[j].base.replicate(false))
    for (const peer of peers.slice(1)) await root.base.append(addWriterOp(peer.base.local.key))
    // Until a peer has applied its own addWriter it cannot append.
    await until(
      async () => {
        await Promise.all(peers.map((peer) => peer.base.update()))
        return peers.every((peer) => peer.base.writable)
      },
      opts.limitMs,
      'writers added'
    )
    return new AutobaseGroup(peers)
  }
}

type Op = { type: 'put'; key: string; value: Record } | { type: 'add-writer'; key: string }

function putOp(key: string, value: Record): Op {
  return { type: 'put', key, value }
}

function addWriterOp(key: Uint8Array): Op {
  return { type: 'add-writer', key: Buffer.from(key).toString('hex') }
}

function isOp(value: unknown): value is Op {
  if (typeof value !== 'object' || value === null || !('type' in value) || !('key' in value)) return false
  if (typeof value.key !== 'string') return false
  return value.type === 'add-writer' || (value.type === 'put' && 'value' in value)
}

// The view is one Hyperbee batch per apply call, the cheapest way to apply many nodes.
async function apply(nodes: Autobase.ApplyNode[], view: Hyperbee, host: Autobase.Host): Promise<void> {
  const batch = view.batch()
  for (const node of nodes) {
    const op = node.value
    if (!isOp(op)) continue
    if (op.type === 'put') {
      await batch.put(encodeKey(op.key), encodeRecord(op.value))
    } else {
      // Membership changes apply between the batch's writes, in node order. Added writers are
      // not indexers: with the root as the only indexer W6 converged in 38 s instead of 68 s.
      await batch.flush()
      await host.addWriter(Buffer.from(op.key, 'hex'), { indexer: false })
    }
  }
  await batch.flush()
}

class AutobaseDb implements Db {
  readonly store: Corestore
  readonly base: Autobase<Hyperbee>

  constructor(storage: string, bootstrap: Uint8Array | null) {
    this.store = new Corestore(storage)
    this.base = new Autobase(this.store, bootstrap, {
      open: (store) => openBee(store.get('view')),
      apply,
      valueEncoding: 'json'
    })
  }

  ready(): Promise<void> {
    return this.base.ready()
  }

  // append resolves once the node is applied to the local view, so the write is readable.
  async put(key: string, value: Record): Promise<void> {
    await this.base.append(putOp(key, value))
  }

  async putBatch(rows: Row[]): Promise<void> {
    await this.base.append(rows.map((row) => putOp(row.key, row.value)))
  }

  get(key: string): Promise<Record | null> {
    return getFrom(this.base.view, key)
  }

  scan(range?: ScanRange): AsyncIterable<Row> {
    return scanBee(this.base.view, range)
  }

  async settle(): Promise<void> {
    await this.base.update()
  }

  async follow(dir: string): Promise<Follower> {
    const follower = new AutobaseDb(join(dir, 'store'), this.base.key)
    await follower.ready()
    return new AutobaseFollower(this, follower)
  }

  async close(): Promise<void> {
    await this.base.close()
    await this.store.close()
  }
}

class AutobaseFollower implements Follower {
  readonly db: Pick<Db, 'get' | 'scan'>

  constructor(
    private readonly source: AutobaseDb,
    private readonly peer: AutobaseDb
  ) {
    this.db = peer
  }

  connect(): void {
    pipeStreams(this.source.base.replicate(true), this.peer.base.replicate(false))
  }

  // update() returns at once while the connection is still opening; wait for the system core
  // to reach the source's length, then the view is (fast-forwarded to) the source's view.
  async catchUp(): Promise<void> {
    const target = this.source.base.length
    await this.peer.base.update()
    while (this.peer.base.length < target) {
      await new Promise<void>((resolve) => this.peer.base.once('update', resolve))
      await this.peer.base.update()
    }
  }

  close(): Promise<void> {
    return this.peer.close()
  }
}

class AutobaseGroup implements Group {
  constructor(readonly writers: AutobaseDb[]) {}

  async sync(): Promise<void> {
    await Promise.all(this.writers.map((writer) => writer.base.update()))
  }

  async close(): Promise<void> {
    for (const writer of this.writers) await writer.close()
  }
}
