declare module 'hypercore' {
  import { EventEmitter } from 'events'
  import type { Duplex } from 'stream'

  namespace Hypercore {
    interface KeyPair {
      publicKey: Uint8Array
      secretKey: Uint8Array
    }

    interface Peer {
      remotePublicKey: Uint8Array
      /** The length of the core as this peer last reported it. */
      remoteLength: number
      remoteContiguousLength: number
    }

    interface GetOptions {
      /** Wait for the block to be downloaded (default true). */
      wait?: boolean
      timeout?: number
      valueEncoding?: 'binary'
    }

    interface UpdateOptions {
      wait?: boolean
      force?: boolean
    }

    interface DownloadRange {
      start?: number
      /** -1 downloads live, following every append. */
      end?: number
      linear?: boolean
      blocks?: number[]
    }

    interface Download {
      done(): Promise<void>
      destroy(): void
    }

    interface AppendResult {
      length: number
      byteLength: number
    }
  }

  /** An append-only, signed log (only what peerbee uses). */
  class Hypercore extends EventEmitter {
    readonly key: Uint8Array
    readonly discoveryKey: Uint8Array
    readonly keyPair: Hypercore.KeyPair | null
    readonly length: number
    readonly contiguousLength: number
    readonly byteLength: number
    readonly writable: boolean
    readonly readable: boolean
    readonly opened: boolean
    readonly closed: boolean
    readonly peers: Hypercore.Peer[]
    ready(): Promise<void>
    close(): Promise<void>
    append(block: Uint8Array | Uint8Array[]): Promise<Hypercore.AppendResult>
    get(index: number, opts?: Hypercore.GetOptions): Promise<Uint8Array | null>
    has(start: number, end?: number): Promise<boolean>
    update(opts?: Hypercore.UpdateOptions): Promise<boolean>
    download(range?: Hypercore.DownloadRange): Hypercore.Download
    session(opts?: { writable?: boolean }): Hypercore
    snapshot(): Hypercore
    /** Per-core local data (not replicated), in the same storage: null deletes. */
    getUserData(key: string): Promise<Uint8Array | null>
    setUserData(key: string, value: Uint8Array | null): Promise<void>
    /** Frees the storage of blocks [start, end); the log keeps its length. */
    clear(start: number, end?: number): Promise<unknown>
    /** Closes every session and deletes the core from the storage. */
    purge(): Promise<void>
    findingPeers(): () => void
    replicate(isInitiator: boolean | Duplex, opts?: object): Duplex

    on(event: 'append', listener: () => void): this
    on(event: 'download', listener: (index: number, byteLength: number) => void): this
    on(event: 'peer-add' | 'peer-remove', listener: (peer: Hypercore.Peer) => void): this
    on(event: 'truncate', listener: (ancestors: number, forkId: number) => void): this
    on(event: 'close', listener: () => void): this
    on(event: 'verification-error', listener: (err: Error) => void): this
    off(event: string, listener: (...args: never[]) => void): this
  }

  export = Hypercore
}
