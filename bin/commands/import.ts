import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Command } from 'commander'
import { withDb } from '../context.js'
import { UserError } from '../errors.js'
import { Output } from '../format.js'
import { IMPORT_BATCH_OPS, Importer, type Refusal } from '../importer.js'

/** Refused lines the one-line report quotes with their reason, then only by number, then counts. */
const REASONS_SHOWN = 5
const NUMBERS_SHOWN = 50

/** `peerbee import [file]`: JSON lines in; stdin when no file is named. */
export function registerImport(program: Command): void {
  program
    .command('import')
    .description('write the {"key":...,"value":...} JSON lines of a file (or stdin), as `export` prints them')
    .argument('[file]', 'JSON lines file; stdin when omitted')
    .addHelpText(
      'after',
      `\nUp to ${IMPORT_BATCH_OPS} keys are written as one atomic batch: a refused line writes nothing. A larger import is\n` +
        'written in batches; a refused line stops it, and the report says exactly how many keys were written before it.\n' +
        'Every refused line is reported with its number.'
    )
    .action(async (file: string | undefined, _opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db, opts) => {
        const input = file === undefined ? process.stdin : createReadStream(file)
        const importer = new Importer(db)
        let line = 0
        for await (const text of createInterface({ input, crlfDelay: Infinity })) {
          line++
          if (text.trim() !== '') await importer.add(line, text)
        }
        await importer.finish()
        if (importer.refusals.length > 0) throw new UserError(refusalReport(importer))
        new Output(opts).emit(
          { imported: importer.written, batches: importer.batches },
          () => `imported ${importer.written} keys`
        )
      })
    })
}

/** Every refused line by number, and exactly what was written before the first. */
function refusalReport(importer: Importer): string {
  const { refusals, written, writtenThrough } = importer
  const shown = refusals.slice(0, REASONS_SHOWN).map((r: Refusal) => `line ${r.line}: ${r.reason}`)
  const more = refusals.slice(REASONS_SHOWN)
  if (more.length > 0) {
    const numbers = more.slice(0, NUMBERS_SHOWN).map((r) => r.line)
    const rest = more.length > NUMBERS_SHOWN ? ` and ${more.length - NUMBERS_SHOWN} more` : ''
    shown.push(`also refused: lines ${numbers.join(', ')}${rest}`)
  }
  const first = refusals[0]!.line
  const wrote =
    written === 0
      ? 'nothing was written'
      : `${written} keys from lines 1-${writtenThrough} were written before line ${first}, none after`
  return `import stopped: ${shown.join('; ')}. ${wrote[0]!.toUpperCase()}${wrote.slice(1)}`
}
