import type { SyncProgress } from '../types.js'

/** What progress needs of a writer log replica (a Hypercore fits). */
export interface ReplicaState {
  /** Blocks this peer knows exist (its own length, signed by the writer). */
  length: number
  /** Blocks held locally without a gap from the start. */
  contiguousLength: number
  /** Connected peers replicating this log, with the lengths each one reported. */
  peers: ReadonlyArray<{ remoteLength: number; remoteContiguousLength?: number }>
}

/** Per-writer lengths for `status()`. */
export interface ReplicaProgress {
  /** Blocks known to exist: the local length or any connected peer's longer one. */
  length: number
  /** Blocks held locally. */
  downloaded: number
}

/**
 * The longest length the local replica or any connected peer reports. This is the
 * target of `update()`: snapshot it at the call, done once `contiguousLength` reaches it.
 */
export function knownLength(replica: ReplicaState): number {
  let length = replica.length
  // A peer's contiguous length can arrive before its new length: either one counts.
  for (const peer of replica.peers) length = Math.max(length, peer.remoteLength, peer.remoteContiguousLength ?? 0)
  return length
}

export function replicaProgress(replica: ReplicaState): ReplicaProgress {
  return { length: knownLength(replica), downloaded: replica.contiguousLength }
}

/** The `'sync'` payload: sums over writers. */
export function syncProgress(
  peers: number,
  writers: ReadonlyArray<ReplicaProgress & { indexed: number }>
): SyncProgress {
  const progress: SyncProgress = { peers, length: 0, downloaded: 0, indexed: 0 }
  for (const w of writers) {
    progress.length += w.length
    progress.downloaded += w.downloaded
    progress.indexed += w.indexed
  }
  return progress
}

/** True once every writer log holds at least the lengths in `targets` (from {@link knownLength}). */
export function reachedTargets(
  targets: ReadonlyMap<string, number>,
  replicaOf: (writer: string) => ReplicaState | null
): boolean {
  for (const [writer, target] of targets) {
    const replica = replicaOf(writer)
    if (!replica || replica.contiguousLength < target) return false
  }
  return true
}

/** What waiting for a download needs of a replica: its state plus progress events. */
export interface ObservableReplica extends ReplicaState {
  readonly closed: boolean
  readonly peers: ReadonlyArray<{ remoteLength: number; remoteContiguousLength: number }>
  on(event: 'download' | 'append' | 'peer-add' | 'peer-remove' | 'close', listener: () => void): unknown
  off(event: 'download' | 'append' | 'peer-add' | 'peer-remove' | 'close', listener: () => void): unknown
}

/**
 * How long a peer's advertised length counts as a promise of blocks without one arriving. A
 * peer's contiguous length can lag its length just after an append; a peer still downloading
 * advertises a length it cannot serve yet; and Hypercore can leave a length a peer advertises
 * unasked for (seen after connections between the same peers were cut and made again). In
 * none of these may `update()` wait forever: what arrives later is still downloaded and
 * indexed as it comes.
 */
const LENGTH_GRACE_MS = 3000

/**
 * `setTimeout`, with `fn` run after the I/O of the turn of the event loop in which the timer
 * fires (`setImmediate`): a process that did not run for a while (a busy machine) meets its
 * expired timers before the I/O that came meanwhile, and a bound judged then would give up on a
 * peer that was answering all along.
 */
function boundAfterIO(fn: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(() => setImmediate(fn), ms)
}

/**
 * Resolves once the replica holds its first `target` blocks, or once no connected peer has
 * more to give (the peer left, or it never had them), or once no block arrived for
 * `LENGTH_GRACE_MS` (judged after that turn's I/O, `boundAfterIO`): `update()` must not
 * outwait its peers.
 */
export function replicated(replica: ObservableReplica, target: number): Promise<void> {
  let lastBlock = Date.now()
  const done = () =>
    replica.closed ||
    replica.contiguousLength >= target ||
    Date.now() - lastBlock >= LENGTH_GRACE_MS ||
    !replica.peers.some(
      (p) => p.remoteContiguousLength > replica.contiguousLength || p.remoteLength > replica.contiguousLength
    )
  if (done()) return Promise.resolve()
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout
    const check = () => {
      clearTimeout(timer)
      if (!done()) {
        timer = boundAfterIO(check, lastBlock + LENGTH_GRACE_MS - Date.now())
        return
      }
      for (const [e, fn] of listeners) replica.off(e, fn)
      resolve()
    }
    const onBlock = () => {
      lastBlock = Date.now()
      check()
    }
    const listeners = [
      ['download', onBlock],
      ['append', onBlock],
      ['peer-remove', check],
      ['close', check]
    ] as const
    for (const [e, fn] of listeners) replica.on(e, fn)
    check()
  })
}

/** How long `update()` waits for connected peers to tell a log's length. */
const ASK_MS = 3000

/**
 * Asks the peers of a replica for its length (Hypercore's `update({ wait: true })`), waiting
 * at most `ASK_MS`. Hypercore can leave that ask unanswered while the log grows during it (seen
 * with a peer that reported a new contiguous length before the length itself); what the peers
 * advertise is waited for next either way (`replicated`). An answer that came while the process
 * was held up counts (`boundAfterIO`).
 */
export async function askLength(replica: { update(opts: { wait: boolean }): Promise<boolean> }): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<void>((resolve) => (timer = boundAfterIO(resolve, ASK_MS)))
  try {
    await Promise.race([replica.update({ wait: true }).catch(() => false), bound])
  } finally {
    clearTimeout(timer)
  }
}
