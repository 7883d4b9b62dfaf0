declare module 'hyperbee2' {
  import type { Readable } from 'stream'
  import type Corestore from 'corestore'
  import type Hypercore from 'hypercore'

  namespace Hyperbee2 {
    /** An entry as reads return it: keys and values are raw bytes. */
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

    /** Ops are queued, then applied in order and written as a few blocks at `flush()`. */
    interface WriteBatch {
      tryPut(key: Uint8Array, value: Uint8Array): void
      tryDelete(key: Uint8Array): void
      flush(): Promise<void>
    }

    /** A key of a decoded node; `value` is null when it is stored apart (over 1 KiB). */
    interface KeyPointer {
      key: Uint8Array
      value: Uint8Array | null
    }

    /** A change to a node's keys since a block held it, or a cohort of them (`deltas`). */
    interface DeltaOp {
      readonly pointer: KeyPointer | object | null
      readonly deltas?: readonly DeltaOp[]
    }

    /** A decoded node: its keys as they are (`entries`) and as its block wrote them (`delta`). */
    interface TreeNode {
      readonly keys: { readonly entries: readonly KeyPointer[]; readonly delta: readonly DeltaOp[] }
    }

    /** A decoded block of the tree's core. */
    interface Block {
      readonly tree: readonly object[]
    }

    /** Reads the blocks of the cores a tree spans (only its own for peerbee's index). */
    interface CoreContext {
      getBlock(seq: number, core: number, config: object): Promise<Block>
    }

    /** A pointer to a tree node, decoded (`value`) or not. */
    interface NodePointer {
      readonly value: TreeNode | null
      /** Null only for the empty tree's root. */
      readonly context: object | null
    }

    /** The decoded nodes kept, most recently used first, and found by their place. */
    interface NodeCache {
      /** Nodes it holds decoded. */
      readonly size: number
      bump(node: NodePointer): void
      remove(node: NodePointer): void
      [Symbol.iterator](): Iterator<NodePointer>
    }

    interface Options {
      /** The core of the tree; the store opens the cores it may reference. */
      core?: Hypercore
      /** A view never closes the store (nor the core) on `close()`. */
      view?: boolean
      writable?: boolean
      /** Whether reads wait for blocks not held (the default) or fail at once. */
      wait?: boolean
      /** Tree nodes kept decoded. */
      maxCacheSize?: number
    }
  }

  /** Hyperbee's next major: an append-only B-tree whose nodes are compressed, values inline. */
  class Hyperbee2 {
    constructor(store: Corestore, opts?: Hyperbee2.Options)
    readonly core: Hypercore
    /** The root node of the tree as this instance sees it; null before `ready()`. */
    readonly root: Hyperbee2.NodePointer | null
    readonly cache: Hyperbee2.NodeCache
    /** Shared by the tree's snapshots, as is `cache`. */
    readonly context: Hyperbee2.CoreContext
    ready(): Promise<void>
    close(): Promise<void>
    get(key: Uint8Array): Promise<Hyperbee2.Node | null>
    write(): Hyperbee2.WriteBatch
    /** A read-only view of the tree as it is now. */
    snapshot(): Hyperbee2
    /** A read-only view of the tree as it was at `length` blocks of its core (now, by default). */
    checkout(opts?: { length?: number }): Hyperbee2
    /** What differs between this tree and `other`: `left` is this tree's entry, `right` the other's. */
    createDiffStream(
      other: Hyperbee2
    ): Readable & AsyncIterable<{ left: Hyperbee2.Node | null; right: Hyperbee2.Node | null }>
    createReadStream(range?: Hyperbee2.Range): Readable & AsyncIterable<Hyperbee2.Node>
  }

  export = Hyperbee2
}
