declare module 'autobase' {
  import { EventEmitter } from 'events'
  import type { Duplex } from 'stream'
  import type Corestore from 'corestore'
  import type Hypercore from 'hypercore'

  namespace Autobase {
    /** One linearized writer node handed to `apply`. */
    interface ApplyNode {
      /** Decoded with the base's `valueEncoding`; `null` never reaches `apply` (acks are skipped). */
      value: unknown
      from: { key: Uint8Array }
    }

    /** Side effects `apply` may cause on the base itself. */
    interface Host {
      addWriter(key: Uint8Array, opts?: { indexer?: boolean }): Promise<void>
      removeWriter(key: Uint8Array): Promise<void>
    }

    /** The store handed to `open`: views are cores named within the base. */
    interface ViewStore {
      get(name: string | { name: string }): Hypercore
    }

    interface Options<View> {
      open(store: ViewStore, host: Host): View
      apply(nodes: ApplyNode[], view: View, host: Host): Promise<void>
      close?(view: View): Promise<void>
      valueEncoding?: 'json' | 'utf-8' | 'binary'
      /** ms between background acks; 0 turns them off. */
      ackInterval?: number
    }
  }

  /** A multi-writer base whose writers' nodes are linearized and applied to a view (only what the benchmark uses). */
  class Autobase<View> extends EventEmitter {
    /** `bootstrap` is an existing base's key, or null to create one. */
    constructor(store: Corestore, bootstrap: Uint8Array | null, opts: Autobase.Options<View>)
    readonly key: Uint8Array
    readonly discoveryKey: Uint8Array
    /** This peer's writer core. */
    readonly local: Hypercore
    readonly view: View
    readonly writable: boolean
    /** Length of the system core. */
    readonly length: number
    readonly signedLength: number
    ready(): Promise<void>
    close(): Promise<void>
    /** Appends one node, or one node per element of an array; resolves once they are applied locally. */
    append(value: unknown): Promise<number>
    /** Fetches what connected peers have and applies it. */
    update(): Promise<void>
    replicate(isInitiatorOrStream: boolean | Duplex, opts?: object): Duplex

    on(event: 'update' | 'writable' | 'unwritable', listener: () => void): this
    on(event: 'error' | 'warning', listener: (err: Error) => void): this
  }

  export = Autobase
}
