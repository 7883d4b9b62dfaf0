import b4a from 'b4a'
import type Corestore from 'corestore'
import type Hypercore from 'hypercore'
import { PeerBeeError } from '../errors.js'
import { decodeEntry } from '../log/codec.js'
import { isMembershipOp, type LogEntry, type Op } from '../log/entry.js'
import type { QueuedOp } from '../log/group-commit.js'
import type { HybridClock } from '../log/hybrid-clock.js'
import type { Evidence } from '../model/evidence.js'
import type { EvidenceKeeper } from './evidence-keeper.js'
import type { Layers } from './layers.js'
import type { Overlay } from './overlay.js'
import { rotateWriter } from './recovery.js'
import type { OpenedStorage } from './storage.js'
import type { StorageKeys } from './storage-keys.js'

export interface RotationOptions {
  store: Corestore
  storage: OpenedStorage
  evidence: EvidenceKeeper
  clock: HybridClock
  overlay: Overlay
  /** Rebuilds the index, running `between` once the old layers closed (see `IndexKeeper.reindex`). */
  reindex(between: () => Promise<void>): Promise<void>
  /** The serving layers, as every call gets them. */
  live(): Promise<Layers>
  /** The rotation failed while the db is open. */
  failed(err: Error): void
  closing(): boolean
}

/**
 * This peer's own writer log forked (a copy of its storage wrote too): it never appends to it
 * again, goes on with a new writer log the old key certifies, and writes again what it had
 * written past the fork (those entries never count on any peer).
 *
 * Hypercore closes every session of the log as soon as it meets the second history, before the
 * fork is proven: a write that meets the closed log goes to the new one, once there is one.
 */
export class WriterRotation {
  private readonly opts: RotationOptions
  private running: Promise<void> | null = null

  constructor(opts: RotationOptions) {
    this.opts = opts
  }

  /** The fork of this peer's log, proven at block `at`. */
  forked(at: number): void {
    if (this.running !== null) return
    this.running = this.rotate(at)
      .catch((err: unknown) => {
        if (!this.opts.closing()) this.opts.failed(err instanceof Error ? err : new Error(String(err)))
      })
      .finally(() => {
        this.running = null
      })
  }

  /** A fork of this peer's log proven before the process stopped, and not rotated away from yet. */
  resume(): void {
    const { storage } = this.opts
    for (const e of storage.evidence.all()) {
      if (e.type === 'fork' && b4a.equals(e.writer, storage.writerLog.key)) return this.forked(e.at)
    }
  }

  /**
   * Whether a call that failed with `err` while writing through `log` should run again on the
   * new writer log. When the fork is not proven yet, the connected peers are asked first; if
   * none holds the other history, the write is refused with `WRITER_FORKED`.
   */
  async retry(err: unknown, log: Hypercore): Promise<boolean> {
    if ((err as { code?: unknown } | null)?.code !== 'SESSION_CLOSED' || this.opts.closing()) return false
    if (this.opts.storage.writerLog !== log) return true
    if (!log.closed) return false
    if (this.running === null) await this.opts.evidence.searching(log.key)
    if (this.running === null) throw PeerBeeError.WRITER_FORKED()
    return true
  }

  private async rotate(at: number): Promise<void> {
    const { store, storage, overlay } = this.opts
    let replay: LogEntry[] = []
    let succession: Evidence | null = null
    await this.opts.reindex(async () => {
      const old = storage.writerLog
      replay = await entriesFrom(store, old.key, at, storage.keys)
      const rotated = await rotateWriter(store, storage.local, storage.evidence, old, this.opts.clock, storage.keys)
      storage.writerLog = rotated.log
      succession = rotated.succession
      // Pending versions were of the old log: indexed by now, or past the fork and void.
      overlay.clear()
    })
    if (succession !== null) this.opts.evidence.publish(succession)
    for (const entry of replay) {
      const ops = entry.ops.map(toQueued)
      const { writes } = await this.opts.live()
      // Membership changes need the successor to be admin; data ops go again as they were.
      await writes.write(writes.role === 'admin' ? ops : ops.filter((op) => !isMembershipOp(op)))
    }
  }
}

/**
 * The entries of this peer's writer log from `from` on, read through a session of its own (with
 * the provider that opens them, in an encrypted db).
 */
async function entriesFrom(store: Corestore, key: Uint8Array, from: number, keys: StorageKeys): Promise<LogEntry[]> {
  const log = store.get({ key, wait: false, encryption: keys.writerEncryption() ?? undefined })
  await log.ready()
  try {
    const out: LogEntry[] = []
    for (let seq = Math.max(from, 1); seq < log.length; seq++) {
      const block = await log.get(seq)
      if (block !== null) out.push(decodeEntry(block))
    }
    return out
  } finally {
    await log.close()
  }
}

/** An op as the write path takes it: its parents are computed again when it is written. */
function toQueued(op: Op): QueuedOp {
  return op.type === 'put'
    ? { type: 'put', key: op.key, value: op.value }
    : op.type === 'del'
      ? { type: 'del', key: op.key }
      : op
}
