import { rm } from 'fs/promises'
import path from 'path'
import Corestore from 'corestore'
import crypto from 'hypercore-crypto'
import DeviceFile from 'device-file'
import { PeerBeeError } from '../errors.js'
import { decodeEntry, encodeHeader } from '../log/codec.js'
import { HybridClock } from '../log/hybrid-clock.js'
import { EvidenceStore } from '../trust/evidence-store.js'
import { signSuccession } from '../trust/succession.js'
import { LocalSettings } from './local-settings.js'
import { HELD_DB, INDEX, SWARM_SEED, WRITER, indexName, openWriterLog } from './storage.js'

/** A generation far from any other copy's: 48 random bits. */
function randomGeneration(): number {
  const bytes = crypto.randomBytes(6)
  return bytes.reduce((n, b) => n * 256 + b, 0)
}

/** The file in which hypercore-storage records where a storage was made. */
function deviceFile(dir: string): string {
  return path.join(dir, 'CORESTORE')
}

/** Whether the storage in `dir` was copied, moved or restored from a backup since it was made. */
export async function storageMoved(dir: string): Promise<boolean> {
  return !(await DeviceFile.validate(deviceFile(dir), { id: null }))
}

/**
 * Makes a copied or restored storage safe to open. Its writer log may have been gone on with
 * elsewhere (by the original, or by the device before its backup was restored), so it is
 * never appended to again: a new writer log, with a key pair of its own, takes over, and the
 * old key signs a succession that peers check and admit with the old role. A fresh swarm
 * identity replaces the one the copies share. Last, the storage is made this directory's
 * own: the next open records where it is now. A crash on the way leaves at worst a writer log
 * that never writes; a recovery run again takes over from the last one.
 */
export async function recoverStorage(dir: string, now: () => number): Promise<void> {
  const store = new Corestore(dir, { allowBackup: true })
  try {
    await store.ready()
    const local = await LocalSettings.open(store)
    const db = await local.get(HELD_DB)
    if (db === null) throw PeerBeeError.STORAGE_CORRUPT(`${dir} holds no database to recover`)
    const old = await openWriterLog(store, local)
    const clock = new HybridClock(now)
    if (old.length > 1) {
      const last = await old.get(old.length - 1, { wait: false })
      if (last !== null) clock.restore(decodeEntry(last).clock)
    }
    const next = store.get({ keyPair: crypto.keyPair() })
    await next.ready()
    await next.append(encodeHeader({ protocol: 'peerbee', db }))
    const evidence = await EvidenceStore.open(local)
    await evidence.add({ type: 'succession', ...signSuccession(db, old, next.key, clock.tick()) })
    await local.set(WRITER, next.key)
    await local.set(SWARM_SEED, crypto.randomBytes(32))
    // Cores named from the store's primary key have the same keys on every copy: the index,
    // which both would append to, moves to a core no copy shares (it is rebuilt from the logs).
    await local.setText(INDEX, indexName(randomGeneration()))
  } finally {
    await store.close()
  }
  await rm(deviceFile(dir), { force: true })
}
