import b4a from 'b4a'
import type Corestore from 'corestore'
import type Hypercore from 'hypercore'
import type { Indexer } from '../indexer/indexer.js'
import type { Evidence } from '../model/evidence.js'
import { writerId, writerKeyOf } from '../model/ids.js'
import { BLOCK, EvidenceExchange, type Head } from '../trust/exchange.js'
import { provenBlock, sharedTree } from '../trust/salvage.js'
import { findFork } from '../trust/fork-finder.js'
import { checkForkProof, treeHash } from '../trust/fork-proof.js'
import { checkSuccession } from '../trust/succession.js'
import type { OpenedStorage } from './storage.js'

/** Evidence kept at most: enough for any honest history, a bound on what a peer can make others store. */
const MAX_EVIDENCE = 10_000
/** Evidence about writers that are no members (yet) waits here, at most this much, until they are. */
const MAX_WAITING = 1_000

export interface EvidenceKeeperOptions {
  store: Corestore
  storage: OpenedStorage
  /** The indexer serving now, or null while there is none: it changes when the index is rebuilt. */
  indexer(): Indexer | null
  /** A fork proof names this peer's own writer log: it must go on with another one. */
  ownForked(at: number): void
  /** Blocks a forked writer's histories share were salvaged: index what became ready. */
  salvaged(): void
}

/** How often this peer tells connected peers the heads of logs that changed. */
const ANNOUNCE_MS = 2000

/** Where a salvaged block is kept among the local settings. */
function salvageKey(writer: string, seq: number): string {
  return `salvage/${writer}/${seq}`
}

/**
 * Keeps the db's evidence: checks what peers send, keeps it, passes it on and gives it to the
 * indexer; and when Hypercore meets a second history of a writer's log, finds where the
 * histories part (with the peers that hold the other one) and makes that a fork proof.
 */
export class EvidenceKeeper {
  private readonly opts: EvidenceKeeperOptions
  private readonly exchange: EvidenceExchange
  /** Writers whose second history Hypercore met, and where, until a fork proof of theirs is known. */
  private readonly unproven = new Map<string, { writer: Uint8Array; length: number }>()
  /** The search for a fork proof running now, by writer. */
  private readonly seeking = new Map<string, Promise<void>>()
  private salvaging = false
  /** Sessions on members' logs for their heads; opened again when Hypercore closes one. */
  private readonly sessions = new Map<string, Hypercore>()
  private readonly announced = new Map<string, number>()
  private readonly announcer: NodeJS.Timeout
  private waiting: Evidence[] = []
  private readonly onPeer = (peer: Hypercore.Peer) => this.exchange.attach(peer.protomux)
  private closed = false

  constructor(opts: EvidenceKeeperOptions) {
    this.opts = opts
    const { rootLog, evidence } = opts.storage
    this.exchange = new EvidenceExchange({
      discoveryKey: rootLog.discoveryKey,
      known: () => evidence.all(),
      opened: () => {
        void this.salvage()
        this.seekUnproven()
      },
      heads: () => this.heads(false),
      remoteHeads: (list) => void this.compareHeads(list).catch(() => {}),
      received: (e) => void this.learn(e).catch(() => {}),
      proof: (writer, make) => this.withLog(writer, make)
    })
    rootLog.on('peer-add', this.onPeer)
    for (const peer of rootLog.peers) this.onPeer(peer)
    this.announcer = setInterval(() => {
      this.seekUnproven()
      void this.heads(true).then(
        (list) => this.exchange.announce(list),
        () => {}
      )
    }, ANNOUNCE_MS)
    this.announcer.unref()
  }

  /**
   * This peer's heads of the members' logs it holds (not of writers known forked): all of
   * them, or only those that changed since last announced.
   */
  private async heads(changedOnly: boolean): Promise<Head[]> {
    const indexer = this.opts.indexer()
    if (indexer === null || this.closed) return []
    const forked = this.forked()
    const out: Head[] = []
    for (const id of indexer.membership.members.keys()) {
      if (forked.has(id)) continue
      const log = await this.session(id)
      if (log === null || log.length === 0 || (changedOnly && this.announced.get(id) === log.length)) continue
      try {
        out.push({ writer: log.key, length: log.length, tree: await treeHash(log, log.length) })
        this.announced.set(id, log.length)
      } catch {
        // Tree nodes not held yet: the next announce tells it.
      }
    }
    return out
  }

  /** A peer's heads: one whose tree differs from this peer's at its length is another history. */
  private async compareHeads(list: Head[]): Promise<void> {
    const indexer = this.opts.indexer()
    if (indexer === null) return
    const forked = this.forked()
    for (const head of list) {
      const id = writerId(head.writer)
      if (forked.has(id) || indexer.membership.member(id) === undefined || head.length === 0) continue
      const log = await this.session(id)
      if (log === null || log.length < head.length) continue
      const ours = await treeHash(log, head.length).catch(() => null)
      if (ours !== null && !b4a.equals(ours, head.tree)) void this.conflict(head.writer, head.length)
    }
  }

  private async session(id: string): Promise<Hypercore | null> {
    const known = this.sessions.get(id)
    if (known !== undefined && !known.closed) return known
    if (this.closed) return null
    const log = this.opts.store.get({ key: writerKeyOf(id), wait: false })
    this.sessions.set(id, log)
    await log.ready()
    return log
  }

  /**
   * Checks evidence (a succession against its writer key, a fork proof against the writer's
   * log), keeps it, passes it on to every peer and gives it to the indexer. False if it was
   * known, or does not hold.
   */
  async learn(e: Evidence): Promise<boolean> {
    const { evidence, dbKey } = this.opts.storage
    if (this.closed || evidence.has(e) || evidence.all().length >= MAX_EVIDENCE) return false
    // Only evidence about members is checked (checking opens the writer's log); the rest waits.
    const indexer = this.opts.indexer()
    const about = writerId(e.type === 'succession' ? e.from : e.writer)
    if (indexer === null || indexer.membership.member(about) === undefined) {
      if (this.waiting.length < MAX_WAITING) this.waiting.push(e)
      return false
    }
    const holds =
      e.type === 'succession'
        ? checkSuccession(e, dbKey)
        : await this.withLog(e.writer, (log) => checkForkProof(e, log)).catch(() => false)
    if (!holds || this.closed || !(await evidence.add(e))) return false
    if (e.type === 'fork') this.unproven.delete(about)
    this.exchange.broadcast(e)
    if (e.type === 'succession') indexer?.succession({ from: writerId(e.from), to: writerId(e.to), clock: e.clock })
    else indexer?.forked(writerId(e.writer), e.at)
    if (e.type === 'fork' && b4a.equals(e.writer, this.opts.storage.writerLog.key)) this.opts.ownForked(e.at)
    if (e.type === 'fork') void this.salvage()
    return true
  }

  /**
   * A block of a forked writer's log that Hypercore no longer gets for this peer: the one kept
   * apart after a peer proved it (null for any other writer, and for blocks not salvaged).
   */
  async salvaged(writer: string, seq: number): Promise<Uint8Array | null> {
    if (!this.forked().has(writer)) return null
    return this.opts.storage.local.get(salvageKey(writer, seq))
  }

  /**
   * Fetches, from connected peers, the blocks forked writers' histories share that this peer
   * lacks: Hypercore stopped replicating those logs, and without them the peer could not
   * index what every other peer indexes. Each block is checked against the shared tree.
   */
  async salvage(): Promise<void> {
    if (this.salvaging || this.closed) return
    this.salvaging = true
    let found = false
    try {
      const { local } = this.opts.storage
      for (const e of this.opts.storage.evidence.all()) {
        const shared = e.type === 'fork' ? sharedTree(e) : null
        if (e.type !== 'fork' || shared === null) continue
        const writer = writerId(e.writer)
        const missing = await this.withLog(e.writer, async (log) => {
          if (log.contiguousLength >= e.at) return []
          const out: number[] = []
          for (let seq = 0; seq < e.at; seq++) {
            if (!(await log.has(seq)) && (await local.get(salvageKey(writer, seq))) === null) out.push(seq)
          }
          return out
        })
        for (const seq of missing) {
          for (const peer of this.exchange.connected()) {
            const proof = await this.exchange.ask(peer, e.writer, e.at, BLOCK, seq)
            const block = proof === null ? null : provenBlock(proof, seq, e.at, shared)
            if (block === null) continue
            await local.set(salvageKey(writer, seq), block)
            found = true
            break
          }
        }
      }
    } finally {
      this.salvaging = false
    }
    if (found) this.opts.salvaged()
  }

  /** Writer ids the evidence shows forked. */
  private forked(): Set<string> {
    const out = new Set<string>()
    for (const e of this.opts.storage.evidence.all()) if (e.type === 'fork') out.add(writerId(e.writer))
    return out
  }

  /** Passes on evidence this peer made and kept itself. */
  publish(e: Evidence): void {
    this.exchange.broadcast(e)
  }

  /** Membership changed: evidence about writers that were no members is checked again. */
  retry(): void {
    if (this.waiting.length === 0) return
    const waiting = this.waiting
    this.waiting = []
    for (const e of waiting) void this.learn(e).catch(() => {})
  }

  /**
   * Hypercore met a second history of `writer` (they differ at `length`): asks each connected
   * peer for its trees until one holds the other history, and learns the fork proof. Until one
   * does, the search runs again as peers connect, and every few seconds.
   */
  conflict(writer: Uint8Array, length: number): Promise<void> {
    const id = writerId(writer)
    if (this.closed || this.forked().has(id)) return Promise.resolve()
    const known = this.unproven.get(id)
    if (known === undefined || length < known.length) this.unproven.set(id, { writer, length })
    return this.seek(id)
  }

  /**
   * The search for a fork proof of `writer` running now, if any; it ends once the connected
   * peers were asked (the proof is learnt then if one of them holds the other history).
   */
  searching(writer: Uint8Array): Promise<void> {
    return this.seeking.get(writerId(writer)) ?? Promise.resolve()
  }

  private seekUnproven(): void {
    for (const id of this.unproven.keys()) void this.seek(id)
  }

  private seek(id: string): Promise<void> {
    const running = this.seeking.get(id)
    if (running !== undefined) return running
    const search = this.searchFork(id)
      .catch(() => {})
      .finally(() => this.seeking.delete(id))
    this.seeking.set(id, search)
    return search
  }

  private async searchFork(id: string): Promise<void> {
    for (const peer of this.exchange.connected()) {
      const conflict = this.unproven.get(id)
      if (conflict === undefined || this.closed) return
      const { writer, length } = conflict
      const proof = await this.withLog(writer, (log) =>
        findFork(log, (at) => this.exchange.ask(peer, writer, at), length)
      )
      if (proof !== null && (await this.learn({ type: 'fork', ...proof }))) return
    }
  }

  close(): void {
    this.closed = true
    clearInterval(this.announcer)
    for (const log of this.sessions.values()) void log.close().catch(() => {})
    this.opts.storage.rootLog.off('peer-add', this.onPeer)
    this.exchange.close()
  }

  /**
   * Runs `use` with a session of its own on a writer's log: sessions Hypercore closes on a
   * conflict do not cut it short, and the log's blocks and tree are there all the same.
   */
  private async withLog<T>(writer: Uint8Array, use: (log: Hypercore) => Promise<T>): Promise<T> {
    const log = this.opts.store.get({ key: writer, wait: false })
    try {
      await log.ready()
      return await use(log)
    } finally {
      await log.close().catch(() => {})
    }
  }
}
