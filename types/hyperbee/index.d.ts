declare module 'hyperbee' {
  import type { Readable } from 'stream'
  import type Hypercore from 'hypercore'

  namespace Hyperbee {
    /** peerbee keeps the index in raw bytes and encodes its records itself. */
    interface Node {
      seq: number
      key: Uint8Array
      value: Uint8Array
    }

    interface Range {
      gt?: Uint8Array
      gte?: Uint8Array
      lt?: Uint8Array
      lte?: Uint8Array
      reverse?: boolean
      limit?: number
    }

    interface RangeIterator {
      open(): Promise<void>
      next(): Promise<Node | null>
      close(): Promise<void> | void
    }

    interface Batch {
      readonly version: number
      get(key: Uint8Array): Promise<Node | null>
      put(key: Uint8Array, value: Uint8Array): Promise<void>
      del(key: Uint8Array): Promise<void>
      flush(): Promise<void>
      close(): Promise<void>
      destroy(): void
    }
  }

  /** An append-only B-tree on a Hypercore, used here with binary keys and values. */
  class Hyperbee {
    /** `sessions: false` reads the core directly instead of opening a snapshot session per read. */
    constructor(
      core: Hypercore,
      opts: { keyEncoding: 'binary'; valueEncoding: 'binary'; extension?: boolean; sessions?: boolean }
    )
    readonly core: Hypercore
    readonly version: number
    ready(): Promise<void>
    close(): Promise<void>
    get(key: Uint8Array): Promise<Hyperbee.Node | null>
    put(key: Uint8Array, value: Uint8Array): Promise<void>
    del(key: Uint8Array): Promise<void>
    batch(): Hyperbee.Batch
    snapshot(): Hyperbee
    checkout(version: number): Hyperbee
    createRangeIterator(range?: Hyperbee.Range): Hyperbee.RangeIterator
    createReadStream(range?: Hyperbee.Range): Readable & AsyncIterable<Hyperbee.Node>
  }

  export = Hyperbee
}
