import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { UserError } from './errors.js'

/** More input than this is no value (the value limit is far below): stop reading. */
const MAX_INPUT_BYTES = 16 * 1024 * 1024

/** The whole of stdin (`'-'`) or of a file, as UTF-8 text. */
export function readText(source: string): Promise<string> {
  return source === '-' ? readStream(process.stdin, 'stdin') : readStream(createReadStream(source), source)
}

async function readStream(stream: Readable, what: string): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > MAX_INPUT_BYTES) {
      stream.destroy()
      throw new UserError(`${what} holds more than ${MAX_INPUT_BYTES / 1024 / 1024} MiB: too large for a value`)
    }
    chunks.push(chunk)
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
  } catch {
    throw new UserError(`${what} is not UTF-8 text`)
  }
}
