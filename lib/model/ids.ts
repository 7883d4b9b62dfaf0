import b4a from 'b4a'

/**
 * Ids used as map keys across the layers. A 32-byte public key is named by its hex (a writer
 * id); an entry of a writer log by `writer:seq`; a key by its bytes as latin1 (`keyId`).
 */

/** A writer log's key as a map key. */
export function writerId(key: Uint8Array): string {
  return b4a.toString(key, 'hex')
}

/** The key a writer id names. */
export function writerKeyOf(id: string): Uint8Array {
  return b4a.from(id, 'hex')
}

/** Block `seq` of the writer log named by `writer` (a writer id): `writer:seq`. */
export function entryId(writer: string, seq: number): string {
  return writer + ':' + seq
}

/** The writer id and seq an `entryId` names. */
export function parseEntryId(id: string): { writer: string; seq: number } {
  const colon = id.indexOf(':')
  return { writer: id.slice(0, colon), seq: Number(id.slice(colon + 1)) }
}

/**
 * A key's bytes as a map key: latin1 maps each byte to one char, so it is exact, half the
 * length of hex, and JS string order equals byte order (ids sort without a compare call).
 */
export function keyId(key: Uint8Array): string {
  return b4a.toString(key, 'latin1')
}

/** A user key with its `keyId`, computed once by whoever met the key first. */
export interface IdentifiedKey {
  key: Uint8Array
  id: string
}
