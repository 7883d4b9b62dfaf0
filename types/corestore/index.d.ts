declare module 'corestore' {
  import { EventEmitter } from 'events'
  import type { Duplex } from 'stream'
  import type Hypercore from 'hypercore'

  namespace Corestore {
    interface GetOptions {
      name?: string
      key?: Uint8Array
      exclusive?: boolean
      active?: boolean
      /** false: a get of a block not held returns null at once instead of waiting for peers. */
      wait?: boolean
    }
  }

  /** A set of Hypercores on one storage (only what peerbee uses). */
  class Corestore extends EventEmitter {
    constructor(storage: string, opts?: { readOnly?: boolean })
    readonly opened: boolean
    readonly closed: boolean
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
