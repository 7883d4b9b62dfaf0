import type { Command } from 'commander'
import { withDb } from '../context.js'
import { reachPeer } from '../bootstrap-check.js'
import { Output, countOption, writerJson } from '../format.js'
import { SyncReporter } from '../progress.js'

/** `peerbee sync`: join, download and index what the peers have now, then exit. */
export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('join the swarm, download and index what peers have, then exit')
    .option('--timeout <seconds>', 'give up if no peer is found within this time', countOption('--timeout'), 30)
    .action(async (opts: { timeout: number }, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db, globalOpts) => {
        const out = new Output(globalOpts)
        const reporter = new SyncReporter(db, out)
        try {
          await reachPeer(db, globalOpts.bootstrap, opts.timeout * 1000, globalOpts.lan)
          await db.update()
          reporter.refresh()
        } finally {
          reporter.stop()
        }
        const status = db.status()
        const indexed = status.writers.reduce((n, w) => n + w.indexed, 0)
        out.emit(
          { event: 'synced', peers: status.peers, writers: status.writers.map(writerJson) },
          () => `synced: ${indexed} blocks of ${status.writers.length} writers indexed`
        )
      })
    })
}
