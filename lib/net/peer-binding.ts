import b4a from 'b4a'
import c from 'compact-encoding'
import type Hypercore from 'hypercore'
import crypto from 'hypercore-crypto'
import { signAsWriter, verifyWriterSignature } from '../model/writer-signature.js'
import type { KeyPair } from './create-swarm.js'

/**
 * A writer's word that a swarm key is its own, in one db: signed by the writer log's signer
 * and by the swarm key itself, so neither can be claimed by the holder of the other. Every
 * peer checks it with the db key and the writer key alone, and a peer that keeps only
 * members' peers (`membersOnly`) admits the swarm keys bound to current members.
 *
 * The record does not hold the db key (the signed message does), so a record reveals nothing
 * of the db to whoever cannot check it.
 */
export interface PeerBinding {
  /** The writer log's key. */
  writer: Uint8Array
  /** The swarm public key (`db.peerKey` of that writer's peer). */
  peer: Uint8Array
  /** The writer log's manifest, encoded: ties its signer to `writer`. */
  manifest: Uint8Array
  /** By the writer log's signer. */
  signature: Uint8Array
  /** By the swarm key. */
  peerSignature: Uint8Array
}

/** Signed bytes are tagged, so these signatures can never pass for anything else. */
const NAMESPACE = b4a.from('peerbee/peer-binding/v1')
const VERSION = 1

function signable(db: Uint8Array, writer: Uint8Array, peer: Uint8Array): Uint8Array {
  return crypto.hash([NAMESPACE, db, writer, peer])
}

/** Binds the swarm key pair `peer` to the writer log `writerLog` (held with its key pair), in `db`. */
export function signBinding(db: Uint8Array, writerLog: Hypercore, peer: KeyPair): PeerBinding {
  const message = signable(db, writerLog.key, peer.publicKey)
  return {
    writer: writerLog.key,
    peer: peer.publicKey,
    ...signAsWriter(writerLog, message),
    peerSignature: crypto.sign(message, peer.secretKey)
  }
}

/** Whether a binding is what it says in `db`: both keys signed it. */
export function checkBinding(b: PeerBinding, db: Uint8Array): boolean {
  const message = signable(db, b.writer, b.peer)
  return crypto.verify(message, b.peerSignature, b.peer) && verifyWriterSignature(b.writer, b, message)
}

type State = c.State

const binding = {
  preencode(s: State, b: PeerBinding) {
    c.fixed32.preencode(s, b.writer)
    c.fixed32.preencode(s, b.peer)
    c.buffer.preencode(s, b.manifest)
    c.fixed64.preencode(s, b.signature)
    c.fixed64.preencode(s, b.peerSignature)
  },
  encode(s: State, b: PeerBinding) {
    c.fixed32.encode(s, b.writer)
    c.fixed32.encode(s, b.peer)
    c.buffer.encode(s, b.manifest)
    c.fixed64.encode(s, b.signature)
    c.fixed64.encode(s, b.peerSignature)
  },
  decode(s: State): PeerBinding {
    return {
      writer: c.fixed32.decode(s),
      peer: c.fixed32.decode(s),
      manifest: c.buffer.decode(s) ?? b4a.alloc(0),
      signature: c.fixed64.decode(s),
      peerSignature: c.fixed64.decode(s)
    }
  }
}

const bindings = {
  preencode(s: State, list: PeerBinding[]) {
    c.uint.preencode(s, VERSION)
    c.array(binding).preencode(s, list)
  },
  encode(s: State, list: PeerBinding[]) {
    c.uint.encode(s, VERSION)
    c.array(binding).encode(s, list)
  },
  decode(s: State): PeerBinding[] {
    if (c.uint.decode(s) !== VERSION) throw new Error('unknown version')
    return c.array(binding).decode(s)
  }
}

/** Bindings as bytes, on the wire and at rest: a version, then the records. */
export function encodeBindings(list: PeerBinding[]): Uint8Array {
  return c.encode(bindings, list)
}

/** The bindings in these bytes; null for anything this version does not read (they are not trusted either way). */
export function decodeBindings(bytes: Uint8Array): PeerBinding[] | null {
  try {
    return c.decode(bindings, bytes)
  } catch {
    return null
  }
}

/** One binding per writer and swarm key. */
export function bindingId(b: PeerBinding): string {
  return b4a.toString(b.writer, 'hex') + b4a.toString(b.peer, 'hex')
}
