import Hyperbee from 'hyperbee'
import type Hypercore from 'hypercore'
import { decodeKey, decodeRecord, encodeKey } from './codec.js'
import type { Record, Row, ScanRange } from './types.js'

/** Reads and opening shared by the systems whose index is a Hyperbee. */
export function openBee(core: Hypercore): Hyperbee {
  return new Hyperbee(core, { keyEncoding: 'binary', valueEncoding: 'binary', extension: false })
}

export async function getFrom(bee: Hyperbee, key: string): Promise<Record | null> {
  const node = await bee.get(encodeKey(key))
  return node === null ? null : decodeRecord(node.value)
}

export async function* scanBee(bee: Hyperbee, range: ScanRange = {}): AsyncIterable<Row> {
  const { gte, limit } = range
  for await (const node of bee.createReadStream({ ...(gte === undefined ? {} : { gte: encodeKey(gte) }), limit })) {
    yield { key: decodeKey(node.key), value: decodeRecord(node.value) }
  }
}
