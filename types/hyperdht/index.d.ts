declare module 'hyperdht' {
  import { EventEmitter } from 'events'

  namespace HyperDHT {
    interface KeyPair {
      publicKey: Uint8Array
      secretKey: Uint8Array
    }

    /** A bootstrap node: `'host:port'` or its parts. */
    type Bootstrap = string | { host: string; port: number }

    interface Options {
      bootstrap?: Bootstrap[]
      /** Interface to bind; `'0.0.0.0'` by default. */
      host?: string
      port?: number
      /** `false` tells the DHT this node is reachable, so peers connect to it directly. */
      firewalled?: boolean
      ephemeral?: boolean
      keyPair?: KeyPair
    }
  }

  /** The Hyperswarm DHT (only what peerbee uses). */
  class HyperDHT extends EventEmitter {
    constructor(opts?: HyperDHT.Options)
    static keyPair(seed?: Uint8Array): HyperDHT.KeyPair
    /** A bootstrap node for a private DHT, listening on `host:port`. */
    static bootstrapper(port: number, host: string, opts?: HyperDHT.Options): HyperDHT
    /** The public DHT's bootstrap nodes, as `'ip@host:port'`. */
    static readonly BOOTSTRAP: string[]
    readonly destroyed: boolean
    readonly bootstrapNodes: Array<{ host: string; port: number }>
    /** Whether this node thinks it is unreachable from outside (behind a NAT or firewall). */
    readonly firewalled: boolean
    /** Behind a NAT that gives each destination another port: holepunching rarely works. */
    readonly randomized: boolean
    /** The address other DHT nodes see this node at; null until enough answered. */
    readonly host: string | null
    readonly port: number
    /** Routing table of the DHT nodes this node knows. */
    readonly nodes: { readonly length: number }
    /** Opens a connection to the peer listening with this key. */
    connect(
      publicKey: Uint8Array,
      opts?: { keyPair?: HyperDHT.KeyPair; relayAddresses?: Array<{ host: string; port: number }> }
    ): import('stream').Duplex
    /** Binds the UDP sockets. */
    bind(): Promise<void>
    /** The LAN address of the socket that serves handshakes; null before it is bound. */
    localAddress(): { host: string; port: number } | null
    fullyBootstrapped(): Promise<void>
    /** Resolves when the node at `to` answers a ping; rejects after the request's retries time out. */
    ping(to: { host: string; port: number }): Promise<unknown>
    address(): { host: string; port: number }
    destroy(opts?: { force?: boolean }): Promise<void>
  }

  export = HyperDHT
}
