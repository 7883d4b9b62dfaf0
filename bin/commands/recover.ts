import type { Command } from 'commander'
import { reachPeer } from '../bootstrap-check.js'
import { withDb } from '../context.js'
import { UserError } from '../errors.js'
import { Output, countOption, formatKey } from '../format.js'

/**
 * `peerbee recover`: opens a storage that was copied or restored from a backup. Its writer log
 * is never appended to again (the original may have gone on with it); this peer goes on with
 * a new one its old key certifies, and catches up with the peers it can reach.
 */
export function registerRecover(program: Command): void {
  program
    .command('recover')
    .description('open a copied or restored storage: continue on a new writer log, then sync from peers if any answer')
    .option('--timeout <seconds>', 'how long to look for a peer to sync from', countOption('--timeout'), 10)
    .action(async (opts: { timeout: number }, cmd: Command) => {
      await withDb(cmd, { existing: true, recover: true }, async (db, globalOpts) => {
        const out = new Output(globalOpts)
        const writer = formatKey(db.writerKey)
        if (!db.recovered) {
          out.emit({ event: 'not-moved', writer }, () => `nothing to recover: this storage was not copied or moved`)
          return
        }
        out.note(`now writing as ${writer}; the old writer log is never appended to again`)
        let synced = true
        try {
          await reachPeer(db, globalOpts.bootstrap, opts.timeout * 1000, globalOpts.lan)
          await db.update()
        } catch (err) {
          // Offline is fine: peers catch this one up, and it them, on the next sync or serve.
          if (!(err instanceof UserError)) throw err
          out.note(`${err.message}; run \`peerbee sync\` once a peer is online`)
          synced = false
        }
        out.emit(
          { event: 'recovered', writer, synced },
          () => `recovered: writing as ${writer}${synced ? ', synced with peers' : ', not synced yet'}`
        )
      })
    })
}
