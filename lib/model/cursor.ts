/** How far the index got in one writer log; stored in the index with the step that moved it. */
export interface WriterCursor {
  /** Blocks processed: indexed, skipped as invalid, or retracted. */
  indexed: number
  invalid: number
  /** The writer's header named another db: none of its entries is ever indexed. */
  foreign: boolean
}

export function freshCursor(): WriterCursor {
  return { indexed: 0, invalid: 0, foreign: false }
}
