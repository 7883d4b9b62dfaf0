import type { Record } from './types.js'

// The Hyperbee-based systems store bytes; encoding here is the same JSON work Hyperbee's
// own 'json' and 'utf-8' encodings would do.
const decoder = new TextDecoder()

export function encodeKey(key: string): Uint8Array {
  return Buffer.from(key, 'utf-8')
}

export function decodeKey(key: Uint8Array): string {
  return decoder.decode(key)
}

export function encodeRecord(value: Record): Uint8Array {
  return Buffer.from(JSON.stringify(value), 'utf-8')
}

export function decodeRecord(value: Uint8Array): Record {
  return JSON.parse(decoder.decode(value)) as Record
}
