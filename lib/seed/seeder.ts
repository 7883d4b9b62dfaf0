import { EventEmitter } from 'events'
import type { Duplex } from 'stream'
import b4a from 'b4a'
import type Corestore from 'corestore'
import type Hyperswarm from 'hyperswarm'
import { PeerBee } from '../db.js'
import { DownloadBudget, type BudgetAccount } from '../db/download-budget.js'
import { decodeDbKey } from '../db/key-input.js'
import { Lifecycle } from '../db/lifecycle.js'
import { LocalSettings } from '../db/local-settings.js'
import { ReplicationStreams } from '../db/replication-streams.js'
import type { SeededOptions } from '../db/options.js'
import { HELD_DB, openStore } from '../db/storage.js'
import { PeerBeeError } from '../errors.js'
import { writerId } from '../model/ids.js'
import { createSwarm } from '../net/create-swarm.js'
import { SwarmSession } from '../net/swarm-session.js'
import type { CorestoreLike } from '../types.js'

/** Options of `new Seeder(storage, opts)`. */
export interface SeederOptions {
  /** `'host:port'` DHT bootstrap nodes for `join()`. Default: the public DHT. */
  bootstrap?: string[]
  /**
   * Bytes of writer logs the seeder stores at most, over every db. Past it, it downloads no
   * more (it still serves what it holds) until a `remove()` frees bytes. Default: no limit.
   */
  maxBytes?: number
}

/** One seeded db, as `status()` reports it. */
export interface SeededDb {
  /** The db key, z-base32. */
  key: string
  /** Writer logs the seeder follows (the db's members). */
  writers: number
  /** Blocks held, over every writer log. */
  blocks: number
  /** Blocks known to exist (the longest length a connected peer or this seeder knows). */
  length: number
  /** Bytes of writer logs held. */
  bytes: number
  peers: number
}

/** Events of a Seeder: `'update'` when a db it seeds changed (blocks, writers or peers). */
export interface SeederEvents {
  update: [key: string]
}

/** Where the seeded db keys are kept among the seeder's local settings. */
const SEEDS = 'seeds'

interface Seeded {
  key: Uint8Array
  db: PeerBee
  account: BudgetAccount
  session: SwarmSession | null
}

/**
 * An always-on peer that keeps every writer log of the dbs it is given and serves them, with
 * nothing but their db keys: for an encrypted db it never holds a key, so it cannot read what
 * it keeps. Each db is followed as a peer without the encryption key follows it: it learns
 * the writer set from the membership entries, which stay in clear, downloads every member's
 * log in full and live, and serves them all. Many dbs share one storage (a namespace each)
 * and one swarm; the dbs seeded are kept in the storage, so a restart seeds them again.
 */
export class Seeder extends EventEmitter {
  private readonly opts: SeederOptions
  private readonly store: Corestore
  private readonly budget: DownloadBudget
  private readonly dbs = new Map<string, Seeded>()
  private readonly lifecycle = new Lifecycle(
    () => this.open(),
    () => {}
  )
  private local: LocalSettings | null = null
  private keyPair: { publicKey: Uint8Array; secretKey: Uint8Array } | null = null
  private swarm: Hyperswarm | null = null
  private readonly streams = new ReplicationStreams()
  /** Serialises changes to the set of dbs (add, remove), so the saved list stays whole. */
  private changing: Promise<unknown> = Promise.resolve()

  constructor(storage: string | CorestoreLike, opts: SeederOptions = {}) {
    super()
    const { maxBytes } = opts
    if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
      throw PeerBeeError.INVALID_ARGUMENT('maxBytes is a number of bytes')
    }
    this.opts = opts
    this.store = openStore(storage, false).store!
    this.budget = new DownloadBudget(maxBytes)
  }

  ready(): Promise<void> {
    return this.lifecycle.ready()
  }

  close(): Promise<void> {
    return this.lifecycle.close()
  }

  get opened(): boolean {
    return this.lifecycle.opened
  }

  get closed(): boolean {
    return this.lifecycle.closed
  }

  /**
   * The seeder's swarm key: peers of a db that admit only members (`membersOnly`) let it in
   * once it is on their allow list. Stable for a storage.
   */
  get peerKey(): Uint8Array {
    if (this.keyPair === null) throw PeerBeeError.INVALID_ARGUMENT('Await seeder.ready() before reading peerKey')
    return this.keyPair.publicKey
  }

  /** The bytes held reached `maxBytes`: nothing more is downloaded. */
  get full(): boolean {
    return this.budget.spent
  }

  private async open(): Promise<void> {
    const { lifecycle } = this
    lifecycle.onClosing(() => this.store.close())
    await this.store.ready()
    const local = await LocalSettings.open(this.store)
    this.local = local
    lifecycle.onClosing(() => local.close())
    if ((await local.get(HELD_DB)) !== null) {
      throw PeerBeeError.DB_EXISTS('The storage holds a database: a seeder needs a storage of its own')
    }
    this.keyPair = await this.store.createKeyPair('peerbee/seeder')
    lifecycle.onClosing(() => this.closeAll())
    for (const key of parseSeeds(await local.get(SEEDS))) await this.follow(key)
  }

  private async live(): Promise<LocalSettings> {
    this.lifecycle.check()
    await this.lifecycle.ready()
    this.lifecycle.check()
    return this.local!
  }

  /** Seeds the db of this key (hex, z-base32 or bytes): kept across restarts until `remove()`. */
  async add(dbKey: string | Uint8Array): Promise<void> {
    const key = decodeDbKey(dbKey)
    await this.live()
    await this.exclusive(async () => {
      if (this.dbs.has(writerId(key))) return
      await this.follow(key)
      await this.save()
    })
  }

  /** Stops seeding a db and frees the blocks it held. */
  async remove(dbKey: string | Uint8Array): Promise<void> {
    const key = decodeDbKey(dbKey)
    await this.live()
    await this.exclusive(async () => {
      const seeded = this.dbs.get(writerId(key))
      if (seeded === undefined) return
      this.dbs.delete(writerId(key))
      await this.save()
      const logs = seeded.db.status().writers.map((w) => w.key)
      await this.unfollow(seeded)
      for (const log of logs) await this.free(log)
    })
  }

  /** Replicates every seeded db over a stream, as `PeerBee.replicate` (one stream for all of them). */
  replicate(isInitiatorOrStream: boolean | Duplex): Duplex {
    if (this.lifecycle.closing !== null) throw PeerBeeError.CLOSED()
    return this.streams.add(this.store.replicate(isInitiatorOrStream))
  }

  /**
   * Joins the topic of every db seeded (and of those added later) on one Hyperswarm, and
   * replicates with every peer found. Resolves once each is announced and looked up.
   */
  async join(): Promise<void> {
    await this.live()
    if (this.swarm === null) {
      const swarm = createSwarm({ bootstrap: this.opts.bootstrap, keyPair: this.keyPair! })
      this.swarm = swarm
      swarm.on('connection', (conn: Duplex) => {
        conn.on('error', () => {})
        this.streams.add(this.store.replicate(conn))
      })
    }
    await Promise.all([...this.dbs.values()].map((s) => this.announce(s)))
  }

  /**
   * Resolves once what the connected peers have now is downloaded, for one db (by key) or all:
   * logs of writers found on the way included.
   */
  async update(dbKey?: string | Uint8Array): Promise<void> {
    await this.live()
    const seeded =
      dbKey === undefined ? [...this.dbs.values()] : [this.dbs.get(writerId(decodeDbKey(dbKey)))].filter(isSeeded)
    await Promise.all(seeded.map((s) => s.db.update()))
  }

  /** Per db seeded: its writer logs, blocks and bytes held, and peers. */
  status(): SeededDb[] {
    return [...this.dbs.values()].map(({ db, account }) => {
      const status = db.status()
      let blocks = 0
      let length = 0
      for (const w of status.writers) {
        blocks += w.downloaded
        length += w.length
      }
      return { key: db.id, writers: status.writers.length, blocks, length, bytes: account.bytes, peers: status.peers }
    })
  }

  /** Follows a db as a peer without its encryption key, in a namespace of its own. */
  private async follow(key: Uint8Array): Promise<void> {
    const account = this.budget.account()
    const opts: SeededOptions = { key, account }
    const db = new PeerBee(this.store.namespace('peerbee/seed/' + writerId(key)), opts)
    const id = writerId(key)
    try {
      await db.ready()
    } catch (err) {
      await db.close()
      throw err
    }
    const seeded: Seeded = { key, db, account, session: null }
    this.dbs.set(id, seeded)
    const changed = () => this.emit('update', db.id)
    for (const event of ['update', 'sync', 'peer-add', 'peer-remove'] as const) db.on(event, changed)
    if (this.swarm !== null) await this.announce(seeded)
  }

  private async announce(seeded: Seeded): Promise<void> {
    if (seeded.session === null) {
      seeded.session = new SwarmSession({
        discoveryKey: seeded.db.discoveryKey,
        swarm: this.swarm!,
        // The seeder replicates each connection once, for every db (see join()).
        replicate: () => {}
      })
    }
    await seeded.session.join({ server: true, client: true })
  }

  private async unfollow(seeded: Seeded): Promise<void> {
    await seeded.session?.destroy()
    await seeded.db.close()
  }

  /** Frees the blocks of a writer log that no seeded db follows any more. */
  private async free(key: Uint8Array): Promise<void> {
    const log = this.store.get({ key, wait: false, active: false })
    try {
      await log.ready()
      await log.clear(0, log.length)
    } finally {
      await log.close()
    }
  }

  private save(): Promise<void> {
    return this.local!.set(SEEDS, b4a.concat([...this.dbs.values()].map((s) => s.key)))
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.changing.then(task)
    this.changing = run.catch(() => {})
    return run
  }

  private async closeAll(): Promise<void> {
    await this.changing
    // Streams end before the dbs and the store close: a block still arriving would be verified
    // after the storage under it closed.
    await this.streams.close()
    await Promise.all([...this.dbs.values()].map((s) => this.unfollow(s)))
    this.dbs.clear()
    await this.swarm?.destroy()
  }
}

function isSeeded(s: Seeded | undefined): s is Seeded {
  return s !== undefined
}

/** The keys a saved list holds: 32 bytes each. */
function parseSeeds(bytes: Uint8Array | null): Uint8Array[] {
  const keys: Uint8Array[] = []
  if (bytes === null) return keys
  for (let at = 0; at + 32 <= bytes.byteLength; at += 32) keys.push(b4a.from(bytes.subarray(at, at + 32)))
  return keys
}

// Typed events, as PeerBee's.
export interface Seeder {
  on<E extends keyof SeederEvents>(event: E, listener: (...args: SeederEvents[E]) => void): this
  off<E extends keyof SeederEvents>(event: E, listener: (...args: SeederEvents[E]) => void): this
  emit<E extends keyof SeederEvents>(event: E, ...args: SeederEvents[E]): boolean
}
