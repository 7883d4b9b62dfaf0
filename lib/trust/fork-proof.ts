import b4a from 'b4a'
import c from 'compact-encoding'
import type Hypercore from 'hypercore'
import crypto from 'hypercore-crypto'
import { wire } from 'hypercore/lib/messages.js'
import type { ForkProof } from '../model/evidence.js'

/**
 * Fork proofs, made and checked with Hypercore's own proofs. A proof with an upgrade from 0 to
 * `length` carries the roots of the tree at that length, tied by the signature of the head
 * it was made from; two trees equal at `at` and different at `at + 1`, both signed by one
 * writer key, show two histories that share exactly their first `at` blocks.
 */

const EMPTY = b4a.alloc(0)

export function encodeProof(proof: Hypercore.Proof): Uint8Array {
  return c.encode(wire.data, { ...proof, request: 0 })
}

export function decodeProof(bytes: Uint8Array): Hypercore.Proof | null {
  try {
    return c.decode(wire.data, bytes)
  } catch {
    return null
  }
}

/** A signed proof of this log's tree at `length` (0: the empty tree, which needs none). */
export async function treeProof(log: Hypercore, length: number): Promise<Uint8Array> {
  if (length === 0) return EMPTY
  const proof = await log.proof({ upgrade: { start: 0, length } })
  // Whoever checks it may not hold the log yet: the manifest lets the key alone verify it.
  proof.manifest = log.manifest
  return encodeProof(proof)
}

/** This log's tree hash at `length` (0: the empty tree), from the tree nodes it holds. */
export async function treeHash(log: Hypercore, length: number): Promise<Uint8Array> {
  if (length === 0) return EMPTY
  return crypto.tree((await log.proof({ upgrade: { start: 0, length } })).upgrade!.nodes)
}

/**
 * The tree hash a proof shows at `length`, once it is checked against the writer's log (any
 * session of it: branch held or not); null if it is not a valid proof of that length.
 * Also returns the hash of the signed head it was made from.
 */
export async function provenTree(
  log: Hypercore,
  bytes: Uint8Array,
  length: number
): Promise<{ tree: Uint8Array; head: Uint8Array } | null> {
  if (length === 0) return bytes.byteLength === 0 ? { tree: EMPTY, head: EMPTY } : null
  const proof = decodeProof(bytes)
  if (proof === null || proof.upgrade === null || proof.upgrade.start !== 0 || proof.upgrade.length !== length) {
    return null
  }
  if (proof.block !== null || proof.hash !== null || proof.seek !== null) return null
  try {
    const verified = await log.verifyFullyRemote(proof)
    return { tree: crypto.tree(proof.upgrade.nodes), head: verified.hash() }
  } catch {
    return null
  }
}

/**
 * Whether a fork proof holds, checked against the writer's log: each branch's two proofs
 * come from one signed head; the branches' trees are equal at `at` and differ at `at + 1`.
 */
export async function checkForkProof(proof: ForkProof, log: Hypercore): Promise<boolean> {
  if (!b4a.equals(proof.writer, log.key) || proof.branches.length !== 2) return false
  const trees: Array<{ at: Uint8Array; next: Uint8Array }> = []
  for (const [atProof, nextProof] of proof.branches) {
    const at = await provenTree(log, atProof, proof.at)
    const next = await provenTree(log, nextProof, proof.at + 1)
    if (at === null || next === null) return false
    if (proof.at > 0 && !b4a.equals(at.head, next.head)) return false
    trees.push({ at: at.tree, next: next.tree })
  }
  const [a, b] = trees as [{ at: Uint8Array; next: Uint8Array }, { at: Uint8Array; next: Uint8Array }]
  return b4a.equals(a.at, b.at) && !b4a.equals(a.next, b.next)
}
