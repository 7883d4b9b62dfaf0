declare module 'hypercore-id-encoding' {
  /** z-base32 of a 32-byte key. */
  export function encode(key: Uint8Array): string
  /** Accepts z-base32 or hex (or a 32-byte buffer); throws on anything else. */
  export function decode(id: string | Uint8Array): Uint8Array
  export function normalize(id: string | Uint8Array): string
  export function isValid(id: string | Uint8Array): boolean
}
