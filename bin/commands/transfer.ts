import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Command } from 'commander'
import { Output, UserError, withDb } from '../context.js'

/** Ops per entry on import: large enough to replicate fast, far below the batch limit. */
const IMPORT_BATCH = 1000

/** `peerbee export`: every key and value as JSON lines, the format `import` reads. */
export function registerExport(program: Command): void {
  program
    .command('export')
    .description('print every key and value as JSON lines: {"key":...,"value":...}')
    .action(async (_opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db) => {
        for await (const { key, value } of db.list()) process.stdout.write(JSON.stringify({ key, value }) + '\n')
      })
    })
}

/** `peerbee import [file]`: JSON lines in, written in batches; stdin when no file is named. */
export function registerImport(program: Command): void {
  program
    .command('import')
    .description('write the {"key":...,"value":...} JSON lines of a file (or stdin), as `export` prints them')
    .argument('[file]', 'JSON lines file; stdin when omitted')
    .action(async (file: string | undefined, _opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db, opts) => {
        const input = file === undefined ? process.stdin : createReadStream(file)
        let batch = db.batch()
        let count = 0
        let line = 0
        for await (const text of createInterface({ input, crlfDelay: Infinity })) {
          line++
          if (text.trim() === '') continue
          const { key, value } = parseRecord(text, line)
          batch.put(key, value)
          count++
          if (batch.length >= IMPORT_BATCH) {
            await batch.flush()
            batch = db.batch()
          }
        }
        await batch.flush()
        new Output(opts).emit({ imported: count }, () => `imported ${count} keys`)
      })
    })
}

function parseRecord(text: string, line: number): { key: string; value: unknown } {
  let record: unknown
  try {
    record = JSON.parse(text)
  } catch {
    throw new UserError(`line ${line}: not JSON`)
  }
  if (typeof record !== 'object' || record === null || !('key' in record) || typeof record.key !== 'string') {
    throw new UserError(`line ${line}: expected {"key": "<string>", "value": <any JSON>}`)
  }
  if (!('value' in record)) throw new UserError(`line ${line}: no "value"`)
  return { key: record.key, value: record.value }
}
