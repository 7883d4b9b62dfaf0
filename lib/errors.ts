/**
 * Every error peerbee reports is a `PeerBeeError` with a stable string `code`.
 * Callers (and tests) branch on `code`, never on the message.
 */
export type PeerBeeErrorCode =
  | 'NOT_WRITABLE'
  | 'NOT_ADMIN'
  | 'KEY_TOO_LARGE'
  | 'VALUE_TOO_LARGE'
  | 'BATCH_TOO_LARGE'
  | 'INVALID_KEY'
  | 'INVALID_VALUE'
  | 'INVALID_DB_KEY'
  | 'INVALID_ARGUMENT'
  | 'CLOSED'
  | 'WRITER_REMOVED'
  | 'DB_EXISTS'
  | 'INVITE_INVALID'
  | 'INVITE_EXPIRED'
  | 'INVITE_USED'
  | 'PAIRING_FAILED'
  | 'INDEX_FAILED'
  | 'STORAGE_CORRUPT'
  | 'STORAGE_LOCKED'
  | 'STORAGE_MOVED'
  | 'INDEX_REBUILDING'
  | 'STORAGE_NOT_EMPTY'
  | 'CHECKPOINT_INVALID'
  | 'CHECKPOINT_EXPIRED'
  | 'ENCRYPTION_KEY_REQUIRED'
  | 'WRITER_FORKED'

/**
 * The one error class of peerbee. Construct it through the static factories. An error that
 * wraps one from a lower layer (the storage engine, Hypercore) keeps it as `cause`.
 */
export class PeerBeeError extends Error {
  readonly code: PeerBeeErrorCode

  constructor(code: PeerBeeErrorCode, message: string, cause?: unknown) {
    super(`${code}: ${message}`, cause === undefined ? undefined : { cause })
    this.code = code
  }

  override get name(): string {
    return 'PeerBeeError'
  }

  static NOT_WRITABLE(msg = 'This peer is not a writer of the database') {
    return new PeerBeeError('NOT_WRITABLE', msg)
  }

  static NOT_ADMIN(msg = 'Only an admin can change membership') {
    return new PeerBeeError('NOT_ADMIN', msg)
  }

  static KEY_TOO_LARGE(size: number, max: number) {
    return new PeerBeeError('KEY_TOO_LARGE', `Key is ${size} bytes, the limit is ${max}`)
  }

  static VALUE_TOO_LARGE(size: number, max: number) {
    return new PeerBeeError('VALUE_TOO_LARGE', `Value is ${size} bytes, the limit is ${max}`)
  }

  static BATCH_TOO_LARGE(ops: number, max: number) {
    return new PeerBeeError('BATCH_TOO_LARGE', `Batch has ${ops} ops, the limit is ${max}`)
  }

  static INVALID_KEY(msg = 'Keys must be non-empty') {
    return new PeerBeeError('INVALID_KEY', msg)
  }

  static INVALID_VALUE(msg: string) {
    return new PeerBeeError('INVALID_VALUE', msg)
  }

  static INVALID_DB_KEY(msg = 'Not a valid database key (64 hex chars or 52 z-base32 chars)') {
    return new PeerBeeError('INVALID_DB_KEY', msg)
  }

  static INVALID_ARGUMENT(msg: string) {
    return new PeerBeeError('INVALID_ARGUMENT', msg)
  }

  static CLOSED(msg = 'The database is closed') {
    return new PeerBeeError('CLOSED', msg)
  }

  static WRITER_REMOVED(msg = 'This writer was removed from the database') {
    return new PeerBeeError('WRITER_REMOVED', msg)
  }

  static DB_EXISTS(msg = 'The storage already holds a database') {
    return new PeerBeeError('DB_EXISTS', msg)
  }

  static INVITE_INVALID(msg = 'The invite is not valid for this database') {
    return new PeerBeeError('INVITE_INVALID', msg)
  }

  static INVITE_EXPIRED(msg = 'The invite has expired') {
    return new PeerBeeError('INVITE_EXPIRED', msg)
  }

  static INVITE_USED(msg = 'The invite was already used') {
    return new PeerBeeError('INVITE_USED', msg)
  }

  static PAIRING_FAILED(msg: string) {
    return new PeerBeeError('PAIRING_FAILED', msg)
  }

  /** Indexing stopped on an error (kept as `cause`): every later call rejects with this. */
  static INDEX_FAILED(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    return new PeerBeeError('INDEX_FAILED', `Indexing stopped: ${reason}`, cause)
  }

  /** Local storage that cannot be read as what it should be (a missing or malformed block). */
  static STORAGE_CORRUPT(msg: string, cause?: unknown) {
    return new PeerBeeError('STORAGE_CORRUPT', msg, cause)
  }

  /**
   * The storage was copied or restored from a backup. Opened as is, this peer could append
   * to its writer log where the original already did, signing a second history.
   */
  static STORAGE_MOVED(dir: string, cause?: unknown) {
    return new PeerBeeError(
      'STORAGE_MOVED',
      `${dir} was copied or restored from a backup; open it with { recover: true } (peerbee recover) to go on with a new writer log`,
      cause
    )
  }

  /** A call waited longer than it may for the index to be rebuilt from the logs. */
  static INDEX_REBUILDING(waited: number) {
    return new PeerBeeError('INDEX_REBUILDING', `The index is being rebuilt from the logs (waited ${waited} ms)`)
  }

  /** Another process holds the storage directory open. */
  static STORAGE_LOCKED(dir: string, cause?: unknown) {
    return new PeerBeeError('STORAGE_LOCKED', `${dir} is in use by another process`, cause)
  }

  /** Thrown by `new PeerBee(dir)` for a folder holding files peerbee did not make; they stay untouched. */
  static STORAGE_NOT_EMPTY(msg: string) {
    return new PeerBeeError('STORAGE_NOT_EMPTY', msg)
  }

  /** Not a checkpoint of `changes()`, or one of another db. */
  static CHECKPOINT_INVALID(msg = 'Not a checkpoint of this database') {
    return new PeerBeeError('CHECKPOINT_INVALID', msg)
  }

  /**
   * A checkpoint of an index this peer no longer has (rebuilt from the logs since, or of
   * another storage of the db): start over from `changes()` without `since`.
   */
  static CHECKPOINT_EXPIRED(
    msg = 'The checkpoint names an index this peer has replaced; read changes() from the start'
  ) {
    return new PeerBeeError('CHECKPOINT_EXPIRED', msg)
  }

  /** The db is encrypted and this peer does not hold the key the data needs: it replicates and serves, nothing more. */
  static ENCRYPTION_KEY_REQUIRED(
    msg = 'This database is encrypted: open it with { encryptionKey } (peerbee open <key> --encryption-key <k>) to read or write'
  ) {
    return new PeerBeeError('ENCRYPTION_KEY_REQUIRED', msg)
  }

  /**
   * A copy of this peer's storage wrote to its writer log too, and no connected peer holds the
   * other history to prove it: the write was not made. Once a peer that holds it connects, this
   * peer moves to a new writer log and writes work again.
   */
  static WRITER_FORKED(
    msg = 'A copy of this storage wrote to its writer log; no connected peer can show where the two part yet'
  ) {
    return new PeerBeeError('WRITER_FORKED', msg)
  }
}
