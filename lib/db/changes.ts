import b4a from 'b4a'
import { PeerBeeError } from '../errors.js'
import { writerId } from '../model/ids.js'
import type { LoggedChange } from '../model/version.js'
import type { ChangeBatch, ChangesOptions, Key } from '../types.js'
import { inBounds, type Bounds } from '../view/bounds.js'
import { LOG_START, type ChangePosition } from '../view/change-log.js'
import { dataKey, dataRange } from '../view/keys.js'
import { publicChange, type ChangeFeed } from './change-feed.js'
import { ChangeValues } from './change-values.js'
import { decodeCheckpoint, encodeCheckpoint, type CheckpointScope } from './checkpoint.js'
import type { Encodings } from './encoding.js'
import type { Layers } from './layers.js'

/** What the changes feed needs of its db. */
export interface ChangesHost {
  /** The layers serving, once open (after a rebuild of the index, if one runs). */
  live(): Promise<Layers>
  /** The layers serving now: null while the index is rebuilt. */
  serving(): Layers | null
  /** Wakes the feed at each step, when the index is replaced, and ends it on close. */
  feed: ChangeFeed
  /** Rejects when the db starts closing or fails. */
  failure: Promise<never>
  /** A read of the change log failed: reports damage of the index (the db rebuilds it). */
  damaged(err: unknown): void
  /** A rebuild of the index runs: it begins a new change log. */
  reindexing(): boolean
}

/**
 * `changes()`: reads the index's change log (`view/change-log.ts`) after a checkpoint, then,
 * when live, each step as it lands. The log is on disk, so a checkpoint outlives the process.
 * A checkpoint names one change log: once a rebuild replaced the index, the feed ends with
 * `CHECKPOINT_EXPIRED`, and so does any later use of a checkpoint of it; a compaction's copy
 * carries the log on, and the feed reads on there.
 */
export async function* changesOf<K extends Key, V>(
  host: ChangesHost,
  enc: Encodings<K, V>,
  opts: ChangesOptions<K>
): AsyncIterable<ChangeBatch<K, V>> {
  const { range, since } = opts
  const live = opts.live === true
  const unordered = range as { reverse?: unknown; limit?: unknown } | undefined
  if (unordered?.reverse !== undefined || unordered?.limit !== undefined) {
    throw PeerBeeError.INVALID_ARGUMENT('changes() yields in index-step order: its range takes no reverse or limit')
  }
  const keys = enc.encodeRange(range ?? {})
  const bounds = keys.gt || keys.gte || keys.lt || keys.lte || keys.prefix ? dataRange(keys) : null

  let layers = await host.live()
  layers.reads.requireKey()
  await ownWritesIndexed(layers, host.failure)
  // The index may have been replaced while this peer's writes were being indexed.
  layers = await host.live()
  const scope: CheckpointScope = { db: layers.rootLog.discoveryKey, index: await layers.view.logId() }
  let position: ChangePosition =
    since === undefined ? LOG_START : decodeCheckpoint(since, scope, await layers.view.lastLoggedStep())
  let values = new ChangeValues(layers)

  for (;;) {
    // Taken before the log is read: a step landing meanwhile wakes the wait below at once.
    const next = live ? host.feed.next() : null
    try {
      const upTo = await layers.view.lastLoggedStep()
      for await (const chunk of layers.view.changesAfter(position, upTo)) {
        position = chunk
        const mine = bounds === null ? chunk.changes : chunk.changes.filter((c) => within(c, bounds))
        const valued = mine.length === 0 ? [] : await values.resolve(mine)
        if (valued.length === 0) continue
        const changes = valued.map((c) => publicChange(enc, c.key, c.value))
        yield { checkpoint: encodeCheckpoint(scope, chunk), changes }
      }
    } catch (err) {
      host.damaged(err)
      if (host.serving() === layers) throw err
      // The index was replaced under the read: a compaction carries the log on, read again there.
      layers = await carriedOn(host, scope, err)
      values = new ChangeValues(layers)
      continue
    }
    if (next === null) return
    await next
    if (host.feed.error !== null) throw host.feed.error
    if (host.feed.ended) return
    if (host.serving() !== layers) {
      layers = await carriedOn(host, scope, PeerBeeError.CHECKPOINT_EXPIRED())
      values = new ChangeValues(layers)
    }
  }
}

/**
 * The layers that replaced the feed's, if their index carries the same change log (a
 * compaction); else (a rebuild began a new log) the feed ends with `CHECKPOINT_EXPIRED`.
 */
async function carriedOn(host: ChangesHost, scope: CheckpointScope, cause: unknown): Promise<Layers> {
  // No need to wait for a rebuild to know that its log is another.
  if (host.reindexing()) throw PeerBeeError.CHECKPOINT_EXPIRED()
  let layers: Layers
  try {
    layers = await host.live()
  } catch {
    throw cause instanceof PeerBeeError && cause.code === 'CHECKPOINT_EXPIRED'
      ? cause
      : PeerBeeError.CHECKPOINT_EXPIRED()
  }
  if (!b4a.equals(await layers.view.logId(), scope.index)) throw PeerBeeError.CHECKPOINT_EXPIRED()
  return layers
}

function within(change: LoggedChange, bounds: Bounds): boolean {
  return inBounds(dataKey(change.key), bounds)
}

/**
 * Every write of this peer that resolved so far is indexed: `changes()` includes them, and
 * a write is readable (through the overlay) before the index takes it.
 */
async function ownWritesIndexed(layers: Layers, failure: Promise<never>): Promise<void> {
  const writer = writerId(layers.writerLog.key)
  const readable = layers.writes.readable
  if (layers.indexer.committed(writer) >= readable) return
  layers.indexer.trigger()
  await Promise.race([layers.indexer.indexed(writer, readable), failure])
}
