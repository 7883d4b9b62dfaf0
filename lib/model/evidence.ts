import type { Clock } from './clock.js'

/**
 * Facts about writers that are not in any log but that anyone can check with the writer keys
 * alone: every peer keeps the evidence it learns and passes it on, so all reach the same set.
 */

/**
 * A writer key vouching for its successor: `to` goes on where `from` stops (a device that
 * found its storage restored or copied, or its log forked), as the same member with the
 * same role. Signed by `from`'s signer; `manifest` (encoded) ties that signer to `from`.
 */
export interface Succession {
  db: Uint8Array
  from: Uint8Array
  to: Uint8Array
  /** When it was made: orders it among the membership facts. */
  clock: Clock
  manifest: Uint8Array
  signature: Uint8Array
}

/**
 * Two histories signed by one writer key, equal for their first `at` blocks and different
 * at block `at`. For each branch, two Hypercore proofs made from one signed head: its tree at
 * `at` and at `at + 1` (encoded, manifest included).
 */
export interface ForkProof {
  writer: Uint8Array
  at: number
  branches: [Uint8Array, Uint8Array][]
}

export type Evidence = ({ type: 'succession' } & Succession) | ({ type: 'fork' } & ForkProof)

/** The membership facts evidence gives: by writer id (hex). */
export interface SuccessionFact {
  from: string
  to: string
  clock: Clock
}
