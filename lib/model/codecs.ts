import c from 'compact-encoding'
import type { Clock } from './clock.js'
import type { Ref } from './version.js'

type State = c.State

/** A clock: wall-clock ms, then the counter. The same bytes in writer logs and index records. */
export const clockEncoding = {
  preencode(state: State, v: Clock) {
    c.uint.preencode(state, v.wall)
    c.uint.preencode(state, v.counter)
  },
  encode(state: State, v: Clock) {
    c.uint.encode(state, v.wall)
    c.uint.encode(state, v.counter)
  },
  decode(state: State): Clock {
    return { wall: c.uint.decode(state), counter: c.uint.decode(state) }
  }
}

const refEncoding = {
  preencode(state: State, r: Ref) {
    c.fixed32.preencode(state, r.writer)
    c.uint.preencode(state, r.seq)
  },
  encode(state: State, r: Ref) {
    c.fixed32.encode(state, r.writer)
    c.uint.encode(state, r.seq)
  },
  decode(state: State): Ref {
    return { writer: c.fixed32.decode(state), seq: c.uint.decode(state) }
  }
}

/** Parents: (writer key, seq) pairs. The same bytes in writer logs and index records. */
export const refsEncoding = c.array(refEncoding)

/** A codec of one value: what compact-encoding's codecs and peerbee's own have in common. */
export interface Codec<T> {
  preencode(state: State, value: T): void
  encode(state: State, value: T): void
  decode(state: State): T
}

/** Bytes; an empty buffer and a missing one encode alike (compact-encoding decodes both as null). */
export const bytesEncoding: Codec<Uint8Array> = {
  preencode: (state, value) => c.buffer.preencode(state, value),
  encode: (state, value) => c.buffer.encode(state, value),
  decode: (state) => c.buffer.decode(state) ?? new Uint8Array(0)
}

/** A codec of an object: its fields in the order given, each with its own codec. */
export function recordEncoding<T extends object>(fields: { [F in keyof T]: Codec<T[F]> }): Codec<T> {
  const names = Object.keys(fields) as Array<keyof T>
  return {
    preencode(state, value) {
      for (const name of names) fields[name].preencode(state, value[name])
    },
    encode(state, value) {
      for (const name of names) fields[name].encode(state, value[name])
    },
    decode(state) {
      const out = {} as T
      for (const name of names) out[name] = fields[name].decode(state)
      return out
    }
  }
}
