import type { Command } from 'commander'
import { checkStorageFor, globals, withDb } from '../context.js'
import { CommandExit, EXIT_NOT_FOUND, UserError } from '../errors.js'
import { Output, conflictNote, entryJson } from '../format.js'
import { readText } from '../input.js'
import { formatValue, readValue } from '../values.js'
import { abortable } from '../waits.js'

interface PutOptions {
  value?: string
  file?: string
  string?: boolean
}

const PUT_EXAMPLES = `
Examples:
  peerbee put greeting hello              the string "hello"
  peerbee put config '{"theme":"dark"}'   JSON
  peerbee put n -- -5                     a negative number (or: put n --value=-5)
  peerbee put doc - < doc.json            the value from stdin
  peerbee put notes --file notes.txt      the value from a file
  peerbee put raw --string '{"a":'        text that looks like JSON, as a string`

/** `put`, `get` and `del`: one op each on the db of the storage dir. */
export function registerDataCommands(program: Command): void {
  program
    .command('put')
    .description('write a value: JSON if it parses as JSON, else the text as a string')
    .argument('<key>', 'the key')
    .argument('[value]', 'the value; - reads it from stdin')
    .option('--value <text>', 'the value, also when it starts with a dash: --value=-5')
    .option('--file <path>', 'read the value from a file')
    .option('--string', 'store the text as a string, even if it looks like JSON')
    .addHelpText('after', PUT_EXAMPLES)
    .action(async (key: string, value: string | undefined, opts: PutOptions, cmd: Command) => {
      // Refuse a missing database before waiting for input.
      checkStorageFor(globals(cmd).storage, { existing: true })
      const text = await abortable(valueText(value, opts))
      const parsed = opts.string === true ? text : meant(text)
      await withDb(cmd, { existing: true }, (db) => db.put(key, parsed))
    })

  program
    .command('get')
    .description(`print the value of a key (with --json: the entry); a key that is not set exits ${EXIT_NOT_FOUND}`)
    .argument('<key>', 'the key')
    .action(async (key: string, _opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db, opts) => {
        const out = new Output(opts)
        const entry = await db.get(key)
        if (entry === null) {
          out.emit(null, () => null)
          out.note(`(${key} is not set)`)
          throw new CommandExit(EXIT_NOT_FOUND)
        }
        out.emit(entryJson(entry), () => formatValue(entry.value))
        if (entry.conflicts.length > 0) out.note(conflictNote(entry))
      })
    })

  program
    .command('del')
    .description('delete a key')
    .argument('<key>', 'the key')
    .action(async (key: string, _opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, (db) => db.del(key))
    })
}

/** The value text from the one place the user gave it. */
async function valueText(value: string | undefined, opts: PutOptions): Promise<string> {
  const given = [value, opts.value, opts.file].filter((v) => v !== undefined)
  if (given.length === 0)
    throw new UserError("missing required argument 'value' (or --value <text>, --file <path>, - for stdin)")
  if (given.length > 1) throw new UserError('give the value once: as <value>, --value, or --file')
  if (opts.value !== undefined) return opts.value
  if (opts.file !== undefined) return readText(opts.file)
  return value === '-' ? readText('-') : value!
}

/** The value the text stands for, or a one-line refusal that says how to store it as text. */
function meant(text: string): unknown {
  const reading = readValue(text)
  if ('refused' in reading)
    throw new UserError(`value refused: ${reading.refused}; to store the text as it is, use --string`)
  return reading.value
}
