import Corestore from 'corestore'
import type Hyperbee from 'hyperbee'
import { join } from 'node:path'
import { getFrom, openBee, scanBee } from './bee.js'
import { encodeKey, encodeRecord } from './codec.js'
import { pipeStreams } from './replicate.js'
import type { Db, Follower, Record, Row, System } from './types.js'

/** One plain single-writer Hyperbee: the ceiling for any index built on Hyperbee. */
export const hyperbee: System = {
  name: 'hyperbee',
  async open(dir) {
    const store = new Corestore(join(dir, 'store'))
    const bee = openBee(store.get({ name: 'bench' }))
    await bee.ready()
    return new HyperbeeDb(store, bee)
  }
}

class HyperbeeDb implements Db {
  constructor(
    private readonly store: Corestore,
    private readonly bee: Hyperbee
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

  scan(): AsyncIterable<Row> {
    return scanBee(this.bee)
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
    this.db = { get: (key) => getFrom(bee, key), scan: () => scanBee(bee) }
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
