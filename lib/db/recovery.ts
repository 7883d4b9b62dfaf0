import { rm } from 'fs/promises'
import path from 'path'
import Corestore from 'corestore'
import type Hypercore from 'hypercore'
import crypto from 'hypercore-crypto'
import DeviceFile from 'device-file'
import { PeerBeeError } from '../errors.js'
import { encodeHeader } from '../log/codec.js'
import { HybridClock, resumeClock } from '../log/hybrid-clock.js'
import type { Evidence } from '../model/evidence.js'
import { EvidenceStore } from '../trust/evidence-store.js'
import { signSuccession } from '../trust/succession.js'
import { LocalSettings } from './local-settings.js'
import { StorageKeys } from './storage-keys.js'
import { HELD_DB, INDEX, SWARM_SEED, WRITER, freshIndexName, openWriterLog } from './storage.js'

/** The file in which hypercore-storage records where a storage was made. */
function deviceFile(dir: string): string {
  return path.join(dir, 'CORESTORE')
}

/** Whether the storage in `dir` was copied, moved or restored from a backup since it was made. */
export async function storageMoved(dir: string): Promise<boolean> {
  return !(await DeviceFile.validate(deviceFile(dir), { id: null }))
}

/**
 * Moves this peer off a writer log it must never append to again: a new writer log on a key
 * pair of its own (not derived from the store's primary key, which copies share) takes over,
 * certified by the old key (a succession, kept as evidence); a fresh swarm identity replaces
 * the one copies share; the index moves to a core no copy shares (it is rebuilt from the logs).
 * Returns the new log and the succession, for the caller to pass on.
 */
export async function rotateWriter(
  store: Corestore,
  local: LocalSettings,
  evidence: EvidenceStore,
  old: Hypercore,
  clock: HybridClock,
  keys: StorageKeys
): Promise<{ log: Hypercore; succession: Evidence }> {
  const db = await local.get(HELD_DB)
  if (db === null) throw PeerBeeError.STORAGE_CORRUPT('The storage holds no database')
  const log = store.get({ keyPair: crypto.keyPair(), encryption: keys.writerEncryption() ?? undefined })
  await log.ready()
  await log.append(encodeHeader({ protocol: 'peerbee', db }))
  const succession: Evidence = { type: 'succession', ...signSuccession(db, old, log.key, clock.tick()) }
  await evidence.add(succession)
  await local.set(WRITER, log.key)
  await local.set(SWARM_SEED, crypto.randomBytes(32))
  await local.setText(INDEX, freshIndexName())
  return { log, succession }
}

/**
 * Makes a copied or restored storage safe to open. Its writer log may have been gone on with
 * elsewhere (by the original, or by the device before its backup was restored), so this peer
 * rotates to a new one (`rotateWriter`), and peers admit it with the old role. Last, the
 * storage is made this directory's own: the next open records where it is now. A crash on the
 * way leaves at worst a writer log that never writes; a recovery run again takes over from
 * the last one.
 */
export async function recoverStorage(dir: string, now: () => number): Promise<void> {
  const store = new Corestore(dir, { allowBackup: true })
  try {
    await store.ready()
    const local = await LocalSettings.open(store)
    const keys = await StorageKeys.open(local, { creating: false, encrypt: false, given: null })
    const old = await openWriterLog(store, local, keys)
    const clock = new HybridClock(now)
    await resumeClock(clock, old)
    await rotateWriter(store, local, await EvidenceStore.open(local), old, clock, keys)
  } finally {
    await store.close()
  }
  await rm(deviceFile(dir), { force: true })
}
