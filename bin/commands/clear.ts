import type { Command } from 'commander'
import { withDb } from '../context.js'
import { UserError } from '../errors.js'
import { Output } from '../format.js'

/** `peerbee clear --prefix p`: delete every key under a prefix, as one entry. */
export function registerClear(program: Command): void {
  program
    .command('clear')
    .description('delete every key starting with p (--all: every key), as one write')
    .option('--prefix <p>', 'the keys starting with p')
    .option('--all', 'every key of the db')
    .action(async (opts: { prefix?: string; all?: boolean }, cmd: Command) => {
      if ((opts.prefix === undefined) === (opts.all !== true)) {
        throw new UserError('clear takes either --prefix <p> or --all')
      }
      await withDb(cmd, { existing: true }, async (db, globalOpts) => {
        const cleared = await db.clear(opts.prefix === undefined ? {} : { prefix: opts.prefix })
        new Output(globalOpts).emit({ cleared }, () => `cleared ${cleared} key${cleared === 1 ? '' : 's'}`)
      })
    })
}
