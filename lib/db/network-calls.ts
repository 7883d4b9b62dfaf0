import { probeBootstrap } from '../net/bootstrap-probe.js'
import { diagnosis } from '../net/diagnosis.js'
import type { Network } from '../net/network.js'
import type { Diagnosis, InviteOptions, JoinOptions, Key, PeerConnection, Role } from '../types.js'
import type { DbCore } from './db-core.js'
import { dbNetwork } from './db-network.js'
import { decodePeerKey } from './key-input.js'
import { publicConnection, type PeerAccess } from './peer-access.js'

/**
 * The calls of a db that reach the network: its swarm (made at the first call that needs it),
 * invites, who may connect, and the diagnosis of why peers are or are not found.
 */
export class NetworkCalls<K extends Key, V> {
  private readonly core: DbCore<K, V>
  private readonly addWriter: (key: Uint8Array, role: Role) => Promise<void>

  constructor(core: DbCore<K, V>, addWriter: (key: Uint8Array, role: Role) => Promise<void>) {
    this.core = core
    this.addWriter = addWriter
  }

  async join(opts: JoinOptions): Promise<void> {
    await (await this.net()).join(opts)
  }

  async leave(): Promise<void> {
    await this.core.live()
    if (this.core.network !== null) await this.core.network.leave()
  }

  async createInvite(opts: InviteOptions): Promise<string> {
    return (await this.net()).createInvite(opts)
  }

  get peerKey(): Uint8Array {
    this.core.required()
    return this.core.access!.publicKey
  }

  async allowPeer(key: string | Uint8Array): Promise<void> {
    await (await this.access()).list('allow', decodePeerKey(key))
  }

  async denyPeer(key: string | Uint8Array): Promise<void> {
    await (await this.access()).list('deny', decodePeerKey(key))
  }

  async unlistPeer(key: string | Uint8Array): Promise<void> {
    await (await this.access()).unlist(decodePeerKey(key))
  }

  listedPeers(): { allow: Uint8Array[]; deny: Uint8Array[] } {
    this.core.required()
    return this.core.access!.listed()
  }

  connections(): PeerConnection[] {
    const { access, network } = this.core
    if (access === null || network === null) return []
    return network.connections().map((c) => publicConnection(c, access))
  }

  async diagnose(): Promise<Diagnosis> {
    const access = await this.access()
    const { opts, peerOpts, network } = this.core
    return diagnosis({
      peerKey: access.publicKey,
      bootstrap: await probeBootstrap(opts.bootstrap),
      state: network?.state() ?? null,
      membersOnly: peerOpts.membersOnly,
      lan: peerOpts.lan
    })
  }

  private async access(): Promise<PeerAccess> {
    await this.core.live()
    return this.core.access!
  }

  private async net(): Promise<Network> {
    const { core } = this
    const { dbKey, rootLog } = await core.live()
    if (core.network !== null) return core.network
    const network = dbNetwork({
      store: core.store,
      local: core.required().local,
      dbKey,
      discoveryKey: rootLog.discoveryKey,
      keyPair: core.swarmKeys,
      access: core.access!,
      bootstrap: core.opts.bootstrap,
      swarm: core.opts.swarm,
      maxInbound: core.peerOpts.maxInbound,
      maxOutbound: core.peerOpts.maxOutbound,
      lan: core.peerOpts.lan,
      isAdmin: () => core.keeper?.current?.writes.role === 'admin',
      encryptionKey: () => core.required().keys.keyring?.current ?? null,
      addWriter: this.addWriter
    })
    core.network = network
    core.lifecycle.onClosing(() => network.destroy())
    return network
  }
}
