import {
  FRAME_BYTES,
  bodyOf,
  frameClear,
  frameSealed,
  framingOf,
  newSalt,
  openSealedInPlace,
  sealedKeyId
} from './block-cipher.js'
import { PeerBeeError } from '../errors.js'
import type { Keyring } from './keyring.js'

/** What Hypercore passes a provider as the core: only its key is read. */
interface CoreLike {
  key: Uint8Array
}

/**
 * Hypercore's encryption provider for this peer's own writer log in an encrypted db. Hypercore
 * calls `encrypt` on each block it appends, before it hashes it into the tree: headers and
 * entries of membership and key ops (`isClear`) are framed in clear, so seeders learn the writer
 * set; every other entry is sealed under the current key of the keyring.
 */
export class WriterEncryption {
  private readonly keyring: Keyring
  private readonly isClear: (body: Uint8Array) => boolean
  /** One per session: an index is appended once in a history, the salt tells histories apart. */
  private readonly salt = newSalt()

  constructor(keyring: Keyring, isClear: (body: Uint8Array) => boolean) {
    this.keyring = keyring
    this.isClear = isClear
  }

  padding(): number {
    return FRAME_BYTES
  }

  encrypt(index: number, block: Uint8Array, _fork: number, core: CoreLike): void {
    if (this.isClear(bodyOf(block))) return frameClear(block)
    const id = this.keyring.currentId
    frameSealed(block, index, id, this.keyring.blockKey(id, core.key)!, this.salt)
  }

  /** peerbee reads its logs raw (`LogBlocks`); this serves a session read that is not. */
  decrypt(index: number, block: Uint8Array, core: CoreLike): void {
    if (framingOf(block) !== 'sealed') return
    const blockKey = this.keyring.blockKey(sealedKeyId(block), core.key)
    if (blockKey === null)
      throw PeerBeeError.ENCRYPTION_KEY_REQUIRED('A block of this log is under a key this peer does not hold')
    openSealedInPlace(block, index, blockKey)
  }
}
