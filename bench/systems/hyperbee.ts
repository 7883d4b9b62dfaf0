import Corestore from 'corestore'
import type Hyperbee from 'hyperbee'
import type Hyperswarm from 'hyperswarm'
import { join } from 'node:path'
import { withinLimit } from '../harness.js'
import { getFrom, openBee, scanBee } from './bee.js'
import { encodeKey, encodeRecord } from './codec.js'
import { joinTopic, pipeStreams } from './replicate.js'
import type { Db, Follower, Record, Row, ScanRange, SwarmDb, SwarmFollower, System } from './types.js'

/** One plain single-writer Hyperbee: the ceiling for any index built on Hyperbee. */
export const hyperbee: System = {
  name: 'hyperbee',
  async open(dir) {
    const { store, bee } = await openStore(dir)
    return new HyperbeeDb(store, bee)
  },
  async openOnSwarm(dir, swarm) {
    const { store, bee } = await openStore(dir)
    return new HyperbeeSwarmDb(store, bee, swarm)
  }
}

async function openStore(dir: string): Promise<{ store: Corestore; bee: Hyperbee }> {
  const store = new Corestore(join(dir, 'store'))
  const bee = openBee(store.get({ name: 'bench' }))
  await bee.ready()
  return { store, bee }
}

class HyperbeeDb implements Db {
  constructor(
    protected readonly store: Corestore,
    protected readonly bee: Hyperbee
  ) {}

  async put(key: string, value: Record): Promise<void> {
    await this.bee.put(encodeKey(key), encodeRecord(value))
  }

  async putBatch(rows: Row[]): Promise<void> {
    const batch = this.bee.batch()
    for (const row of rows) await batch.put(encodeKey(row.key), encodeRecord(row.value))
    await batch.flush()
  }

  get(key: string): Promise<Record | null> {
    return getFrom(this.bee, key)
  }

  scan(range?: ScanRange): AsyncIterable<Row> {
    return scanBee(this.bee, range)
  }

  // A resolved put is fully applied: nothing runs on afterwards.
  async settle(): Promise<void> {}

  async follow(dir: string): Promise<Follower> {
    const store = new Corestore(join(dir, 'store'))
    const bee = openBee(store.get({ key: this.bee.core.key }))
    await bee.ready()
    return new HyperbeeFollower(this.store, store, bee)
  }

  async close(): Promise<void> {
    await this.bee.close()
    await this.store.close()
  }
}

class HyperbeeFollower implements Follower {
  private doneFinding: (() => void) | null = null
  readonly db: Pick<Db, 'get' | 'scan'>

  constructor(
    private readonly source: Corestore,
    private readonly store: Corestore,
    private readonly bee: Hyperbee
  ) {
    this.db = { get: (key) => getFrom(bee, key), scan: (range) => scanBee(bee, range) }
  }

  connect(): void {
    // While peers are being found, update() waits for the source's length instead of
    // returning at once because no peer has said hello yet.
    this.doneFinding = this.bee.core.findingPeers()
    pipeStreams(this.source.replicate(true), this.store.replicate(false))
  }

  async catchUp(): Promise<void> {
    const core = this.bee.core
    await core.update({ wait: true })
    this.doneFinding?.()
    this.doneFinding = null
    // One bulk download instead of one round trip per tree node during the scan.
    await core.download({ start: 0, end: core.length }).done()
  }

  async close(): Promise<void> {
    this.doneFinding?.()
    await this.bee.close()
    await this.store.close()
  }
}

/** Announces and looks up `bee`'s topic on `swarm`, replicating `store` over every connection. */
function joinSwarm(swarm: Hyperswarm, store: Corestore, bee: Hyperbee): Promise<void> {
  return joinTopic(swarm, bee.core.discoveryKey, (conn) => store.replicate(conn))
}

class HyperbeeSwarmDb extends HyperbeeDb implements SwarmDb {
  constructor(
    store: Corestore,
    bee: Hyperbee,
    private readonly swarm: Hyperswarm
  ) {
    super(store, bee)
  }

  join(): Promise<void> {
    return joinSwarm(this.swarm, this.store, this.bee)
  }

  async followOnSwarm(dir: string, swarm: Hyperswarm): Promise<SwarmFollower> {
    const store = new Corestore(join(dir, 'store'))
    const bee = openBee(store.get({ key: this.bee.core.key }))
    await bee.ready()
    return new HyperbeeSwarmFollower(store, bee, swarm, this.bee.core.length)
  }
}

class HyperbeeSwarmFollower implements SwarmFollower {
  readonly db: Pick<Db, 'get'>
  private doneFinding: (() => void) | null = null

  constructor(
    private readonly store: Corestore,
    private readonly bee: Hyperbee,
    private readonly swarm: Hyperswarm,
    private readonly target: number
  ) {
    this.db = { get: (key) => getFrom(bee, key) }
  }

  async join(): Promise<void> {
    // Until the first lookup's peers were tried, update() waits for them instead of returning.
    this.doneFinding = this.bee.core.findingPeers()
    await joinSwarm(this.swarm, this.store, this.bee)
    this.swarm.flush().then(
      () => this.stopFinding(),
      () => this.stopFinding()
    )
  }

  private stopFinding(): void {
    this.doneFinding?.()
    this.doneFinding = null
  }

  catchUp(limitMs: number): Promise<void> {
    const core = this.bee.core
    return withinLimit(
      (async () => {
        while (core.contiguousLength < this.target) {
          await core.update({ wait: true })
          await core.download({ start: 0, end: this.target }).done()
        }
      })(),
      limitMs,
      'swarm catch-up'
    )
  }

  async close(): Promise<void> {
    this.stopFinding()
    await this.bee.close()
    await this.store.close()
  }
}
