import b4a from 'b4a'
import c from 'compact-encoding'
import type Hypercore from 'hypercore'
import Protomux from 'protomux'
import type { Evidence } from '../model/evidence.js'
import { decodeEvidence, encodeEvidence } from './codec.js'
import { treeProof } from './fork-proof.js'
import { blockProof } from './salvage.js'

/**
 * The evidence protocol: one Protomux channel per connection (id: the db's discovery key),
 * beside the replication of the logs.
 *
 *   EVIDENCE {bytes}                            evidence this peer checked (all it knows on
 *                                               open, then each new one)
 *   REQUEST  {id, kind, writer, length, index}  TREE: a signed proof of the receiver's branch of
 *                                               `writer` at `length`; BLOCK: a proof of block
 *                                               `index` in that branch's tree at `length`
 *   RESPONSE {id, proof}                        the proof, or empty bytes when it cannot make it
 *   HEADS    [{writer, length, tree}]           the sender's heads of members' logs: a peer
 *                                               whose tree at that length differs holds
 *                                               another history (Hypercore does not compare
 *                                               heads of equal length, so it would not see it)
 *
 * Tree requests let a peer that met a second history of a writer find where the two part;
 * block requests fetch the blocks both histories share that Hypercore no longer replicates.
 */
const PROTOCOL = 'peerbee/evidence'
const EVIDENCE = 0
const REQUEST = 1
const RESPONSE = 2
const HEADS = 3

/** What a request asks for. */
export const TREE = 0
export const BLOCK = 1
/** A peer that does not answer within this long is passed over. */
const REQUEST_TIMEOUT_MS = 10_000

type State = c.State

/** A peer's head of a writer's log: its length and the hash of its tree at that length. */
export interface Head {
  writer: Uint8Array
  length: number
  tree: Uint8Array
}

const head = {
  preencode(s: State, h: Head) {
    c.fixed32.preencode(s, h.writer)
    c.uint.preencode(s, h.length)
    c.fixed32.preencode(s, h.tree)
  },
  encode(s: State, h: Head) {
    c.fixed32.encode(s, h.writer)
    c.uint.encode(s, h.length)
    c.fixed32.encode(s, h.tree)
  },
  decode(s: State): Head {
    return { writer: c.fixed32.decode(s), length: c.uint.decode(s), tree: c.fixed32.decode(s) }
  }
}
const heads = c.array(head)

const NONE = b4a.alloc(0)

interface Request {
  id: number
  kind: number
  writer: Uint8Array
  length: number
  index: number
}

const request = {
  preencode(s: State, r: Request) {
    c.uint.preencode(s, r.id)
    c.uint.preencode(s, r.kind)
    c.fixed32.preencode(s, r.writer)
    c.uint.preencode(s, r.length)
    c.uint.preencode(s, r.index)
  },
  encode(s: State, r: Request) {
    c.uint.encode(s, r.id)
    c.uint.encode(s, r.kind)
    c.fixed32.encode(s, r.writer)
    c.uint.encode(s, r.length)
    c.uint.encode(s, r.index)
  },
  decode(s: State): Request {
    return {
      id: c.uint.decode(s),
      kind: c.uint.decode(s),
      writer: c.fixed32.decode(s),
      length: c.uint.decode(s),
      index: c.uint.decode(s)
    }
  }
}

const response = {
  preencode(s: State, r: { id: number; proof: Uint8Array }) {
    c.uint.preencode(s, r.id)
    c.buffer.preencode(s, r.proof)
  },
  encode(s: State, r: { id: number; proof: Uint8Array }) {
    c.uint.encode(s, r.id)
    c.buffer.encode(s, r.proof)
  },
  decode(s: State): { id: number; proof: Uint8Array } {
    return { id: c.uint.decode(s), proof: c.buffer.decode(s) ?? b4a.alloc(0) }
  }
}

/** Raw bytes as a Protomux message: frames carry their own layout. */
const raw: Protomux.Encoding<Uint8Array> = {
  preencode(state, value) {
    state.end += value.byteLength
  },
  encode(state, value) {
    state.buffer.set(value, state.start)
    state.start += value.byteLength
  },
  decode(state) {
    const value = state.buffer.subarray(state.start, state.end)
    state.start = state.end
    return value
  }
}

export interface ExchangeHost {
  /** The channel's id: the db's discovery key. */
  discoveryKey: Uint8Array
  /** Everything this peer knows, sent to a peer as its channel opens. */
  known(): Evidence[]
  /** Evidence a peer sent: checked (and kept, and passed on) by the host, or dropped. */
  received(e: Evidence): void
  /** A peer's channel opened. */
  opened(): void
  /** This peer's heads of members' logs, sent to a peer as its channel opens. */
  heads(): Promise<Head[]>
  /** A peer's heads. */
  remoteHeads(heads: Head[]): void
  /** Runs `make` with a session of a writer's log, to answer a request from. */
  proof(writer: Uint8Array, make: (log: Hypercore) => Promise<Uint8Array>): Promise<Uint8Array>
}

/** A connected peer on the evidence channel. */
export interface EvidencePeer {
  channel: Protomux.Channel
}

/** Passes evidence between connected peers and answers their requests for signed trees. */
export class EvidenceExchange {
  private readonly host: ExchangeHost
  private readonly peers = new Map<Protomux, EvidencePeer>()
  private readonly pending = new Map<number, (proof: Uint8Array | null) => void>()
  private nextId = 1
  private closed = false

  constructor(host: ExchangeHost) {
    this.host = host
  }

  /** Opens the channel on a connection (once per connection; both ends do it). */
  attach(mux: Protomux): void {
    if (this.closed || this.peers.has(mux)) return
    const channel = mux.createChannel({
      protocol: PROTOCOL,
      id: this.host.discoveryKey,
      messages: [{ encoding: raw, onmessage: (bytes) => this.onmessage(bytes, peer) }],
      onopen: () => {
        for (const e of this.host.known()) this.send(peer, EVIDENCE, encodeEvidence(e))
        void this.host.heads().then((list) => this.send(peer, HEADS, c.encode(heads, list)), noop)
        this.host.opened()
      },
      onclose: () => this.peers.delete(mux)
    })
    if (channel === null) return
    const peer: EvidencePeer = { channel }
    this.peers.set(mux, peer)
    channel.open()
  }

  /** The peers whose channel is open. */
  connected(): EvidencePeer[] {
    return [...this.peers.values()].filter((p) => p.channel.opened && !p.channel.closed)
  }

  /** Tells every connected peer this peer's heads (of logs that changed). */
  announce(list: Head[]): void {
    if (list.length === 0) return
    const bytes = c.encode(heads, list)
    for (const peer of this.connected()) this.send(peer, HEADS, bytes)
  }

  /** Passes new evidence on to every connected peer. */
  broadcast(e: Evidence): void {
    const bytes = encodeEvidence(e)
    for (const peer of this.connected()) this.send(peer, EVIDENCE, bytes)
  }

  /**
   * Asks a peer for a proof of its branch of `writer` (a signed tree at `length`, or block
   * `index` in it); null if it cannot give one.
   */
  ask(peer: EvidencePeer, writer: Uint8Array, length: number, kind = TREE, index = 0): Promise<Uint8Array | null> {
    const id = this.nextId++
    return new Promise((resolve) => {
      const timer = setTimeout(() => answer(null), REQUEST_TIMEOUT_MS)
      const answer = (proof: Uint8Array | null) => {
        clearTimeout(timer)
        this.pending.delete(id)
        resolve(proof)
      }
      this.pending.set(id, answer)
      if (!this.send(peer, REQUEST, c.encode(request, { id, kind, writer, length, index }))) answer(null)
    })
  }

  close(): void {
    this.closed = true
    for (const peer of this.peers.values()) peer.channel.close()
    this.peers.clear()
    for (const answer of [...this.pending.values()]) answer(null)
  }

  private send(peer: EvidencePeer, type: number, body: Uint8Array): boolean {
    if (peer.channel.closed) return false
    return peer.channel.messages[0]?.send(b4a.concat([b4a.from([type]), body])) ?? false
  }

  private onmessage(bytes: Uint8Array, peer: EvidencePeer): void {
    const body = bytes.subarray(1)
    try {
      if (bytes[0] === EVIDENCE) {
        const e = decodeEvidence(body)
        if (e !== null) this.host.received(e)
      } else if (bytes[0] === REQUEST) {
        void this.answer(peer, c.decode(request, body))
      } else if (bytes[0] === HEADS) {
        this.host.remoteHeads(c.decode(heads, body))
      } else if (bytes[0] === RESPONSE) {
        const { id, proof } = c.decode(response, body)
        this.pending.get(id)?.(proof.byteLength === 0 ? null : proof)
      }
    } catch {
      // A malformed message from a peer is dropped; it never reaches the host.
    }
  }

  private async answer(peer: EvidencePeer, req: Request): Promise<void> {
    const make = async (log: Hypercore) => {
      if (req.length === 0 || req.length > log.length) return NONE
      if (req.kind === TREE) return treeProof(log, req.length)
      return req.index < req.length && (await log.has(req.index)) ? blockProof(log, req.index, req.length) : NONE
    }
    const proof = await this.host.proof(req.writer, make).catch(() => NONE)
    this.send(peer, RESPONSE, c.encode(response, { id: req.id, proof }))
  }
}

function noop(): void {}
