declare module 'hyperswarm' {
  import { EventEmitter } from 'events'
  import type { Duplex } from 'stream'
  import type HyperDHT from 'hyperdht'

  namespace Hyperswarm {
    type KeyPair = HyperDHT.KeyPair

    /**
     * A Noise-encrypted connection (@hyperswarm/secret-stream). Both ends are
     * authenticated by their key pairs.
     */
    interface Connection extends Duplex {
      readonly publicKey: Uint8Array
      readonly remotePublicKey: Uint8Array
      /** Set once the handshake is done; the same on both ends. */
      readonly handshakeHash: Uint8Array | null
      readonly isInitiator: boolean
      /** Bytes on the wire, encrypted frames included. */
      readonly rawBytesRead: number
      readonly rawBytesWritten: number
      /** The UDP stream under the connection, once connected. */
      readonly rawStream: { readonly remoteHost: string; readonly remotePort: number } | null
      /** Resolves true once the handshake is done, false if the stream closed first. */
      readonly opened: Promise<boolean>
      /** Holds the connection's Protomux once a protocol attached one. */
      userData: unknown
    }

    interface PeerInfo {
      readonly publicKey: Uint8Array
      /** Topics this peer was discovered under (client connections only). */
      readonly topics: Uint8Array[]
      /** True when this side dialled the connection. */
      readonly client: boolean
      readonly banned: boolean
      ban(banned: boolean): void
    }

    interface JoinOptions {
      server?: boolean
      client?: boolean
      limit?: number
    }

    /** One `join()` of a topic; several sessions of one topic share the lookups. */
    interface Discovery {
      readonly destroyed: boolean
      /** Resolves once the current announce or lookup has finished. */
      flushed(): Promise<boolean>
      /** Runs a new announce or lookup (or joins the one in flight). */
      refresh(opts?: JoinOptions): Promise<boolean>
      destroy(): Promise<void>
    }

    interface Options {
      keyPair?: KeyPair
      seed?: Uint8Array
      dht?: HyperDHT
      bootstrap?: HyperDHT.Bootstrap[]
      /** Cap on outgoing connection attempts; inbound connections are not capped by it. */
      maxPeers?: number
      /** Cap on dials to peers found on topics (`joinPeer` dials are not capped by it). */
      maxClientConnections?: number
      maxParallel?: number
      /**
       * Return true to refuse a peer; a refused peer is banned for the life of the swarm. Called
       * before a dial (`payload` null) and on an inbound handshake (the remote's payload).
       */
      firewall?: (remotePublicKey: Uint8Array, payload: unknown) => boolean
    }
  }

  /** Hyperswarm 4 (only what peerbee uses). */
  class Hyperswarm extends EventEmitter {
    constructor(opts?: Hyperswarm.Options)
    readonly keyPair: Hyperswarm.KeyPair
    readonly dht: HyperDHT
    readonly destroyed: boolean
    readonly connections: Set<Hyperswarm.Connection>
    readonly peers: Map<string, Hyperswarm.PeerInfo>
    join(topic: Uint8Array, opts?: Hyperswarm.JoinOptions): Hyperswarm.Discovery
    leave(topic: Uint8Array): Promise<void>
    /** Connect to one peer by its public key, retrying until `leavePeer`. */
    joinPeer(publicKey: Uint8Array): void
    leavePeer(publicKey: Uint8Array): void
    listen(): Promise<void>
    /** Resolves once pending lookups finished and the peers they found were tried. */
    flush(): Promise<boolean>
    destroy(opts?: { force?: boolean }): Promise<void>
    on(event: 'connection', listener: (conn: Hyperswarm.Connection, info: Hyperswarm.PeerInfo) => void): this
    on(event: 'update', listener: () => void): this
    off(event: 'connection', listener: (conn: Hyperswarm.Connection, info: Hyperswarm.PeerInfo) => void): this
    off(event: 'update', listener: () => void): this
  }

  export = Hyperswarm
}
