import b4a from 'b4a'
import { YoloIndex, type NodeMessage } from 'hyperbee/lib/messages.js'
import { PeerBeeError } from '../errors.js'
import { BoundedCache } from './bounded-cache.js'
import { readBlock, type BlockSource, type TreeEntry } from './tree-scan.js'

/** A tree node as a lookup walks it: the seqs of its keys, its children as (seq, offset) pairs. */
interface TreeNode {
  keys: number[]
  children: number[]
}

/**
 * What a cached node or key costs beyond its own contents: the map slot, the object and its
 * arrays' headers (V8 on 64 bits). Estimates: the bound holds as long as they are not low.
 */
const NODE_OVERHEAD = 160
const KEY_OVERHEAD = 80
/** A number in a JS array of small integers. */
const SLOT = 8
/** A block carries one node per level of the tree, so a few dozen at most. */
const MAX_OFFSET = 64

/**
 * The tree nodes and keys of an index core that lookups walked, by block seq. A block never
 * changes once appended (an index core is only ever appended to; a rebuild or a compaction
 * writes a new core, with a new cache), so what is cached here is never stale: a newer
 * version of the tree is reached from a newer root, through blocks of its own.
 * Keys are kept as latin1 strings: compact, and they compare in byte order.
 */
export class TreeCache {
  private readonly nodes: BoundedCache<number, TreeNode>
  private readonly keys: BoundedCache<number, string>

  /** `maxBytes` is shared half and half between nodes and keys. */
  constructor(maxBytes: number) {
    this.nodes = new BoundedCache(maxBytes / 2, (_, n) => NODE_OVERHEAD + (n.keys.length + n.children.length) * SLOT)
    this.keys = new BoundedCache(maxBytes / 2, (_, k) => KEY_OVERHEAD + k.length)
  }

  /** The estimated bytes held. */
  get bytes(): number {
    return this.nodes.cost + this.keys.cost
  }

  node(seq: number, offset: number): TreeNode | undefined {
    return this.nodes.get(seq * MAX_OFFSET + offset)
  }

  key(seq: number): string | undefined {
    return this.keys.get(seq)
  }

  /** Keeps the key of a block read for a lookup. */
  keepKey(seq: number, block: NodeMessage): string {
    const key = b4a.toString(block.key, 'latin1')
    this.keys.set(seq, key)
    return key
  }

  /** Keeps the tree node at `offset` of a block read for a lookup. */
  keepNode(seq: number, offset: number, block: NodeMessage): TreeNode {
    const level = offset < MAX_OFFSET ? YoloIndex.decode(block.index).levels[offset] : undefined
    if (level === undefined) throw PeerBeeError.STORAGE_CORRUPT(`Index block ${seq} has no tree node ${offset}`)
    const node = { keys: level.keys, children: level.children }
    this.nodes.set(seq * MAX_OFFSET + offset, node)
    return node
  }
}

/**
 * Finds `key` in the tree of `version` as Hyperbee's `get` does (binary search in each node,
 * from the root down), reading through `cache`: once the nodes and keys of the walk are
 * cached, a lookup reads one block, the one that holds the key's value. It creates no
 * Hyperbee batch (a `get` on a tree without sessions keeps each one it makes until the tree
 * closes) and holds no lock: blocks below `version` never change.
 */
export async function lookupTree(
  core: BlockSource,
  cache: TreeCache,
  version: number,
  key: Uint8Array
): Promise<TreeEntry | null> {
  // Block 0 is the header; the root of version v is the first tree node of block v - 1.
  if (version < 2) return null
  const target = b4a.toString(key, 'latin1')
  // The last block read: the key found is often the last one compared.
  let lastSeq = -1
  let lastBlock: NodeMessage | null = null
  const read = async (seq: number): Promise<NodeMessage> => {
    if (lastSeq !== seq || lastBlock === null) {
      lastBlock = await readBlock(core, seq)
      lastSeq = seq
    }
    return lastBlock
  }
  const nodeAt = async (seq: number, offset: number) =>
    cache.node(seq, offset) ?? cache.keepNode(seq, offset, await read(seq))
  let node = await nodeAt(version - 1, 0)
  for (;;) {
    let s = 0
    let e = node.keys.length
    while (s < e) {
      const mid = (s + e) >> 1
      const seq = node.keys[mid]!
      const k = cache.key(seq) ?? cache.keepKey(seq, await read(seq))
      if (target === k) {
        const { key: found, value } = await read(seq)
        return { seq, key: found, value }
      }
      if (target < k) e = mid
      else s = mid + 1
    }
    if (node.children.length === 0) return null
    node = await nodeAt(node.children[2 * s]!, node.children[2 * s + 1]!)
  }
}
