import b4a from 'b4a'
import c from 'compact-encoding'
import z32 from 'z32'
import { PeerBeeError } from '../errors.js'
import type { ChangePosition } from '../view/change-log.js'

const CHECKPOINT_VERSION = 1
/** Bytes of a discovery key a checkpoint keeps: enough to tell dbs and indexes apart. */
const FINGERPRINT_BYTES = 8
const fingerprint = c.fixed(FINGERPRINT_BYTES)

/**
 * Where a checkpoint may be used: the db (its discovery key: a checkpoint an app stores
 * reveals nothing of the db key) and the change log it points into (`IndexView.logId`: the
 * discovery key of the index core the log began in, which a compaction's copy carries on; a
 * rebuild, or another storage of the db, has another).
 */
export interface CheckpointScope {
  db: Uint8Array
  index: Uint8Array
}

interface Checkpoint extends CheckpointScope, ChangePosition {
  version: number
}

const checkpointEncoding = {
  preencode(state: c.State, v: Checkpoint) {
    c.uint.preencode(state, v.version)
    fingerprint.preencode(state, v.db)
    fingerprint.preencode(state, v.index)
    c.uint.preencode(state, v.step)
    c.uint.preencode(state, v.chunk)
  },
  encode(state: c.State, v: Checkpoint) {
    c.uint.encode(state, v.version)
    fingerprint.encode(state, v.db)
    fingerprint.encode(state, v.index)
    c.uint.encode(state, v.step)
    c.uint.encode(state, v.chunk)
  },
  decode(state: c.State): Checkpoint {
    const v = {
      version: c.uint.decode(state),
      db: fingerprint.decode(state),
      index: fingerprint.decode(state),
      step: c.uint.decode(state),
      chunk: c.uint.decode(state)
    }
    if (state.start !== state.end) throw new Error('trailing bytes')
    return v
  }
}

function prints(scope: CheckpointScope): CheckpointScope {
  return { db: scope.db.subarray(0, FINGERPRINT_BYTES), index: scope.index.subarray(0, FINGERPRINT_BYTES) }
}

/**
 * A checkpoint of `changes()`: an opaque z-base32 string naming a place in one index's
 * change log (format, db, index, step, chunk).
 */
export function encodeCheckpoint(scope: CheckpointScope, position: ChangePosition): string {
  return z32.encode(c.encode(checkpointEncoding, { version: CHECKPOINT_VERSION, ...prints(scope), ...position }))
}

/**
 * The place a checkpoint names, if it is one of this db and of this index: `CHECKPOINT_INVALID`
 * for anything but a checkpoint of this db, `CHECKPOINT_EXPIRED` for one of another index of
 * it, or past the end of this one's change log (`lastStep`).
 */
export function decodeCheckpoint(checkpoint: unknown, scope: CheckpointScope, lastStep: number): ChangePosition {
  if (typeof checkpoint !== 'string') throw PeerBeeError.CHECKPOINT_INVALID('A checkpoint is a string')
  let v: Checkpoint
  try {
    v = c.decode(checkpointEncoding, z32.decode(checkpoint))
  } catch {
    throw PeerBeeError.CHECKPOINT_INVALID(`Not a checkpoint: ${JSON.stringify(checkpoint)}`)
  }
  if (v.version !== CHECKPOINT_VERSION) {
    throw PeerBeeError.CHECKPOINT_INVALID(
      `A checkpoint of format ${v.version}; this peerbee reads ${CHECKPOINT_VERSION}`
    )
  }
  const mine = prints(scope)
  if (!b4a.equals(v.db, mine.db)) throw PeerBeeError.CHECKPOINT_INVALID('The checkpoint is of another database')
  if (!b4a.equals(v.index, mine.index) || v.step > lastStep) throw PeerBeeError.CHECKPOINT_EXPIRED()
  return { step: v.step, chunk: v.chunk }
}
