import b4a from 'b4a'
import { isDataOp, type LogEntry } from '../log/entry.js'
import { keyId } from '../model/ids.js'

export interface Limits {
  maxKeySize: number
  maxValueSize: number
  maxBatchOps: number
}

/** Parents an op may cite: far above any real conflict, far below an abuse. */
export const MAX_PARENTS = 1024

/**
 * Content checks of an entry that need nothing but its own bytes, so every peer decides them
 * alike. Returns the reason it is invalid, or null.
 */
export function checkEntry(entry: LogEntry, writer: Uint8Array, seq: number, limits: Limits): string | null {
  if (entry.ops.length > limits.maxBatchOps) return 'batch-too-large'
  const seen = new Set<string>()
  for (const op of entry.ops) {
    if (!isDataOp(op)) continue
    if (op.key.byteLength === 0) return 'empty-key'
    if (op.key.byteLength > limits.maxKeySize) return 'key-too-large'
    if (op.type === 'put' && op.value.byteLength > limits.maxValueSize) return 'value-too-large'
    const id = keyId(op.key)
    if (seen.has(id)) return 'duplicate-key'
    seen.add(id)
    if (op.parents.length > MAX_PARENTS) return 'too-many-parents'
    for (const p of op.parents) {
      if (p.seq === 0) return 'bad-parent'
      if (p.seq >= seq && b4a.equals(p.writer, writer)) return 'bad-parent'
    }
  }
  return null
}

/** Whether an entry holds a put or del of `key`: what a parent citing it must find there. */
export function touchesKey(entry: LogEntry, key: Uint8Array): boolean {
  return entry.ops.some((op) => isDataOp(op) && b4a.equals(op.key, key))
}
