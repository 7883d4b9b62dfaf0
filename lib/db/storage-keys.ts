import b4a from 'b4a'
import type Hypercore from 'hypercore'
import { newKey } from '../crypt/block-cipher.js'
import { Keyring } from '../crypt/keyring.js'
import { boxKeyPairOf, type BoxKeyPair } from '../crypt/sealing.js'
import { WriterEncryption } from '../crypt/writer-encryption.js'
import { PeerBeeError } from '../errors.js'
import type { IndexerKeys } from '../indexer/key-scan.js'
import { isClearBody } from '../log/codec.js'
import { writerId } from '../model/ids.js'
import type { LocalSettings } from './local-settings.js'

/** Local settings of an encrypted db: the keys this peer holds, and the key of its index at rest. */
const KEYRING = 'keyring'
const INDEX_KEY = 'index-key'
/** Set once an index of this storage passed over entries for want of a key: it must be rebuilt with one. */
const KEYLESS_INDEX = 'keyless-index'

export interface StorageKeysOptions {
  /** This open creates the db (the storage holds none, and no key was asked for). */
  creating: boolean
  /** Create it encrypted (`encrypt: true`). */
  encrypt: boolean
  /** A db key given to this open (`encryptionKey`). */
  given: Uint8Array | null
}

/**
 * The encryption side of a storage: the db keys this peer holds (none for a db without
 * encryption, or for a peer that was not given one), and the key its local index is encrypted
 * under at rest. Both live in the storage's local settings, so a restart (or the CLI's next
 * command) needs nothing more; they are never replicated.
 */
export class StorageKeys {
  readonly keyring: Keyring | null
  /** The index's block encryption key; null when this peer holds no db key. */
  readonly indexKey: Uint8Array | null
  private readonly local: LocalSettings
  private boxPair: { log: Uint8Array; pair: BoxKeyPair } | null = null
  private keylessNoted = false

  private constructor(local: LocalSettings, keyring: Keyring | null, indexKey: Uint8Array | null) {
    this.local = local
    this.keyring = keyring
    this.indexKey = indexKey
  }

  static async open(local: LocalSettings, opts: StorageKeysOptions): Promise<StorageKeys> {
    const save = (bytes: Uint8Array) => local.set(KEYRING, bytes)
    const stored = await local.get(KEYRING)
    let keyring = stored === null ? null : Keyring.decode(stored, save)
    if (stored !== null && keyring === null) {
      throw PeerBeeError.STORAGE_CORRUPT('The keys of this encrypted database cannot be read')
    }
    if (keyring === null && opts.creating && opts.encrypt) keyring = await Keyring.create([newKey()], save)
    else if (keyring === null && opts.given !== null) keyring = await Keyring.create([opts.given], save)
    else if (keyring !== null && opts.given !== null && !keyring.holds(opts.given)) await keyring.add(opts.given)
    if (keyring === null && opts.encrypt) {
      throw PeerBeeError.INVALID_ARGUMENT(
        'encrypt creates a database: this storage already holds one without encryption, or one this peer has no key of'
      )
    }
    let indexKey = await local.get(INDEX_KEY)
    if (keyring !== null && indexKey === null) {
      indexKey = newKey()
      await local.set(INDEX_KEY, indexKey)
    }
    return new StorageKeys(local, keyring, keyring === null ? null : indexKey)
  }

  /** Whether the index in use was built without a key while this peer now holds one. */
  async keylessIndex(): Promise<boolean> {
    return this.keyring !== null && (await this.local.get(KEYLESS_INDEX)) !== null
  }

  /** The index was rebuilt (or marked to be): it holds data again once it is. */
  async clearKeylessIndex(): Promise<void> {
    await this.local.set(KEYLESS_INDEX, null)
  }

  /** The index passed over a sealed entry (a peer without any key of an encrypted db). */
  noteKeylessIndex(): void {
    if (this.keylessNoted) return
    this.keylessNoted = true
    void this.local.set(KEYLESS_INDEX, b4a.from([1])).catch(() => {})
  }

  /** The provider that frames and encrypts what this peer appends to its writer log. */
  writerEncryption(): WriterEncryption | null {
    return this.keyring === null ? null : new WriterEncryption(this.keyring, isClearBody)
  }

  /** The X25519 key pair of a writer log of this peer, for keys sealed to it. */
  boxKeyPair(log: Hypercore): BoxKeyPair {
    if (this.boxPair === null || !b4a.equals(this.boxPair.log, log.key)) {
      this.boxPair = { log: log.key, pair: boxKeyPairOf(log.keyPair!) }
    }
    return this.boxPair.pair
  }

  /** The keys the indexer reads with and learns into; `writerLog()`: this peer's log now. */
  indexerKeys(writerLog: () => Hypercore): IndexerKeys | null {
    const keyring = this.keyring
    if (keyring === null) return null
    const me = () => {
      const log = writerLog()
      return { id: writerId(log.key), pair: this.boxKeyPair(log) }
    }
    return {
      blockKey: (id, logKey) => keyring.blockKey(id, logKey),
      learn: (op) => keyring.learn(op, me()),
      adopt: (op, order) => keyring.adopt(op, order, me()),
      forget: () => keyring.forget()
    }
  }
}
