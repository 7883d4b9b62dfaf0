/** Public types of peerbee. No Holepunch class appears here: the API owns its types. */

/** A key as the application sees it: a string with `'utf-8'`, bytes with `'binary'`. */
export type Key = string | Uint8Array

export type KeyEncoding = 'utf-8' | 'binary'
export type ValueEncoding = 'json' | 'utf-8' | 'binary'
export type Role = 'admin' | 'writer'

/** A head of a key that lost to the winner: concurrent with it, neither cites the other. */
export interface Conflict<V = unknown> {
  value: V | null
  deleted: boolean
  writer: Uint8Array
  seq: number
  clock: number
}

/** The current state of a key: the winning version plus the other heads. */
export interface Entry<K extends Key = Key, V = unknown> {
  key: K
  value: V
  writer: Uint8Array
  seq: number
  /** Wall-clock ms of the version's hybrid logical clock. */
  clock: number
  conflicts: Array<Conflict<V>>
}

/** One valid `put` or `del` of a key. */
export interface Version<K extends Key = Key, V = unknown> {
  key: K
  value: V | null
  deleted: boolean
  writer: Uint8Array
  seq: number
  clock: number
}

/** One key changed by an index step. */
export interface Change<K extends Key = Key, V = unknown> {
  key: K
  value: V | null
  deleted: boolean
}

export interface WriterInfo {
  key: Uint8Array
  role: Role
  /** Blocks known to exist in the writer's log (local length, or a peer's longer length). */
  length: number
  /** Blocks of the writer's log held locally. */
  downloaded: number
  /** Blocks of the writer's log processed by the local index (indexed, skipped or retracted). */
  indexed: number
  removed: boolean
}

export interface Status {
  key: string
  writable: boolean
  peers: number
  writers: WriterInfo[]
  /** Entries skipped as invalid remote input. */
  invalid: number
  /** Blocks of other writers held locally but not yet visible to reads (being indexed, or waiting on parents or membership). */
  pending: number
}

/** Why an entry was skipped; reported by the `'invalid'` event. */
export interface InvalidEntry {
  writer: Uint8Array
  seq: number
  reason: string
}

/** Progress of replication, emitted as `'sync'`. */
export interface SyncProgress {
  peers: number
  /** Sum over writers of blocks known to exist. */
  length: number
  /** Sum over writers of blocks held locally. */
  downloaded: number
  /** Sum over writers of blocks processed by the index. */
  indexed: number
}

export interface Range<K extends Key = Key> {
  gt?: K
  gte?: K
  lt?: K
  lte?: K
  prefix?: K
  reverse?: boolean
  limit?: number
}
