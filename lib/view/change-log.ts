import type Hyperbee from 'hyperbee2'
import { chunked } from '../model/chunks.js'
import type { KeyRecord, LoggedChange } from '../model/version.js'
import { corruption, guarded } from './corruption.js'
import * as keys from './keys.js'
import { decodeChangeChunk, encodeChangeChunk } from './records.js'

/**
 * The change log: the keys each index step changed, each with the put that won it after the
 * step (its value stays in the writer's log, read back by whoever reads the log), in the same
 * Hyperbee batch as the step itself. So a reader that stopped at some step can resume from
 * disk, after a restart too. A step's changes are split into chunks of about this many bytes
 * (at least one change each): a reader takes a chunk at a time.
 */
const CHUNK_BYTES = 64 * 1024

/** A place in the change log: after chunk `chunk` of step `step`. Step 0 is before the first. */
export interface ChangePosition {
  step: number
  chunk: number
}

export const LOG_START: ChangePosition = { step: 0, chunk: 0 }

/** One chunk of the change log, with its place. */
export interface ChangeChunk extends ChangePosition {
  changes: LoggedChange[]
}

/** What a key's record after a step amounts to: the put that won, or null. */
export function loggedChange(key: Uint8Array, record: KeyRecord | null): LoggedChange {
  const winner = record?.heads[0]
  if (winner === undefined || winner.deleted) return { key, winner: null }
  return { key, winner: { writer: winner.writer, seq: winner.seq } }
}

/** A step's changes as the index entries that hold them: `changeKey(step, n)` -> chunk n. */
export function changeLogEntries(step: number, changes: LoggedChange[]): Array<{ key: Uint8Array; value: Uint8Array }> {
  // A key, its length and its winner's number; a few entries' refs besides.
  const chunks = chunked(changes, Infinity, CHUNK_BYTES, (c) => c.key.byteLength + 4)
  return chunks.map((chunk, n) => ({ key: keys.changeKey(step, n), value: encodeChangeChunk(chunk) }))
}

/** The last step the change log holds (0 when empty). */
export async function lastLoggedStep(bee: Hyperbee): Promise<number> {
  return guarded(async () => {
    for await (const node of bee.createReadStream({ ...keys.CHANGES_RANGE, reverse: true, limit: 1 })) {
      return keys.changePositionOf(node.key).step
    }
    return 0
  })
}

/** The chunks after `after`, up to the last chunk of step `upTo`, in order. */
export async function* readChangeLog(bee: Hyperbee, after: ChangePosition, upTo: number): AsyncIterable<ChangeChunk> {
  if (after.step > upTo) return
  const range = { gt: keys.changeKey(after.step, after.chunk), lt: keys.changeKey(upTo + 1, 0) }
  try {
    for await (const node of bee.createReadStream(range)) {
      yield { ...keys.changePositionOf(node.key), changes: decodeChangeChunk(node.value) }
    }
  } catch (err) {
    throw corruption(err)
  }
}
