declare module 'hypercore/lib/messages.js' {
  import type c from 'compact-encoding'
  import type Hypercore from 'hypercore'

  /** Hypercore's own wire encodings (only what peerbee uses). */
  export const manifest: c.Encoder<Hypercore.Manifest>
  export const wire: {
    /** A data message: a proof as one peer sends it to another (`request` 0 when unsolicited). */
    data: c.Encoder<Hypercore.Proof & { request: number }>
  }
}
