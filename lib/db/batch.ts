import type { Encodings } from './encoding.js'
import { PeerBeeError } from '../errors.js'
import type { QueuedOp } from '../log/group-commit.js'
import type { Batch, Key } from '../types.js'

/**
 * Ops collected here are written as one log entry: on every peer, all of them count or none.
 * A bad key or value is reported by `flush()`, which then writes nothing.
 */
export class EntryBatch<K extends Key = string, V = unknown> implements Batch<K, V> {
  private readonly enc: Encodings<K, V>
  private readonly maxOps: number
  private readonly write: (ops: QueuedOp[]) => Promise<void>
  private ops: QueuedOp[] = []
  private error: unknown = null
  private flushed = false

  constructor(enc: Encodings<K, V>, maxOps: number, write: (ops: QueuedOp[]) => Promise<void>) {
    this.enc = enc
    this.maxOps = maxOps
    this.write = write
  }

  get length(): number {
    return this.ops.length
  }

  put(key: K, value: V): this {
    this.add(() => ({ type: 'put', key: this.enc.encodeWriteKey(key), value: this.enc.encodeValue(value) }))
    return this
  }

  del(key: K): this {
    this.add(() => ({ type: 'del', key: this.enc.encodeWriteKey(key) }))
    return this
  }

  private add(make: () => QueuedOp): void {
    if (this.error !== null) return
    try {
      this.ops.push(make())
    } catch (err) {
      this.error = err
    }
  }

  async flush(): Promise<void> {
    if (this.flushed) throw PeerBeeError.INVALID_ARGUMENT('This batch was already flushed')
    this.flushed = true
    if (this.error !== null) throw this.error
    if (this.ops.length > this.maxOps) throw PeerBeeError.BATCH_TOO_LARGE(this.ops.length, this.maxOps)
    await this.write(this.ops)
  }
}
