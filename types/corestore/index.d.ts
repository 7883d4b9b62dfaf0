declare module 'corestore' {
  import { EventEmitter } from 'events'
  import type { Duplex } from 'stream'
  import type Hypercore from 'hypercore'

  namespace Corestore {
    interface GetOptions {
      name?: string
      key?: Uint8Array
      exclusive?: boolean
      /** false: the core is not offered to peers on replication streams. */
      active?: boolean
      /** true: the core never downloads (no block, length or fork is asked of peers). */
      pushOnly?: boolean
      /** false: a get of a block not held returns null at once instead of waiting for peers. */
      wait?: boolean
      /** A writer log on a key pair of its own (not derived from the store's primary key). */
      keyPair?: { publicKey: Uint8Array; secretKey: Uint8Array }
      /** Block encryption: Hypercore's default with this key, or a provider of one's own. */
      encryption?: { key: Uint8Array } | Hypercore.EncryptionProvider
    }
  }

  /** A set of Hypercores on one storage (only what peerbee uses). */
  class Corestore extends EventEmitter {
    /** `allowBackup`: open a storage copied or restored from a backup (it is refused otherwise). */
    constructor(storage: string | Hypercore.Storage, opts?: { readOnly?: boolean; allowBackup?: boolean })
    readonly opened: boolean
    readonly closed: boolean
    /** The storage every core of the store (and of its sessions and namespaces) is kept in. */
    readonly storage: Hypercore.Storage
    ready(): Promise<void>
    close(): Promise<void>
    get(opts: Corestore.GetOptions | Uint8Array): Hypercore
    session(): Corestore
    namespace(name: string): Corestore
    replicate(isInitiatorOrStream: boolean | Duplex, opts?: object): Duplex
    createKeyPair(name: string): Promise<Hypercore.KeyPair>
    findingPeers(): () => void
    on(event: 'core-open' | 'core-close', listener: (core: Hypercore) => void): this
  }

  export = Corestore
}
