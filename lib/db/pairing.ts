import { createSwarm } from '../net/create-swarm.js'
import { decodeInvite, pairingKeyPair } from '../net/invite.js'
import { pair } from '../net/pairing-candidate.js'
import type { PeerBinding } from '../net/peer-binding.js'
import type { HyperswarmLike } from '../types.js'

/** A db as pairing needs it: opened on the db key the invite's issuer names. */
interface Paired {
  readonly writerKey: Uint8Array
  ready(): Promise<void>
  close(): Promise<void>
}

export interface PairDbOptions {
  bootstrap?: string[] | undefined
  /** The app's own swarm; without one, a swarm is made for the pairing and destroyed after it. */
  swarm?: HyperswarmLike | undefined
  timeout?: number | undefined
}

/**
 * Presents an invite to its issuer and has the writer key of the db `open` makes (on the db
 * key the issuer names, with the encryption key of an encrypted db) added, with `binding` of it
 * (the db's swarm key, bound to that writer key). Resolves with that db, ready; closes it if
 * pairing fails. Without a swarm of the app's, the pairing swarm's key derives from the invite:
 * an issuer that admits only members' peers lets that key in.
 */
export async function pairDb<T extends Paired>(
  invite: string,
  opts: PairDbOptions,
  open: (key: Uint8Array, encryptionKey: Uint8Array | null) => T,
  binding: (db: T) => PeerBinding | null
): Promise<T> {
  const swarm =
    opts.swarm ?? createSwarm({ bootstrap: opts.bootstrap, keyPair: pairingKeyPair(decodeInvite(invite).secret) })
  let db: T | null = null
  try {
    await pair({
      invite,
      swarm,
      timeout: opts.timeout,
      writerKey: async (key, encryptionKey) => {
        db = open(key, encryptionKey)
        await db.ready()
        return db.writerKey
      },
      binding: () => (db === null ? null : binding(db))
    })
    return db!
  } catch (err) {
    await (db as T | null)?.close()
    throw err
  } finally {
    if (swarm !== opts.swarm) await swarm.destroy()
  }
}
