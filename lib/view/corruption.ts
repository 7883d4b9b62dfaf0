import { PeerBeeError } from '../errors.js'

/**
 * The index core is read without waiting for peers (it is never replicated): a block that is
 * not held is damage, which Hyperbee reports as BLOCK_NOT_AVAILABLE. That, and a block that
 * does not decode, becomes `STORAGE_CORRUPT`, which the db answers with a rebuild.
 */
export function corruption(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'BLOCK_NOT_AVAILABLE' || code === 'DECODING_ERROR' || err instanceof RangeError) {
    return PeerBeeError.STORAGE_CORRUPT('The local index cannot be read', err)
  }
  return err
}

/** Runs a read of the index tree, reporting damage as `STORAGE_CORRUPT`. */
export async function guarded<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (err) {
    throw corruption(err)
  }
}
