import b4a from 'b4a'
import type Hyperbee from 'hyperbee2'

/**
 * Blocks kept decoded after a read, most recent first. Decoding a node reads the block of each
 * of its keys, and a node's keys share a block or two: this makes that one decode per block. A
 * block holds a few hundred keys of small values (tens of KB decoded).
 */
export const RECENT_BLOCKS = 32

/**
 * Bounds what Hyperbee2 (2.14) holds for the nodes it keeps decoded and what decoding one costs.
 * Measured on a million keys (W8), each:
 * - A decoded key and its inline value are slices of the whole block read from storage, so a
 *   cached node kept alive every block its keys came from: 1,024 nodes (~21 MB of keys and
 *   values) held 650 MB of blocks. Each node a read decodes gets its keys and values copied into
 *   one buffer of their own as it enters the cache, which it frees as it leaves.
 * - Decoding a node reads and decodes the block of each key on its own, the same block again
 *   for every key that shares it (28 block decodes a random get for 2 distinct blocks). Blocks
 *   are decoded once while they are among the last `RECENT_BLOCKS` read.
 * Both reach into Hyperbee2's internals (`context.getBlock`, `cache.bump`): blocks of the index
 * are never rewritten (it is append-only and never truncated), so a decoded block stays true.
 */
export function trimTreeMemory(bee: Hyperbee): void {
  const context = bee.context
  const getBlock = context.getBlock.bind(context)
  const recent = new Map<string, Promise<Hyperbee.Block>>()
  context.getBlock = (seq, core, config) => {
    const id = core + '@' + seq
    let block = recent.get(id)
    if (block !== undefined) {
      recent.delete(id)
    } else {
      block = getBlock(seq, core, config)
      // A block not held, or damaged, is not remembered: the next read meets it again.
      block.catch(() => {
        if (recent.get(id) === block) recent.delete(id)
      })
      if (recent.size >= RECENT_BLOCKS) recent.delete(recent.keys().next().value!)
    }
    recent.set(id, block)
    return block
  }

  const cache = bee.cache
  const bump = cache.bump.bind(cache)
  const compacted = new WeakSet<Hyperbee.TreeNode>()
  cache.bump = (node) => {
    const value = node.value
    if (value !== null && !compacted.has(value)) {
      compacted.add(value)
      compactKeys(value)
    }
    bump(node)
  }
}

/**
 * Copies the keys and values a node holds into one buffer of their own. Its pending changes
 * keep key pointers too (keys it replaced or dropped since its block was written): those are
 * copied as well, or they would keep their blocks alive.
 */
function compactKeys(node: Hyperbee.TreeNode): void {
  const pointers = new Set<Hyperbee.KeyPointer>(node.keys.entries)
  for (const op of node.keys.delta) {
    if (op.deltas !== undefined) for (const inner of op.deltas) addKey(pointers, inner.pointer)
    else addKey(pointers, op.pointer)
  }
  let size = 0
  for (const k of pointers) size += k.key.byteLength + (k.value?.byteLength ?? 0)
  // Unpooled: a pooled slab would be shared with buffers outliving this node.
  const own = b4a.allocUnsafeSlow(size)
  let at = 0
  const copy = (bytes: Uint8Array): Uint8Array => {
    own.set(bytes, at)
    at += bytes.byteLength
    return own.subarray(at - bytes.byteLength, at)
  }
  for (const k of pointers) {
    k.key = copy(k.key)
    if (k.value !== null) k.value = copy(k.value)
  }
}

/** A cohort's own pointer locates it in a block and holds no key. */
function addKey(pointers: Set<Hyperbee.KeyPointer>, pointer: Hyperbee.KeyPointer | object | null): void {
  if (pointer !== null && 'key' in pointer) pointers.add(pointer)
}
