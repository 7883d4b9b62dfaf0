import type { Command } from 'commander'
import type { Range } from '../../lib/index.js'
import { reportSilentBootstrap } from '../bootstrap-check.js'
import { withDb } from '../context.js'
import { Output, changeJson } from '../format.js'
import { formatValue } from '../values.js'

/** `peerbee watch`: print each change as the index takes it in, local or replicated. */
export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description('join the swarm and print changes as they are indexed, until interrupted')
    .option('--prefix <p>', 'only keys starting with p')
    .action(async (opts: { prefix?: string }, cmd: Command) => {
      const range: Range<string> = opts.prefix === undefined ? {} : { prefix: opts.prefix }
      await withDb(cmd, { existing: true }, async (db, globalOpts) => {
        const out = new Output(globalOpts)
        // Another process cannot write to this storage, so changes arrive from peers.
        const changes = db.watch(range)
        reportSilentBootstrap(out, globalOpts.bootstrap, globalOpts.lan)
        await db.join()
        out.note(
          `watching ${db.id}${opts.prefix === undefined ? '' : ` for keys starting with ${JSON.stringify(opts.prefix)}`}; Ctrl-C stops.`
        )
        // The iterator ends when a signal closes the db.
        for await (const batch of changes) {
          for (const c of batch) {
            out.emit(changeJson(c), () => (c.deleted ? `del ${c.key}` : `put ${c.key} ${formatValue(c.value)}`))
          }
        }
      })
    })
}
