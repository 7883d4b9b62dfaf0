import b4a from 'b4a'
import Protomux from 'protomux'
import { PeerBeeError } from '../errors.js'
import type { HyperswarmLike, Role, SwarmConnection } from '../types.js'
import { decodeInvite, inviteId } from './invite.js'
import type { PeerBinding } from './peer-binding.js'
import { PAIRING_PROTOCOL, decodeFrame, encodeFrame, pairingProof, rawEncoding, refusalError } from './pairing-wire.js'

export interface PairOptions {
  /** The invite text an admin handed out. */
  invite: string
  /** A swarm to reach the issuer on; the candidate dials the issuer directly. */
  swarm: HyperswarmLike
  /**
   * The key to admit, or a function of the db key (and encryption key) that gives it (a peer
   * may only know its writer key once it has opened the db).
   */
  writerKey: Uint8Array | ((dbKey: Uint8Array, encryptionKey: Uint8Array | null) => Promise<Uint8Array>)
  /** This peer's binding of its swarm key to that writer key, asked once the writer key is known. */
  binding?: () => PeerBinding | null
  /** Give up with `PAIRING_FAILED` after this many ms. Default 30 s. */
  timeout?: number
  signal?: AbortSignal
  /** Wall clock in ms for the local expiry check. Default `Date.now`. */
  now?: () => number
}

export interface PairResult {
  /** The db key: open the db with it. */
  key: Uint8Array
  /** The key of an encrypted db; null for a db without encryption. */
  encryptionKey: Uint8Array | null
  role: Role
}

const DEFAULT_TIMEOUT = 30_000

/**
 * Presents an invite to the peer that issued it and resolves once this writer key
 * was added. Rejects with `INVITE_INVALID`, `INVITE_EXPIRED`, `INVITE_USED`, or
 * `PAIRING_FAILED` (issuer unreachable, timeout, abort).
 */
export async function pair(opts: PairOptions): Promise<PairResult> {
  const invite = decodeInvite(opts.invite)
  const now = opts.now ?? Date.now
  if (now() > invite.expires) throw PeerBeeError.INVITE_EXPIRED()
  if (opts.signal?.aborted) throw PeerBeeError.PAIRING_FAILED('Pairing was aborted')

  const { swarm } = opts
  const timeout = opts.timeout ?? DEFAULT_TIMEOUT

  return new Promise<PairResult>((resolve, reject) => {
    let settled = false
    const channels = new Set<Protomux.Channel>()

    const finish = (err: Error | null, result?: PairResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      swarm.off('connection', onConnection)
      swarm.leavePeer(invite.issuer)
      for (const channel of channels) channel.close()
      if (err) reject(err)
      else resolve(result as PairResult)
    }

    const timer = setTimeout(
      () => finish(PeerBeeError.PAIRING_FAILED(`No answer from the invite's issuer within ${timeout} ms`)),
      timeout
    )
    const onAbort = () => finish(PeerBeeError.PAIRING_FAILED('Pairing was aborted'))
    opts.signal?.addEventListener('abort', onAbort)

    const onConnection = (conn: SwarmConnection) => {
      if (settled || !b4a.equals(conn.remotePublicKey, invite.issuer)) return
      conn.on('error', noop)
      const mux = Protomux.from(conn)
      let accepted: { key: Uint8Array; encryptionKey: Uint8Array | null } | null = null

      const channel = mux.createChannel({
        protocol: PAIRING_PROTOCOL,
        id: invite.discoveryKey,
        messages: [{ encoding: rawEncoding, onmessage: (bytes) => onFrame(bytes) }],
        onopen: () => {
          // The issuer opened its side, so it knows this db: prove the invite.
          const handshakeHash = conn.handshakeHash
          if (!handshakeHash) return
          const proof = pairingProof(invite.secret, handshakeHash)
          send({ type: 'request', inviteId: inviteId(invite.secret), proof })
        },
        onclose: () => channels.delete(channel as Protomux.Channel)
      })
      if (!channel) return
      channels.add(channel)
      channel.open()

      function send(frame: Parameters<typeof encodeFrame>[0]): void {
        channel?.messages[0]?.send(encodeFrame(frame))
      }

      function onFrame(bytes: Uint8Array): void {
        const frame = decodeFrame(bytes)
        if (!frame) return finish(PeerBeeError.PAIRING_FAILED('The issuer sent a malformed reply'))
        if (frame.type === 'refused') return finish(refusalError(frame.reason))
        if (frame.type === 'accept' && !accepted) {
          accepted = { key: frame.key, encryptionKey: frame.encryptionKey }
          writerKeyFor(opts.writerKey, frame.key, frame.encryptionKey).then(
            (writerKey) => send({ type: 'writer', writerKey, binding: opts.binding?.() ?? null }),
            (err: unknown) => finish(PeerBeeError.PAIRING_FAILED(`No writer key to present: ${String(err)}`))
          )
          return
        }
        if (frame.type === 'added' && accepted) return finish(null, { ...accepted, role: frame.role })
        finish(PeerBeeError.PAIRING_FAILED('The issuer broke the pairing protocol'))
      }
    }

    swarm.on('connection', onConnection)
    for (const conn of swarm.connections) onConnection(conn)
    swarm.joinPeer(invite.issuer)
  })
}

async function writerKeyFor(
  writerKey: PairOptions['writerKey'],
  dbKey: Uint8Array,
  encryptionKey: Uint8Array | null
): Promise<Uint8Array> {
  return typeof writerKey === 'function' ? writerKey(dbKey, encryptionKey) : writerKey
}

function noop(): void {}
