import { PeerBeeError } from '../errors.js'
import type { HyperswarmLike, InviteOptions, JoinOptions, Role, SwarmConnection } from '../types.js'
import type { KeyPair } from './create-swarm.js'
import { DEFAULT_INVITE_TTL, issueInvite, type InviteStore } from './invite.js'
import { PairingHost } from './pairing-host.js'
import { SwarmSession } from './swarm-session.js'

/** What the network needs from the db it serves. */
export interface NetworkHost {
  dbKey: Uint8Array
  discoveryKey: Uint8Array
  replicate(conn: SwarmConnection): void
  /** The swarm identity: stable per db, so invites naming it outlive a restart. */
  keyPair(): Promise<KeyPair>
  invites: InviteStore
  isAdmin(): boolean
  /** The key of an encrypted db that invites hand to new writers; null without encryption. */
  encryptionKey(): Uint8Array | null
  addWriter(key: Uint8Array, role: Role): Promise<void>
}

/** The db on Hyperswarm: presence on its topic, and serving the invites an admin issued. */
export class Network {
  private readonly host: NetworkHost
  private readonly bootstrap: string[] | undefined
  private readonly swarm: HyperswarmLike | undefined
  private session: SwarmSession | null = null
  private pairing: PairingHost | null = null

  constructor(host: NetworkHost, opts: { bootstrap?: string[] | undefined; swarm?: HyperswarmLike | undefined }) {
    this.host = host
    this.bootstrap = opts.bootstrap
    this.swarm = opts.swarm
  }

  get peers(): number {
    return this.session === null ? 0 : this.session.peers
  }

  private async ensureSession(): Promise<SwarmSession> {
    if (this.session === null) {
      const keyPair = await this.host.keyPair()
      this.session ??= new SwarmSession({
        discoveryKey: this.host.discoveryKey,
        replicate: (conn) => this.host.replicate(conn),
        bootstrap: this.bootstrap,
        swarm: this.swarm,
        keyPair
      })
    }
    return this.session
  }

  async join(opts: JoinOptions): Promise<void> {
    const session = await this.ensureSession()
    await session.join(opts)
    // Admins answer invites they issued; any peer may become one later, so check each join.
    if (this.pairing === null && this.host.isAdmin() && session.swarm !== null) {
      this.pairing = new PairingHost({
        swarm: session.swarm,
        dbKey: this.host.dbKey,
        discoveryKey: this.host.discoveryKey,
        encryptionKey: () => this.host.encryptionKey(),
        store: this.host.invites,
        addWriter: (key, role) => this.host.addWriter(key, role)
      })
    }
  }

  async leave(): Promise<void> {
    this.pairing?.close()
    this.pairing = null
    if (this.session !== null) await this.session.leave()
  }

  async createInvite(opts: InviteOptions): Promise<string> {
    if (!this.host.isAdmin()) throw PeerBeeError.NOT_ADMIN('Only an admin can invite writers')
    const keyPair = await this.host.keyPair()
    return issueInvite(this.host.invites, {
      discoveryKey: this.host.discoveryKey,
      issuer: keyPair.publicKey,
      role: opts.role ?? 'writer',
      expires: opts.expires ?? Date.now() + DEFAULT_INVITE_TTL
    })
  }

  async destroy(): Promise<void> {
    this.pairing?.close()
    this.pairing = null
    if (this.session !== null) await this.session.destroy()
  }
}
