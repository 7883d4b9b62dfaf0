import type Hypercore from 'hypercore'
import { keyIdOf, newKey } from '../crypt/block-cipher.js'
import type { Keyring } from '../crypt/keyring.js'
import { boxPublicKeyOf, lockPast, sealKey } from '../crypt/sealing.js'
import type { KeysOp } from '../log/entry.js'
import { writerId, writerKeyOf } from '../model/ids.js'
import type { KeyShare } from '../model/keys.js'
import type { Layers } from './layers.js'

/**
 * The signing key of a writer log, from its manifest: held once any block of the log was, so an
 * admin can seal to every member whose log it has seen.
 */
function signerOf(log: Hypercore | undefined): Uint8Array | null {
  return log?.manifest?.signers[0]?.publicKey ?? null
}

/** `key` sealed to each of `members` (writer ids) whose log this peer has seen. */
function sealTo(key: Uint8Array, members: string[], layers: Layers): KeyShare[] {
  const shares: KeyShare[] = []
  for (const id of members) {
    const signer = signerOf(layers.replication.log(id))
    if (signer !== null) shares.push({ writer: writerKeyOf(id), box: sealKey(key, boxPublicKeyOf(signer)) })
  }
  return shares
}

/** The members that write on: not cut, and not `except`. */
function remaining(layers: Layers, except: string[]): string[] {
  const out: string[] = []
  for (const [id, m] of layers.indexer.membership.members) if (m.cut === Infinity && !except.includes(id)) out.push(id)
  return out
}

/**
 * The `keys` op that goes with removing `removed`: a new key, sealed to every other member
 * that writes on, with every key held before it encrypted under it (so whoever is given the
 * new key reads the past too). The keyring holds the new key first (a crash after the append
 * must not lose it) but writes with it only once the op is indexed, as every member does.
 */
export async function rotationOp(keyring: Keyring, layers: Layers, removed: Uint8Array): Promise<KeysOp> {
  const key = newKey()
  const past = keyring.all().map((old) => lockPast(old, key))
  await keyring.hold(key)
  const members = remaining(layers, [writerId(removed), writerId(layers.writerLog.key)])
  return { type: 'keys', id: keyIdOf(key), shares: sealTo(key, members, layers), past }
}

/**
 * The `keys` op an admin writes for members no valid op has sealed the current key to (one
 * added by key, or whose log the admin had not seen when it rotated), once it has seen their
 * logs; null when there is none.
 */
export function reshareOp(keyring: Keyring, layers: Layers): KeysOp | null {
  const id = keyring.currentId
  const holders = keyring.sharedWith(id)
  const lacking = remaining(layers, [writerId(layers.writerLog.key)]).filter((m) => !holders.has(m))
  const shares = sealTo(keyring.current, lacking, layers)
  return shares.length === 0 ? null : { type: 'keys', id, shares, past: [] }
}
