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
