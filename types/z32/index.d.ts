declare module 'z32' {
  /** z-base32 text of any bytes. */
  export function encode(bytes: Uint8Array): string
  /** Bytes of z-base32 text; throws on a character outside the alphabet. */
  export function decode(text: string): Uint8Array
  export const ALPHABET: string
}
