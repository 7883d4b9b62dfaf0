import c from 'compact-encoding'
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import { clockEncoding } from '../model/codecs.js'
import type { Evidence, ForkProof, Succession } from '../model/evidence.js'

/**
 * The format of evidence, on the wire and at rest: a version, a kind, the body. Decoding is
 * strict (evidence comes from other peers); what does not decode is dropped, never trusted.
 */
const VERSION = 1
const SUCCESSION = 0
const FORK = 1

type State = c.State

const succession = {
  preencode(s: State, v: Succession) {
    c.fixed32.preencode(s, v.db)
    c.fixed32.preencode(s, v.from)
    c.fixed32.preencode(s, v.to)
    clockEncoding.preencode(s, v.clock)
    c.buffer.preencode(s, v.manifest)
    c.fixed64.preencode(s, v.signature)
  },
  encode(s: State, v: Succession) {
    c.fixed32.encode(s, v.db)
    c.fixed32.encode(s, v.from)
    c.fixed32.encode(s, v.to)
    clockEncoding.encode(s, v.clock)
    c.buffer.encode(s, v.manifest)
    c.fixed64.encode(s, v.signature)
  },
  decode(s: State): Succession {
    return {
      db: c.fixed32.decode(s),
      from: c.fixed32.decode(s),
      to: c.fixed32.decode(s),
      clock: clockEncoding.decode(s),
      manifest: c.buffer.decode(s) ?? b4a.alloc(0),
      signature: c.fixed64.decode(s)
    }
  }
}

const proofPair = c.array(c.buffer)

const fork = {
  preencode(s: State, v: ForkProof) {
    c.fixed32.preencode(s, v.writer)
    c.uint.preencode(s, v.at)
    c.uint.preencode(s, v.branches.length)
    for (const pair of v.branches) proofPair.preencode(s, pair)
  },
  encode(s: State, v: ForkProof) {
    c.fixed32.encode(s, v.writer)
    c.uint.encode(s, v.at)
    c.uint.encode(s, v.branches.length)
    for (const pair of v.branches) proofPair.encode(s, pair)
  },
  decode(s: State): ForkProof {
    const writer = c.fixed32.decode(s)
    const at = c.uint.decode(s)
    const count = c.uint.decode(s)
    if (count !== 2) throw new Error('a fork proof has two branches')
    const branches: [Uint8Array, Uint8Array][] = []
    for (let i = 0; i < count; i++) {
      const pair = proofPair.decode(s).map((b) => b ?? b4a.alloc(0))
      if (pair.length !== 2) throw new Error('a branch has two proofs')
      branches.push([pair[0]!, pair[1]!])
    }
    return { writer, at, branches }
  }
}

export function encodeEvidence(e: Evidence): Uint8Array {
  const state = c.state()
  c.uint.preencode(state, VERSION)
  c.uint.preencode(state, 0)
  if (e.type === 'succession') succession.preencode(state, e)
  else fork.preencode(state, e)
  state.buffer = b4a.allocUnsafe(state.end)
  c.uint.encode(state, VERSION)
  c.uint.encode(state, e.type === 'succession' ? SUCCESSION : FORK)
  if (e.type === 'succession') succession.encode(state, e)
  else fork.encode(state, e)
  return state.buffer
}

/** The evidence in these bytes, or null for anything this version does not read. */
export function decodeEvidence(bytes: Uint8Array): Evidence | null {
  const state = c.state(0, bytes.byteLength, bytes)
  try {
    if (c.uint.decode(state) !== VERSION) return null
    const kind = c.uint.decode(state)
    let out: Evidence
    if (kind === SUCCESSION) out = { type: 'succession', ...succession.decode(state) }
    else if (kind === FORK) out = { type: 'fork', ...fork.decode(state) }
    else return null
    return state.start === state.end ? out : null
  } catch {
    return null
  }
}

/** One id per piece of evidence: the same evidence arriving twice is kept once. */
export function evidenceId(e: Evidence): string {
  return b4a.toString(crypto.hash(encodeEvidence(e)), 'hex')
}
