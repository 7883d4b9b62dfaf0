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
      /** The connection's channels: others may run their own protocols beside the core's. */
      protomux: import('protomux')
      /** The length of the core as this peer last reported it. */
      remoteLength: number
      remoteContiguousLength: number
    }

    interface GetOptions {
      /** Wait for the block to be downloaded (default true). */
      wait?: boolean
      timeout?: number
      valueEncoding?: 'binary'
      /** The block as stored: not decrypted, its encryption padding kept. */
      raw?: boolean
    }

    interface UpdateOptions {
      wait?: boolean
      force?: boolean
    }

    /**
     * Block encryption (Hypercore's provider interface): `padding` bytes are reserved in front of
     * each block; `encrypt` runs on each appended block before it is hashed, `decrypt` on reads.
     */
    interface EncryptionProvider {
      padding(core: { key: Uint8Array }, index: number): number
      encrypt(index: number, block: Uint8Array, fork: number, core: { key: Uint8Array }): void | Promise<void>
      decrypt(index: number, block: Uint8Array, core: { key: Uint8Array }): void | Promise<void>
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

    /** What a core's key is the hash of: how its heads are signed. */
    interface Manifest {
      version: number
      signers: Array<{ publicKey: Uint8Array }>
    }

    /** A node of the core's Merkle tree (flat-tree index, bytes it spans, hash). */
    interface TreeNode {
      index: number
      size: number
      hash: Uint8Array
    }

    /**
     * A proof as peers exchange it. With `upgrade` from 0 to `length`, `upgrade.nodes` are the
     * roots of the tree at that length, and `additionalNodes` with `signature` tie them to the
     * signed head the proof was made from.
     */
    interface Proof {
      fork: number
      block: { index: number; value: Uint8Array | null; nodes: TreeNode[] } | null
      hash: { index: number; nodes: TreeNode[] } | null
      seek: { bytes: number; nodes: TreeNode[] } | null
      upgrade: {
        start: number
        length: number
        nodes: TreeNode[]
        additionalNodes: TreeNode[]
        signature: Uint8Array | null
      } | null
      manifest: Manifest | null
    }

    interface ProofRequest {
      block?: { index: number; nodes: number }
      upgrade?: { start: number; length: number }
    }

    /** Where cores keep their blocks: a store opens its cores on one. */
    interface Storage {
      close(): Promise<void>
      /**
       * Compacts the whole RocksDB. `blobGarbageCollectionPolicy`: 0 as configured, 1 forced,
       * 2 none; `blobGarbageCollectionAgeCutoff`: the oldest fraction of blob files it moves live
       * blobs out of; `bottommostLevelCompaction`: 0 none, 1 skip, 2 forced.
       */
      compact(opts?: {
        blobGarbageCollectionPolicy?: 0 | 1 | 2
        blobGarbageCollectionAgeCutoff?: number
        bottommostLevelCompaction?: 0 | 1 | 2
      }): Promise<void>
    }

    /** The signed tree a verified proof shows. */
    interface VerifiedTree {
      length: number
      hash(): Uint8Array
    }
  }

  /** An append-only, signed log (only what peerbee uses). */
  class Hypercore extends EventEmitter {
    /** The key of a core whose heads are signed as `manifest` says. */
    static key(manifest: Hypercore.Manifest): Uint8Array
    /**
     * The storage (RocksDB) of a directory; `writeBufferSize`: bytes of each memtable;
     * `blobFileSize`: bytes of each file that holds values of 4 KB or more.
     */
    static defaultStorage(
      directory: string,
      opts?: { writeBufferSize?: number; blobFileSize?: number }
    ): Hypercore.Storage
    readonly key: Uint8Array
    readonly manifest: Hypercore.Manifest | null
    readonly discoveryKey: Uint8Array
    readonly keyPair: Hypercore.KeyPair | null
    readonly length: number
    readonly contiguousLength: number
    readonly byteLength: number
    /** Bytes of the blocks held without a gap from the start. */
    readonly contiguousByteLength: number
    readonly writable: boolean
    readonly readable: boolean
    readonly opened: boolean
    readonly closed: boolean
    readonly peers: Hypercore.Peer[]
    /** The core the sessions share; `header.frozen` once a second history of it was met. */
    readonly core: { readonly header: { readonly frozen: boolean } }
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
    /** Cuts the core to `length` blocks (a new fork); only its writer may. */
    truncate(length: number): Promise<void>
    /** Closes every session and deletes the core from the storage. */
    purge(): Promise<void>
    /** The block holding byte `bytes` of the log, and the offset in it; null if the tree nodes are not held. */
    seek(bytes: number, opts?: { wait?: boolean }): Promise<[number, number] | null>
    /** A proof made from this core's signed head (blocks held locally only). */
    proof(request: Hypercore.ProofRequest): Promise<Hypercore.Proof>
    /** Checks a proof against this core's key alone, without touching what is stored. */
    verifyFullyRemote(proof: Hypercore.Proof): Promise<Hypercore.VerifiedTree>
    findingPeers(): () => void
    replicate(isInitiator: boolean | Duplex, opts?: object): Duplex

    on(event: 'append', listener: () => void): this
    on(event: 'download', listener: (index: number, byteLength: number) => void): this
    on(event: 'peer-add' | 'peer-remove', listener: (peer: Hypercore.Peer) => void): this
    on(event: 'truncate', listener: (ancestors: number, forkId: number) => void): this
    on(event: 'close', listener: () => void): this
    on(event: 'verification-error', listener: (err: Error) => void): this
    /** Two heads signed for this core disagree: Hypercore closes every session of it. */
    on(event: 'conflict', listener: (length: number, fork: number, proof: Hypercore.Proof) => void): this
    off(event: string, listener: (...args: never[]) => void): this
  }

  export = Hypercore
}
