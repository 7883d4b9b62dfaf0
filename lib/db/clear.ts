import { MAX_ENTRY_BYTES } from '../log/codec.js'
import { opBytes, type QueuedOp } from '../log/group-commit.js'
import { chunked } from '../model/chunks.js'
import type { KeyRange } from '../view/keys.js'
import type { Layers } from './layers.js'

/**
 * `clear(range)`: deletes the keys of the range that this peer sees at the call (a snapshot
 * taken then), as one entry of deletes. Each delete goes through the write path, so it cites
 * the heads of its key this peer holds when the entry is built: a concurrent write it has not
 * seen stays a head and the merge rules decide, as for any delete. An entry holds at most
 * `maxBatchOps` ops (and 14 MiB): a larger range is written as several entries, one after
 * another, and is then not atomic (a peer may see the first entries and not yet the others).
 * Resolves with the number of keys deleted.
 */
export async function clearRange(layers: Layers, range: KeyRange, limit: number, maxBatchOps: number): Promise<number> {
  layers.writes.checkWritable()
  const keys = await layers.reads.visibleKeys(range, limit)
  const deletes = keys.map((key): QueuedOp => ({ type: 'del', key }))
  for (const ops of chunked(deletes, maxBatchOps, MAX_ENTRY_BYTES, opBytes)) await layers.writes.write(ops)
  return keys.length
}
