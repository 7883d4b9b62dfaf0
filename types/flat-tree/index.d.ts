declare module 'flat-tree' {
  /** Index arithmetic of a flat binary tree, as Hypercore lays out its Merkle tree. */
  const flat: {
    parent(index: number): number
  }

  export = flat
}
