import b4a from 'b4a'
import type Corestore from 'corestore'
import crypto from 'hypercore-crypto'
import { Network } from '../net/network.js'
import type { HyperswarmLike, Role } from '../types.js'
import type { LocalSettings } from './local-settings.js'
import { SWARM_SEED } from './storage.js'

export interface DbNetworkOptions {
  store: Corestore
  /** Where the invites this peer issues are kept: they outlive a rebuild of the index. */
  local: LocalSettings
  dbKey: Uint8Array
  discoveryKey: Uint8Array
  /** The db id: names the swarm identity, so one identity does not link a user's dbs. */
  id: string
  bootstrap: string[] | undefined
  /** The app's own swarm, if it passed one: peerbee uses it and never destroys it. */
  swarm: HyperswarmLike | undefined
  isAdmin(): boolean
  /** @see NetworkHost.encryptionKey */
  encryptionKey(): Uint8Array | null
  addWriter(key: Uint8Array, role: Role): Promise<void>
}

/** The network of one db: its topic, its swarm identity, and invites kept in its local index. */
export function dbNetwork(opts: DbNetworkOptions): Network {
  const { store, local } = opts
  const invite = (id: Uint8Array) => 'invite/' + b4a.toString(id, 'hex')
  return new Network(
    {
      dbKey: opts.dbKey,
      discoveryKey: opts.discoveryKey,
      replicate: (conn) => store.replicate(conn),
      keyPair: async () => {
        // A recovered storage has an identity of its own: the copies share the derived one.
        const seed = await local.get(SWARM_SEED)
        return seed === null ? store.createKeyPair('peerbee/swarm/' + opts.id) : crypto.keyPair(seed)
      },
      invites: { get: (id) => local.get(invite(id)), put: (id, value) => local.set(invite(id), value) },
      isAdmin: opts.isAdmin,
      encryptionKey: opts.encryptionKey,
      addWriter: opts.addWriter
    },
    { bootstrap: opts.bootstrap, swarm: opts.swarm }
  )
}
