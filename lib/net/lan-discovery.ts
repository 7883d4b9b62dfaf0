import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import b4a from 'b4a'

/**
 * Finds peers of a db on the local network when no DHT is reachable (two laptops on one
 * Wi-Fi, the router offline). Each peer multicasts, to the administratively scoped group
 * below, a sealed announcement: a tag and a box that only who knows the discovery key can
 * make or open, holding its swarm key and the UDP port its DHT node listens on. A listener
 * then dials that key at the sender's address, as Hyperswarm dials a peer found on the DHT
 * through a relay node.
 *
 * An observer on the LAN that does not know the discovery key learns that a peer is at that
 * address and a tag that every peer of the same db sends (it can link them), nothing else;
 * one that knows the discovery key learns what a DHT lookup of it gives: the swarm key.
 */
export const LAN_GROUP = '239.255.70.66'
export const LAN_PORT = 49736
const MAGIC = b4a.from('pbl1')
const TAG_BYTES = 16
const NONCE_BYTES = 12
const AUTH_TAG_BYTES = 16
const BODY_BYTES = 34
const MESSAGE_BYTES = MAGIC.byteLength + TAG_BYTES + NONCE_BYTES + BODY_BYTES + AUTH_TAG_BYTES
/** How often a peer announces itself; a newcomer also gets an answer at once. */
const ANNOUNCE_MS = 5000
const ANSWER_DELAY_MS = 50

/** A peer heard on the LAN. */
export interface LanPeer {
  publicKey: Uint8Array
  host: string
  port: number
}

export interface LanDiscoveryOptions {
  discoveryKey: Uint8Array
  /** This peer's swarm key. */
  publicKey: Uint8Array
  /** The UDP port of this peer's DHT node: where a handshake reaches it. */
  port: number
  /** A peer of this db announced itself. */
  found(peer: LanPeer): void
  /** Tests run on their own group port. */
  lanPort?: number
  interval?: number
}

function derive(label: string, discoveryKey: Uint8Array): Buffer {
  return createHash('sha256').update(label).update(discoveryKey).digest()
}

/** The announcement of `publicKey` listening on `port`, for the peers of `discoveryKey`. */
export function sealAnnouncement(discoveryKey: Uint8Array, publicKey: Uint8Array, port: number): Uint8Array {
  const tag = derive('peerbee/lan/tag', discoveryKey).subarray(0, TAG_BYTES)
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('chacha20-poly1305', derive('peerbee/lan/key', discoveryKey), nonce, {
    authTagLength: AUTH_TAG_BYTES
  })
  cipher.setAAD(b4a.concat([MAGIC, tag]), { plaintextLength: BODY_BYTES })
  const body = b4a.alloc(BODY_BYTES)
  body.set(publicKey, 0)
  new DataView(body.buffer, body.byteOffset).setUint16(32, port)
  const sealed = b4a.concat([cipher.update(body), cipher.final()])
  return b4a.concat([MAGIC, tag, nonce, sealed, cipher.getAuthTag()])
}

/** The key and port an announcement for `discoveryKey` holds; null for anything else. */
export function openAnnouncement(
  discoveryKey: Uint8Array,
  message: Uint8Array
): { publicKey: Uint8Array; port: number } | null {
  if (message.byteLength !== MESSAGE_BYTES || !b4a.equals(message.subarray(0, MAGIC.byteLength), MAGIC)) return null
  let at = MAGIC.byteLength
  const tag = message.subarray(at, (at += TAG_BYTES))
  if (!b4a.equals(tag, derive('peerbee/lan/tag', discoveryKey).subarray(0, TAG_BYTES))) return null
  const nonce = message.subarray(at, (at += NONCE_BYTES))
  const sealed = message.subarray(at, (at += BODY_BYTES))
  try {
    const decipher = createDecipheriv('chacha20-poly1305', derive('peerbee/lan/key', discoveryKey), nonce, {
      authTagLength: AUTH_TAG_BYTES
    })
    decipher.setAAD(b4a.concat([MAGIC, tag]), { plaintextLength: BODY_BYTES })
    decipher.setAuthTag(message.subarray(at))
    const body = b4a.concat([decipher.update(sealed), decipher.final()])
    const port = new DataView(body.buffer, body.byteOffset).getUint16(32)
    return port === 0 ? null : { publicKey: b4a.from(body.subarray(0, 32)), port }
  } catch {
    // Forged or damaged.
    return null
  }
}

/** Announces this peer on the LAN and reports the peers of the same db that announce themselves. */
export class LanDiscovery {
  private readonly opts: LanDiscoveryOptions
  private readonly socket: dgram.Socket
  private readonly announcement: Uint8Array
  private readonly heardFrom = new Set<string>()
  private timer: NodeJS.Timeout | null = null
  private answer: NodeJS.Timeout | null = null
  private closed = false
  /** The last error sending or receiving, if any: diagnostics show it. */
  error: Error | null = null

  private constructor(opts: LanDiscoveryOptions, socket: dgram.Socket) {
    this.opts = opts
    this.socket = socket
    this.announcement = sealAnnouncement(opts.discoveryKey, opts.publicKey, opts.port)
  }

  /** Binds the group's port and announces this peer; rejects if the socket cannot join the group. */
  static async start(opts: LanDiscoveryOptions): Promise<LanDiscovery> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(opts.lanPort ?? LAN_PORT, () => {
        socket.off('error', reject)
        resolve()
      })
    }).catch((err: unknown) => {
      socket.close()
      throw err
    })
    try {
      socket.addMembership(LAN_GROUP)
      socket.setMulticastTTL(1)
      // Peers on this machine hear each other too.
      socket.setMulticastLoopback(true)
    } catch (err) {
      socket.close()
      throw err
    }
    const lan = new LanDiscovery(opts, socket)
    socket.on('error', (err) => (lan.error = err))
    socket.on('message', (message, from) => lan.onMessage(message, from.address))
    lan.announce()
    lan.timer = setInterval(() => lan.announce(), opts.interval ?? ANNOUNCE_MS)
    lan.timer.unref()
    return lan
  }

  /** Distinct peers of this db heard so far. */
  get heard(): number {
    return this.heardFrom.size
  }

  stop(): void {
    if (this.closed) return
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    if (this.answer) clearTimeout(this.answer)
    this.socket.close()
  }

  private announce(): void {
    if (this.closed) return
    this.socket.send(this.announcement, this.opts.lanPort ?? LAN_PORT, LAN_GROUP, (err) => {
      if (err) this.error = err
    })
  }

  private onMessage(message: Uint8Array, host: string): void {
    const peer = openAnnouncement(this.opts.discoveryKey, message)
    if (peer === null || b4a.equals(peer.publicKey, this.opts.publicKey)) return
    const id = b4a.toString(peer.publicKey, 'hex')
    if (!this.heardFrom.has(id)) {
      this.heardFrom.add(id)
      // A newcomer hears of this peer now rather than at the next round.
      this.answer ??= setTimeout(() => {
        this.answer = null
        this.announce()
      }, ANSWER_DELAY_MS)
    }
    this.opts.found({ publicKey: peer.publicKey, host, port: peer.port })
  }
}
