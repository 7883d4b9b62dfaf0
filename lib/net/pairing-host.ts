import b4a from 'b4a'
import Protomux from 'protomux'
import type { HyperswarmLike, Role, SwarmConnection } from '../types.js'
import { decodeRecord, encodeRecord, type InviteRecord, type InviteStore } from './invite.js'
import type { PeerBinding } from './peer-binding.js'
import {
  PAIRING_PROTOCOL,
  decodeFrame,
  encodeFrame,
  proofMatches,
  rawEncoding,
  type Frame,
  type Refusal
} from './pairing-wire.js'

export interface PairingHostOptions {
  /** The swarm this peer is joined on (it must announce, so candidates can dial it). */
  swarm: HyperswarmLike
  dbKey: Uint8Array
  discoveryKey: Uint8Array
  /** The key of an encrypted db a new writer needs (the newest); null for a db without encryption. */
  encryptionKey: () => Uint8Array | null
  /** Where {@link issueInvite} recorded the invites. */
  store: InviteStore
  /** Adds the writer to the db (an `add-writer` op); rejects if this peer cannot. */
  addWriter: (writerKey: Uint8Array, role: Role) => Promise<void>
  /** An invite was used: its secret, and the binding the new writer presented (unchecked). */
  used?: (secret: Uint8Array, binding: PeerBinding | null) => void
  /** Wall clock in ms for expiry. Default `Date.now`. */
  now?: () => number
}

/** Per channel: the invite a candidate proved, between ACCEPT and WRITER. */
interface Accepted {
  id: Uint8Array
  role: Role
}

/**
 * Serves invites issued by this peer: answers the pairing channel that candidates
 * open on their connection to it. An invite admits one writer key; asking again
 * with the same key (a lost reply) succeeds again, any other key is `used`.
 */
export class PairingHost {
  private readonly swarm: HyperswarmLike
  private readonly dbKey: Uint8Array
  private readonly discoveryKey: Uint8Array
  private readonly encryptionKey: () => Uint8Array | null
  private readonly store: InviteStore
  private readonly addWriter: (writerKey: Uint8Array, role: Role) => Promise<void>
  private readonly now: () => number
  private readonly used: (secret: Uint8Array, binding: PeerBinding | null) => void
  private readonly onConnectionBound = this.onConnection.bind(this)
  private readonly muxes = new Set<Protomux>()
  /** One admission at a time, so two candidates cannot both spend one invite. */
  private admitting: Promise<void> = Promise.resolve()
  private closed = false

  constructor(opts: PairingHostOptions) {
    this.swarm = opts.swarm
    this.dbKey = opts.dbKey
    this.discoveryKey = opts.discoveryKey
    this.encryptionKey = opts.encryptionKey
    this.store = opts.store
    this.addWriter = opts.addWriter
    this.now = opts.now ?? Date.now
    this.used = opts.used ?? noop
    this.swarm.on('connection', this.onConnectionBound)
    for (const conn of this.swarm.connections) this.onConnection(conn)
  }

  /** Stop serving; open pairing channels close. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.swarm.off('connection', this.onConnectionBound)
    for (const mux of this.muxes) {
      mux.unpair({ protocol: PAIRING_PROTOCOL, id: this.discoveryKey })
      for (const channel of mux) {
        if (channel.protocol === PAIRING_PROTOCOL && channel.id && b4a.equals(channel.id, this.discoveryKey)) {
          channel.close()
        }
      }
    }
    this.muxes.clear()
  }

  private onConnection(conn: SwarmConnection): void {
    const mux = Protomux.from(conn)
    this.muxes.add(mux)
    conn.once('close', () => this.muxes.delete(mux))
    // Candidates open the channel; the host only answers.
    mux.pair({ protocol: PAIRING_PROTOCOL, id: this.discoveryKey }, () => this.answer(conn, mux))
  }

  private answer(conn: SwarmConnection, mux: Protomux): void {
    if (this.closed) return
    let accepted: Accepted | null = null
    let busy = false

    const onmessage = (bytes: Uint8Array, channel: Protomux.Channel) => {
      const frame = decodeFrame(bytes)
      // One step at a time, in order: anything else is a broken or hostile peer.
      if (!frame || busy) return channel.close()
      busy = true
      const send = (reply: Frame) => {
        if (!channel.closed) channel.messages[0]?.send(encodeFrame(reply))
      }
      this.step(conn, frame, accepted).then(
        (reply) => {
          busy = false
          if (reply.accepted) accepted = reply.accepted
          send(reply.frame)
          if (reply.frame.type !== 'accept') channel.close()
        },
        () => {
          send({ type: 'refused', reason: 'failed' })
          channel.close()
        }
      )
    }

    const channel = mux.createChannel({
      protocol: PAIRING_PROTOCOL,
      id: this.discoveryKey,
      messages: [{ encoding: rawEncoding, onmessage }]
    })
    channel?.open()
  }

  private async step(
    conn: SwarmConnection,
    frame: Frame,
    accepted: Accepted | null
  ): Promise<{ frame: Frame; accepted?: Accepted }> {
    if (frame.type === 'request' && !accepted) {
      const handshakeHash = conn.handshakeHash
      const record = await this.load(frame.inviteId)
      if (!record || !handshakeHash || !proofMatches(record.secret, handshakeHash, frame.proof)) {
        return refuse('invalid')
      }
      if (this.now() > record.expires) return refuse('expired')
      return {
        frame: { type: 'accept', role: record.role, key: this.dbKey, encryptionKey: this.encryptionKey() },
        accepted: { id: frame.inviteId, role: record.role }
      }
    }
    if (frame.type === 'writer' && accepted) {
      const { id } = accepted
      return this.exclusive(() => this.admit(id, frame.writerKey, frame.binding))
    }
    return refuse('invalid')
  }

  private async admit(id: Uint8Array, writerKey: Uint8Array, binding: PeerBinding | null): Promise<{ frame: Frame }> {
    const record = await this.load(id)
    if (!record) return refuse('invalid')
    if (record.usedBy) {
      return b4a.equals(record.usedBy, writerKey) ? { frame: { type: 'added', role: record.role } } : refuse('used')
    }
    if (this.now() > record.expires) return refuse('expired')
    // Added first, marked used second: a crash in between leaves the invite usable
    // by the same candidate, never spent without a writer to show for it.
    await this.addWriter(writerKey, record.role)
    await this.store.put(id, encodeRecord({ ...record, usedBy: writerKey }))
    // A binding of another writer than the one added is no binding of this candidate.
    this.used(record.secret, binding !== null && b4a.equals(binding.writer, writerKey) ? binding : null)
    return { frame: { type: 'added', role: record.role } }
  }

  private async load(id: Uint8Array): Promise<InviteRecord | null> {
    const bytes = await this.store.get(id)
    return bytes ? decodeRecord(bytes) : null
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.admitting.then(task)
    this.admitting = run.then(noop, noop)
    return run
  }
}

function refuse(reason: Refusal): { frame: Frame } {
  return { frame: { type: 'refused', reason } }
}

function noop(): void {}
