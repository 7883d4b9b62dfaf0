import type { Command } from 'commander'
import { withDb } from '../context.js'
import { reportSilentBootstrap } from '../bootstrap-check.js'
import { Output, formatKey } from '../format.js'
import { SyncReporter } from '../progress.js'
import { interrupted } from '../waits.js'

/** `peerbee serve`: stay on the swarm, replicating every log, until interrupted. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('join the swarm and replicate, showing peers and sync progress, until interrupted')
    .action(async (_opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db, opts) => {
        const out = new Output(opts)
        reportSilentBootstrap(out, opts.bootstrap, opts.lan)
        await db.join()
        out.emit(
          { event: 'joined', key: db.id, writerKey: formatKey(db.writerKey), role: db.role },
          () => `serving ${db.id} as ${db.role ?? 'reader'}`
        )
        out.note('Ctrl-C stops.')
        const reporter = new SyncReporter(db, out)
        try {
          await interrupted()
        } finally {
          reporter.stop()
        }
      })
    })
}
