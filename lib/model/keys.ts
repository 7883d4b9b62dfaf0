/**
 * What writer logs say about the db's encryption keys (a `keys` op). Every value here is
 * sealed or encrypted: a seeder reads the op, never a key.
 */

/** A db encryption key sealed to one member: only the secret key of that writer log opens it. */
export interface KeyShare {
  /** The member's writer log key. */
  writer: Uint8Array
  box: Uint8Array
}

/** An older db encryption key, encrypted under the key the op names. */
export interface PastKey {
  id: Uint8Array
  box: Uint8Array
}
