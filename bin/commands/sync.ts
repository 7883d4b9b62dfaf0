import type { Command } from 'commander'
import type { PeerBee } from '../../lib/index.js'
import { Output, UserError, parseCount, withDb, writerJson } from '../context.js'
import { SyncReporter } from '../progress.js'

/** `peerbee sync`: join, download and index what the peers have now, then exit. */
export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('join the swarm, download and index what peers have, then exit')
    .option('--timeout <seconds>', 'give up if no peer is found within this time', '30')
    .action(async (opts: { timeout: string }, cmd: Command) => {
      const timeout = parseCount(opts.timeout, '--timeout') * 1000
      await withDb(cmd, { existing: true }, async (db, globalOpts) => {
        const out = new Output(globalOpts)
        await db.join()
        const reporter = new SyncReporter(db, out)
        try {
          await firstPeer(db, timeout)
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

/** update() catches up with the peers connected now, so first wait for one. */
function firstPeer(db: PeerBee, timeout: number): Promise<void> {
  if (db.status().peers > 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      db.off('peer-add', onPeer)
      reject(new UserError(`No peer found within ${timeout / 1000} s (is a peer serving this database?)`))
    }, timeout)
    const onPeer = () => {
      clearTimeout(timer)
      resolve()
    }
    db.once('peer-add', onPeer)
  })
}
