import b4a from 'b4a'
import type Corestore from 'corestore'
import crypto from 'hypercore-crypto'
import type { KeyPair } from '../net/create-swarm.js'
import { Network } from '../net/network.js'
import type { HyperswarmLike, Role } from '../types.js'
import type { LocalSettings } from './local-settings.js'
import type { PeerAccess } from './peer-access.js'
import { SWARM_SEED } from './storage.js'

/**
 * This peer's swarm identity in one db: derived from the store and the db id, so it is stable
 * and does not link a user's dbs; a recovered storage has one of its own (the copies share the
 * derived one).
 */
export async function swarmKeyPair(store: Corestore, local: LocalSettings, id: string): Promise<KeyPair> {
  const seed = await local.get(SWARM_SEED)
  return seed === null ? store.createKeyPair('peerbee/swarm/' + id) : crypto.keyPair(seed)
}

export interface DbNetworkOptions {
  store: Corestore
  /** Where the invites this peer issues are kept: they outlive a rebuild of the index. */
  local: LocalSettings
  dbKey: Uint8Array
  discoveryKey: Uint8Array
  /** The identity of the swarm the network makes; null when the app passed its own. */
  keyPair: KeyPair | null
  access: PeerAccess
  bootstrap: string[] | undefined
  /** The app's own swarm, if it passed one: peerbee uses it and never destroys it. */
  swarm: HyperswarmLike | undefined
  maxInbound: number | undefined
  maxOutbound: number | undefined
  lan: boolean | undefined
  isAdmin(): boolean
  /** @see NetworkHost.encryptionKey */
  encryptionKey(): Uint8Array | null
  addWriter(key: Uint8Array, role: Role): Promise<void>
}

/** The network of one db: its topic, its swarm identity, who may connect, and invites kept in its local settings. */
export function dbNetwork(opts: DbNetworkOptions): Network {
  const { store, local, access } = opts
  const invite = (id: Uint8Array) => 'invite/' + b4a.toString(id, 'hex')
  return new Network(
    {
      dbKey: opts.dbKey,
      discoveryKey: opts.discoveryKey,
      replicate: (conn) => store.replicate(conn),
      peerKey: access.publicKey,
      keyPair: opts.keyPair,
      invites: { get: (id) => local.get(invite(id)), put: (id, value) => local.set(invite(id), value) },
      policy: access,
      invitees: access.invitees,
      bound: (binding) => access.received([binding]),
      isAdmin: opts.isAdmin,
      encryptionKey: opts.encryptionKey,
      addWriter: opts.addWriter
    },
    {
      bootstrap: opts.bootstrap,
      swarm: opts.swarm,
      maxInbound: opts.maxInbound,
      maxOutbound: opts.maxOutbound,
      lan: opts.lan
    }
  )
}
