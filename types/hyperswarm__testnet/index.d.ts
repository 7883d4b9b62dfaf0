declare module '@hyperswarm/testnet' {
  import type HyperDHT from 'hyperdht'

  namespace createTestnet {
    interface Testnet {
      readonly nodes: HyperDHT[]
      /** Bootstrap addresses of the first node(s). */
      readonly bootstrap: Array<{ host: string; port: number }>
      createNode(opts?: HyperDHT.Options): HyperDHT
      destroy(): Promise<void>
    }
  }

  /** A local DHT of `size` nodes bound to 127.0.0.1 by default. */
  function createTestnet(
    size?: number,
    opts?: { host?: string; port?: number; bootstrap?: HyperDHT.Bootstrap[] }
  ): Promise<createTestnet.Testnet>

  export = createTestnet
}
