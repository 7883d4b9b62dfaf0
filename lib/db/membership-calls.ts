import b4a from 'b4a'
import type { Keyring } from '../crypt/keyring.js'
import { PeerBeeError } from '../errors.js'
import type { QueuedOp } from '../log/group-commit.js'
import { writerId } from '../model/ids.js'
import type { Role } from '../types.js'
import { rotationOp } from './key-sharing.js'
import type { Layers } from './layers.js'

/** Writes an `add-writer` op (admin only); resolves once it is durable. */
export async function addWriter(layers: Layers, key: Uint8Array, role: Role): Promise<void> {
  if (role !== 'writer' && role !== 'admin') throw PeerBeeError.INVALID_ARGUMENT(`Unknown role: ${String(role)}`)
  layers.writes.checkAdmin()
  await layers.writes.write([{ type: 'add-writer', key, role }])
}

/**
 * Writes a `remove-writer` op (admin only) cutting the writer at the length this peer holds;
 * in an encrypted db (`keyring`), with it the op that moves everyone else to a new key.
 */
export async function removeWriter(layers: Layers, key: Uint8Array, keyring: Keyring | null): Promise<void> {
  const { writes, writerLog, replication, indexer } = layers
  writes.checkAdmin()
  if (indexer.membership.isRoot(writerId(key))) {
    throw PeerBeeError.INVALID_ARGUMENT('The root writer cannot be removed (nor a writer log that succeeds it)')
  }
  // Removing oneself keeps the removal entry itself valid.
  const self = b4a.equals(key, writerLog.key)
  const length = self ? writerLog.length + 1 : (replication.log(writerId(key))?.length ?? 0)
  const ops: QueuedOp[] = [{ type: 'remove-writer', key, length }]
  // What is written from now on is under a key the removed writer never gets.
  if (keyring !== null) ops.push(await rotationOp(keyring, layers, key))
  await writes.write(ops)
}
