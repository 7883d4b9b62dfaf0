import { PeerBeeError } from '../errors.js'
import type { HyperswarmLike, InviteOptions, JoinOptions, Role, SwarmConnection } from '../types.js'
import type { AccessPolicy } from './connection-gate.js'
import type { KeyPair } from './create-swarm.js'
import { DEFAULT_INVITE_TTL, decodeInvite, issueInvite, pairingKeyPair, type InviteStore } from './invite.js'
import type { Invitees } from './invitees.js'
import type { PeerBinding } from './peer-binding.js'
import { PairingHost } from './pairing-host.js'
import { SwarmSession, type SessionConnection, type SessionState } from './swarm-session.js'

/** What the network needs from the db it serves. */
export interface NetworkHost {
  dbKey: Uint8Array
  discoveryKey: Uint8Array
  replicate(conn: SwarmConnection): void
  /** This peer's swarm key: stable per db, so invites naming it outlive a restart. */
  peerKey: Uint8Array
  /** The identity of the swarm the network makes; null when the app passed its own. */
  keyPair: KeyPair | null
  invites: InviteStore
  /** Who may connect. */
  policy: AccessPolicy
  /** The keys candidates present open invites with. */
  invitees: Invitees
  /** A new writer's binding of its swarm key, presented when it paired. */
  bound(binding: PeerBinding): void
  isAdmin(): boolean
  /** The key of an encrypted db that invites hand to new writers; null without encryption. */
  encryptionKey(): Uint8Array | null
  addWriter(key: Uint8Array, role: Role): Promise<void>
}

export interface NetworkOptions {
  bootstrap?: string[] | undefined
  swarm?: HyperswarmLike | undefined
  maxInbound?: number | undefined
  maxOutbound?: number | undefined
  lan?: boolean | undefined
}

/** The db on Hyperswarm: presence on its topic, and serving the invites an admin issued. */
export class Network {
  private readonly host: NetworkHost
  private readonly opts: NetworkOptions
  private session: SwarmSession | null = null
  private pairing: PairingHost | null = null

  constructor(host: NetworkHost, opts: NetworkOptions) {
    this.host = host
    this.opts = opts
  }

  get peers(): number {
    return this.session === null ? 0 : this.session.peers
  }

  private ensureSession(): SwarmSession {
    this.session ??= new SwarmSession({
      discoveryKey: this.host.discoveryKey,
      replicate: (conn) => this.host.replicate(conn),
      bootstrap: this.opts.bootstrap,
      swarm: this.opts.swarm,
      ...(this.host.keyPair ? { keyPair: this.host.keyPair } : {}),
      policy: this.host.policy,
      maxInbound: this.opts.maxInbound,
      maxOutbound: this.opts.maxOutbound,
      lan: this.opts.lan
    })
    return this.session
  }

  async join(opts: JoinOptions): Promise<void> {
    const session = this.ensureSession()
    await session.join(opts)
    // Admins answer invites they issued; any peer may become one later, so check each join.
    if (this.pairing === null && this.host.isAdmin() && session.swarm !== null) {
      this.pairing = new PairingHost({
        swarm: session.swarm,
        dbKey: this.host.dbKey,
        discoveryKey: this.host.discoveryKey,
        encryptionKey: () => this.host.encryptionKey(),
        store: this.host.invites,
        addWriter: (key, role) => this.host.addWriter(key, role),
        used: (secret, binding) => {
          // Lost if the db is closing: the invite is used, and refused, all the same.
          this.host.invitees.remove(pairingKeyPair(secret).publicKey).catch(() => {})
          if (binding !== null) this.host.bound(binding)
        }
      })
    }
  }

  async leave(): Promise<void> {
    this.pairing?.close()
    this.pairing = null
    if (this.session !== null) await this.session.leave()
  }

  /** Who may connect changed: see `SwarmSession.recheck`. */
  recheck(): void {
    this.session?.recheck()
  }

  connections(): SessionConnection[] {
    return this.session?.connections() ?? []
  }

  /** The session's state; null before the first join. */
  state(): SessionState | null {
    return this.session?.state() ?? null
  }

  async createInvite(opts: InviteOptions): Promise<string> {
    if (!this.host.isAdmin()) throw PeerBeeError.NOT_ADMIN('Only an admin can invite writers')
    const expires = opts.expires ?? Date.now() + DEFAULT_INVITE_TTL
    const text = await issueInvite(this.host.invites, {
      discoveryKey: this.host.discoveryKey,
      issuer: this.host.peerKey,
      role: opts.role ?? 'writer',
      expires
    })
    await this.host.invitees.add(pairingKeyPair(decodeInvite(text).secret).publicKey, expires)
    return text
  }

  async destroy(): Promise<void> {
    this.pairing?.close()
    this.pairing = null
    if (this.session !== null) await this.session.destroy()
  }
}
