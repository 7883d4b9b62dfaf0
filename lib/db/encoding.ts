import b4a from 'b4a'
import { PeerBeeError } from '../errors.js'
import type { Key, KeyEncoding, Range, ValueEncoding } from '../types.js'
import type { KeyRange } from '../view/keys.js'

/** Ends the name of a sub-database in its prefix; names may not contain it. */
const SUB_SEPARATOR = 0x00
const EMPTY = b4a.alloc(0)

/**
 * Converts keys and values between what the application passes and the bytes in the logs.
 * Validation happens here, before anything is queued, so a call that throws writes nothing.
 * A sub-database's keys are stored after its `prefix` (each name on its path followed by
 * 0x00), which its reads and ranges add and strip.
 */
export class Encodings<K extends Key, V> {
  readonly keyEncoding: KeyEncoding
  readonly valueEncoding: ValueEncoding
  readonly maxKeySize: number
  readonly maxValueSize: number
  readonly prefix: Uint8Array

  constructor(
    keyEncoding: KeyEncoding,
    valueEncoding: ValueEncoding,
    maxKeySize: number,
    maxValueSize: number,
    prefix: Uint8Array = EMPTY
  ) {
    if (keyEncoding !== 'utf-8' && keyEncoding !== 'binary') {
      throw PeerBeeError.INVALID_ARGUMENT(`Unknown keyEncoding: ${String(keyEncoding)}`)
    }
    if (valueEncoding !== 'json' && valueEncoding !== 'utf-8' && valueEncoding !== 'binary') {
      throw PeerBeeError.INVALID_ARGUMENT(`Unknown valueEncoding: ${String(valueEncoding)}`)
    }
    this.keyEncoding = keyEncoding
    this.valueEncoding = valueEncoding
    this.maxKeySize = maxKeySize
    this.maxValueSize = maxValueSize
    this.prefix = prefix
  }

  /**
   * The encodings of the sub-database `name` under this one: its prefix is this one's, the
   * name and 0x00. As no name holds 0x00, no key of one sub-database is in another's range,
   * whatever bytes the keys hold; only the subs nested in a sub are inside its range.
   */
  sub<K2 extends Key, V2>(
    name: unknown,
    opts: { keyEncoding?: KeyEncoding; valueEncoding?: ValueEncoding }
  ): Encodings<K2, V2> {
    let bytes: Uint8Array
    if (typeof name === 'string') bytes = b4a.from(name, 'utf-8')
    else if (name instanceof Uint8Array) bytes = name
    else throw PeerBeeError.INVALID_ARGUMENT('A sub-database is named by a string or a Uint8Array')
    if (bytes.byteLength === 0 || bytes.includes(SUB_SEPARATOR)) {
      throw PeerBeeError.INVALID_ARGUMENT('A sub-database name is non-empty and holds no 0x00 byte')
    }
    return new Encodings<K2, V2>(
      opts.keyEncoding ?? this.keyEncoding,
      opts.valueEncoding ?? this.valueEncoding,
      this.maxKeySize,
      this.maxValueSize,
      b4a.concat([this.prefix, bytes, b4a.from([SUB_SEPARATOR])])
    )
  }

  /**
   * Encodes a key given to a read or a range: same rules as for writes but no size limit. In
   * a sub-database the empty key is a key too (stored as the prefix alone).
   */
  encodeKey(key: unknown): Uint8Array {
    let bytes: Uint8Array
    if (this.keyEncoding === 'utf-8') {
      if (typeof key !== 'string')
        throw PeerBeeError.INVALID_KEY(`Keys must be strings with keyEncoding 'utf-8', got ${typeof key}`)
      bytes = b4a.from(key, 'utf-8')
    } else {
      if (!(key instanceof Uint8Array))
        throw PeerBeeError.INVALID_KEY("Keys must be Uint8Array with keyEncoding 'binary'")
      bytes = key
    }
    if (this.prefix.byteLength === 0) {
      if (bytes.byteLength === 0) throw PeerBeeError.INVALID_KEY()
      return bytes
    }
    return b4a.concat([this.prefix, bytes])
  }

  encodeWriteKey(key: unknown): Uint8Array {
    const bytes = this.encodeKey(key)
    if (bytes.byteLength > this.maxKeySize) throw PeerBeeError.KEY_TOO_LARGE(bytes.byteLength, this.maxKeySize)
    return bytes
  }

  /**
   * A user range as bytes; `limit` is checked here, applied by whoever reads the range. A
   * sub-database's range never leaves its prefix.
   */
  encodeRange(range: Range<K>): KeyRange {
    const out: KeyRange = { reverse: range.reverse === true }
    if (range.gt !== undefined) out.gt = this.encodeKey(range.gt)
    if (range.gte !== undefined) out.gte = this.encodeKey(range.gte)
    if (range.lt !== undefined) out.lt = this.encodeKey(range.lt)
    if (range.lte !== undefined) out.lte = this.encodeKey(range.lte)
    if (range.prefix !== undefined) out.prefix = this.encodeKey(range.prefix)
    else if (this.prefix.byteLength > 0) out.prefix = this.prefix
    if (range.limit !== undefined && (typeof range.limit !== 'number' || Number.isNaN(range.limit))) {
      throw PeerBeeError.INVALID_ARGUMENT('limit must be a number')
    }
    return out
  }

  /** A stored key as the application sees it: `prefix` stripped (the key is in this one's range). */
  decodeKey(bytes: Uint8Array): K {
    const own = this.prefix.byteLength === 0 ? bytes : bytes.subarray(this.prefix.byteLength)
    return (this.keyEncoding === 'utf-8' ? b4a.toString(own, 'utf-8') : own) as K
  }

  encodeValue(value: unknown): Uint8Array {
    let bytes: Uint8Array
    if (this.valueEncoding === 'json') {
      let text: string | undefined
      try {
        text = JSON.stringify(value)
      } catch (err) {
        throw PeerBeeError.INVALID_VALUE(`Value cannot be encoded as JSON: ${(err as Error).message}`)
      }
      if (text === undefined) throw PeerBeeError.INVALID_VALUE('Value cannot be encoded as JSON')
      bytes = b4a.from(text, 'utf-8')
    } else if (this.valueEncoding === 'utf-8') {
      if (typeof value !== 'string')
        throw PeerBeeError.INVALID_VALUE("Values must be strings with valueEncoding 'utf-8'")
      bytes = b4a.from(value, 'utf-8')
    } else {
      if (!(value instanceof Uint8Array))
        throw PeerBeeError.INVALID_VALUE("Values must be Uint8Array with valueEncoding 'binary'")
      bytes = value
    }
    if (bytes.byteLength > this.maxValueSize) throw PeerBeeError.VALUE_TOO_LARGE(bytes.byteLength, this.maxValueSize)
    return bytes
  }

  /**
   * Decodes a stored value. Another peer may have written bytes that are not JSON (it used
   * another encoding): they come back as a string rather than failing the read.
   */
  decodeValue(bytes: Uint8Array): V {
    if (this.valueEncoding === 'binary') return bytes as V
    const text = b4a.toString(bytes, 'utf-8')
    if (this.valueEncoding === 'utf-8') return text as V
    try {
      return JSON.parse(text) as V
    } catch {
      return text as V
    }
  }
}
