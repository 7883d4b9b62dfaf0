declare module 'hypercore-crypto' {
  interface KeyPair {
    publicKey: Uint8Array
    secretKey: Uint8Array
  }

  /** A node of a Hypercore's Merkle tree (flat-tree index, bytes it spans, hash). */
  interface TreeNode {
    index: number
    size: number
    hash: Uint8Array
  }

  /** The Hypercore crypto primitives (only what peerbee uses). */
  const crypto: {
    keyPair(seed?: Uint8Array): KeyPair
    sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array
    verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean
    /** The hash of a block as a leaf of the tree. */
    data(block: Uint8Array): Uint8Array
    /** The hash of a parent node from its two children. */
    parent(a: TreeNode, b: TreeNode): Uint8Array
    /** The hash of a tree given by its roots: what a signed head commits to. */
    tree(roots: TreeNode[]): Uint8Array
    /** A BLAKE2b-256 hash of the bytes. */
    hash(data: Uint8Array | Uint8Array[]): Uint8Array
    randomBytes(n: number): Uint8Array
  }

  export = crypto
}
