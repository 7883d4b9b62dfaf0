import type { Command } from 'commander'
import { withDb } from '../context.js'
import { Output, shortKey, versionJson } from '../format.js'
import { formatValue } from '../values.js'

/** `peerbee history <key>`: every valid version, oldest first, with who wrote it and when. */
export function registerHistory(program: Command): void {
  program
    .command('history')
    .description('print every version of a key, oldest first')
    .argument('<key>', 'the key')
    .action(async (key: string, _opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db, opts) => {
        const out = new Output(opts)
        for (const v of await db.history(key)) {
          out.emit(versionJson(v), () => {
            const what = v.deleted ? 'del' : `put ${formatValue(v.value)}`
            return `${new Date(v.clock).toISOString()}  ${shortKey(v.writer)}#${v.seq}  ${what}`
          })
        }
      })
    })
}
