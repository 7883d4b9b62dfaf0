import type Hyperswarm from 'hyperswarm'

/** The record every benchmark write stores: a JSON object of about 100 bytes. */
export interface Record {
  id: number
  writer: number
  name: string
  email: string
  tags: string[]
  score: number
}

export interface Row {
  key: string
  value: Record
}

export interface ScanRange {
  gte?: string
  limit?: number
}

/** `peerbee-encrypted`: peerbee on an encrypted db (`encrypt: true`), beside the plain one. */
export type SystemName = 'peerbee' | 'peerbee-encrypted' | 'autobase' | 'hyperbee' | 'pouchdb'

/**
 * One open database of a system, driven through that system's idiomatic fastest API.
 * Every write resolves only once it is durable and visible to `get` and `scan`.
 */
export interface Db {
  put(key: string, value: Record): Promise<void>
  /** One atomic batch where the system has one, else its bulk write. */
  putBatch(rows: Row[]): Promise<void>
  get(key: string): Promise<Record | null>
  /** Every row in key order, or `limit` rows from the first key at or after `gte`. */
  scan(range?: ScanRange): AsyncIterable<Row>
  /**
   * W11: writes rows whose keys may hold a value already, where the system needs more than
   * `putBatch` for that (PouchDB: each doc's current revision); absent: `putBatch` does it.
   */
  overwriteBatch?(rows: Row[]): Promise<void>
  /**
   * W11: the system's compaction of its storage, where it has one. peerbee reports the bytes
   * of its index before and after; null where the system reports none.
   */
  compact?(): Promise<IndexBytes | null>
  /**
   * Waits for work that resolved writes left running in the background (peerbee indexes its
   * own writes after they resolve), so a read workload after a load is timed on its own.
   */
  settle(): Promise<void>
  /**
   * A new, empty peer in `dir` that follows this db. It is opened but not yet connected,
   * so the time to open storage is kept out of the catch-up measurement.
   */
  follow(dir: string): Promise<Follower>
  close(): Promise<void>
}

/** Bytes of a peerbee index (its core's blocks), before and after a compaction. */
export interface IndexBytes {
  before: number
  after: number
}

export interface Follower {
  /** Start replicating with the source db (in-process streams). */
  connect(): void
  /** Fetch and index what the source has now; afterwards `db` reads the source's state. */
  catchUp(): Promise<void>
  readonly db: Pick<Db, 'get' | 'scan' | 'compact'>
  close(): Promise<void>
}

/** Several writers of one logical db in one process, replicating in-process along `GroupOptions`. */
export interface Group {
  readonly writers: Db[]
  /** One round in which every peer takes in what its connected peers have now. */
  sync(): Promise<void>
  /**
   * Optional: false when the group is known not to have converged yet (a cheap look at each
   * peer's progress), so a poll skips reading every peer's rows. Only the rows decide a yes.
   */
  unsettled?(): boolean
  close(): Promise<void>
}

export interface System {
  readonly name: SystemName
  open(dir: string): Promise<Db>
  /** Absent for single-writer systems. */
  openGroup?(dir: string, size: number, opts: GroupOptions): Promise<Group>
  /** Absent for systems that do not replicate over Hyperswarm. */
  openOnSwarm?(dir: string, swarm: Hyperswarm): Promise<SwarmDb>
}

export interface GroupOptions {
  /** Peer i replicates with peers i - 1 and i + 1 only; otherwise every pair replicates. */
  chain: boolean
  /** How long setting up the writers may take before the cell times out. */
  limitMs: number
}

/** A db whose peers find each other on Hyperswarm. */
export interface SwarmDb extends Db {
  /** Announce and look up the db's topic, replicating over every connection. */
  join(): Promise<void>
  /** A new, empty peer of this db in `dir` on `swarm`, opened but not joined yet. */
  followOnSwarm(dir: string, swarm: Hyperswarm): Promise<SwarmFollower>
}

export interface SwarmFollower {
  join(): Promise<void>
  /**
   * Resolves once this peer holds, ready to read, everything the source held when the follower
   * was opened; gives up after `limitMs`.
   */
  catchUp(limitMs: number): Promise<void>
  readonly db: Pick<Db, 'get'>
  close(): Promise<void>
}
