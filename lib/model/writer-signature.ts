import b4a from 'b4a'
import c from 'compact-encoding'
import Hypercore from 'hypercore'
import crypto from 'hypercore-crypto'
import { manifest as manifestEncoding } from 'hypercore/lib/messages.js'

/**
 * A message signed by the signer of a writer log. A writer key is the hash of its log's
 * manifest, not a public key: the manifest (encoded) travels with the signature, so anyone
 * checks it with the writer key alone.
 */
export interface WriterSignature {
  manifest: Uint8Array
  signature: Uint8Array
}

/** Signs `message` with the key pair of a writer log this peer holds. */
export function signAsWriter(log: Hypercore, message: Uint8Array): WriterSignature {
  if (log.keyPair === null || log.manifest === null)
    throw new Error('only a writer log held with its key pair signs as its writer')
  return {
    manifest: c.encode(manifestEncoding, log.manifest),
    signature: crypto.sign(message, log.keyPair.secretKey)
  }
}

/** Whether `signed` is the signature of `message` by the one signer of the writer log `writer`. */
export function verifyWriterSignature(writer: Uint8Array, signed: WriterSignature, message: Uint8Array): boolean {
  let manifest: Hypercore.Manifest
  try {
    manifest = c.decode(manifestEncoding, signed.manifest)
  } catch {
    return false
  }
  if (!b4a.equals(Hypercore.key(manifest), writer) || manifest.signers.length !== 1) return false
  return crypto.verify(message, signed.signature, manifest.signers[0]!.publicKey)
}
