import b4a from 'b4a'
import type Hypercore from 'hypercore'
import crypto from 'hypercore-crypto'
import flat from 'flat-tree'
import type { ForkProof } from '../model/evidence.js'
import { decodeProof, encodeProof } from './fork-proof.js'

/**
 * The blocks a forked writer's histories share can be missing on a peer for good: Hypercore
 * stops replicating a log it saw fork. Any peer that holds such a block proves it against the
 * tree both histories share, which the fork proof names, and the block is kept apart.
 */

/** The tree both histories of a fork proof share: its hash at the fork. */
export function sharedTree(proof: ForkProof): Uint8Array | null {
  if (proof.at === 0) return null
  const first = decodeProof(proof.branches[0]![0])
  return first?.upgrade === null || first === null ? null : crypto.tree(first.upgrade.nodes)
}

/** A proof of block `index` in this log's tree at length `at` (this peer must hold the block). */
export async function blockProof(log: Hypercore, index: number, at: number): Promise<Uint8Array> {
  return encodeProof(await log.proof({ block: { index, nodes: 0 }, upgrade: { start: 0, length: at } }))
}

/**
 * The block a proof shows, if it is block `index` of the tree whose hash at length `at` is
 * `shared`: its leaf and the nodes beside its path give the root it is under, the other
 * roots come with the upgrade, and together they must hash to `shared`. Null otherwise.
 */
export function provenBlock(bytes: Uint8Array, index: number, at: number, shared: Uint8Array): Uint8Array | null {
  const proof = decodeProof(bytes)
  const block = proof?.block
  const upgrade = proof?.upgrade
  if (!block || !upgrade || block.value === null || block.index !== index) return null
  if (upgrade.start !== 0 || upgrade.length !== at || index >= at) return null
  let node: Hypercore.TreeNode = { index: 2 * index, size: block.value.byteLength, hash: crypto.data(block.value) }
  for (const sibling of block.nodes) {
    node = { index: flat.parent(node.index), size: node.size + sibling.size, hash: crypto.parent(node, sibling) }
  }
  const roots = [...upgrade.nodes, node].sort((a, b) => a.index - b.index)
  return b4a.equals(crypto.tree(roots), shared) ? block.value : null
}
