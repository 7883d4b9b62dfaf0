declare module 'hyperbee/lib/messages.js' {
  /** One Hyperbee block: a key, its value (null for a deletion) and the tree nodes it carries. */
  export interface NodeMessage {
    index: Uint8Array
    key: Uint8Array
    value: Uint8Array | null
  }

  /** The tree nodes a block carries, one level each: key seqs, and children as (seq, offset) pairs. */
  export interface YoloIndexMessage {
    levels: Array<{ keys: number[]; children: number[] }>
  }

  export const Node: { decode(buf: Uint8Array): NodeMessage }
  export const YoloIndex: { decode(buf: Uint8Array): YoloIndexMessage }
}
