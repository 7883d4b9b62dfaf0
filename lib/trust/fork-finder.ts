import type Hypercore from 'hypercore'
import b4a from 'b4a'
import type { ForkProof } from '../model/evidence.js'
import { checkForkProof, provenTree, treeProof } from './fork-proof.js'

/** A signed proof of the other branch's tree at a length, from a peer that holds it. */
export type AskTree = (length: number) => Promise<Uint8Array | null>

/**
 * Finds where this peer's branch of a writer's log and a peer's part, by bisection over
 * signed trees: equal at 0, different at `differs` (where Hypercore met the conflict, at most
 * both lengths). Returns the fork proof, checked, or null when the peer holds the same
 * history, cannot answer, or this peer cannot make proofs of its own branch (it holds too
 * little of it).
 */
export async function findFork(log: Hypercore, ask: AskTree, differs: number): Promise<ForkProof | null> {
  const ownTree = async (length: number) => (await provenTree(log, await treeProof(log, length), length))?.tree ?? null
  const theirTree = async (length: number) => {
    const proof = await ask(length)
    return proof === null ? null : ((await provenTree(log, proof, length))?.tree ?? null)
  }
  try {
    let lo = 0
    let hi = differs
    const [ours, theirs] = await Promise.all([ownTree(hi), theirTree(hi)])
    if (ours === null || theirs === null || b4a.equals(ours, theirs)) return null
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1
      const [a, b] = await Promise.all([ownTree(mid), theirTree(mid)])
      if (a === null || b === null) return null
      if (b4a.equals(a, b)) lo = mid
      else hi = mid
    }
    // Both proofs of a branch must come from one signed head: asked together, they do unless
    // the peer appends in between, and then the check below fails and the next conflict retries.
    const own: [Uint8Array, Uint8Array] = await Promise.all([treeProof(log, lo), treeProof(log, lo + 1)])
    const [at, next] = await Promise.all([lo === 0 ? b4a.alloc(0) : ask(lo), ask(lo + 1)])
    if (at === null || next === null) return null
    const proof: ForkProof = { writer: log.key, at: lo, branches: [own, [at, next]] }
    return (await checkForkProof(proof, log)) ? proof : null
  } catch {
    // This peer cannot prove its own branch (blocks or tree nodes it does not hold).
    return null
  }
}
