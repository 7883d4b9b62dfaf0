import type { Command } from 'commander'
import { Output, conflictNote, entryJson, formatValue, parseValue, withDb } from '../context.js'

/** `put`, `get` and `del`: one op each on the db of the storage dir. */
export function registerDataCommands(program: Command): void {
  program
    .command('put')
    .description('write a value; one that parses as JSON is stored as JSON, else as a string')
    .argument('<key>', 'the key')
    .argument('<value>', 'the value: JSON, or any other text for a string')
    .action(async (key: string, value: string, _opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, (db) => db.put(key, parseValue(value)))
    })

  program
    .command('get')
    .description('print the value of a key (with --json: the entry, or null)')
    .argument('<key>', 'the key')
    .action(async (key: string, _opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db, opts) => {
        const out = new Output(opts)
        const entry = await db.get(key)
        if (entry === null) {
          out.emit(null, () => null)
          out.note(`(${key} is not set)`)
          return
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
