export { PeerBee, type Snapshot } from './db.js'
export { Batch } from './batch.js'
export { PeerBeeError, type PeerBeeErrorCode } from './errors.js'
export { checkStorage, inspectStorage, type StorageState } from './storage-guard.js'
export type { PeerBeeOptions, JoinOptions } from './options.js'
export { DEFAULT_INVITE_TTL, type InviteOptions } from './net/network.js'
export { probeBootstrap, type BootstrapAnswer, type ProbeOptions } from './net/bootstrap-probe.js'
export type {
  Change,
  Conflict,
  Entry,
  InvalidEntry,
  Key,
  KeyEncoding,
  Range,
  Role,
  Status,
  SyncProgress,
  ValueEncoding,
  Version,
  WriterInfo
} from './types.js'
