export { PeerBee } from './db.js'
export { PeerBeeError, type PeerBeeErrorCode } from './errors.js'
export { Seeder, type SeededDb, type SeederEvents, type SeederOptions } from './seed/seeder.js'
export type { PeerBeeOptions } from './db/options.js'
export { checkStorage, inspectStorage, type StorageState } from './db/storage-guard.js'
export { DEFAULT_INVITE_TTL } from './net/invite.js'
export { probeBootstrap, type BootstrapAnswer, type ProbeOptions } from './net/bootstrap-probe.js'
export type {
  Batch,
  Change,
  ChangeBatch,
  ChangesOptions,
  Conflict,
  CorestoreLike,
  Diagnosis,
  Entry,
  Finding,
  HyperswarmLike,
  InvalidEntry,
  InviteOptions,
  JoinOptions,
  Key,
  KeyBounds,
  KeyEncoding,
  PeerBeeEvents,
  PeerBeeListener,
  PeerConnection,
  PeerInfo,
  PeerStanding,
  Range,
  ReindexProgress,
  CompactOptions,
  CompactProgress,
  CompactResult,
  Role,
  Snapshot,
  Status,
  SubDatabase,
  SubOptions,
  SwarmConnection,
  SwarmDiscovery,
  SyncProgress,
  ValueEncoding,
  Version,
  WriterInfo
} from './types.js'
