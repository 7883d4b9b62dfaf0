import type { Command } from 'commander'
import { Seeder } from '../../lib/index.js'
import { reportSilentBootstrap } from '../bootstrap-check.js'
import { closingOnSignal, globals } from '../context.js'
import { UserError } from '../errors.js'
import { Output, countOption, formatKey, parseKey } from '../format.js'
import { SeedReporter } from '../seed-progress.js'
import { abortable, interrupted } from '../waits.js'

/**
 * `peerbee seed <key>...`: a blind seeder. It keeps and serves every writer log of the dbs
 * named (and of those a previous run seeded) with their db keys only, until interrupted.
 */
export function registerSeed(program: Command): void {
  program
    .command('seed')
    .description(
      'keep and serve every writer log of databases with their db keys only (an encrypted one stays unreadable here), until interrupted'
    )
    .argument('[key...]', 'database keys; the storage keeps them, so a later run seeds them again')
    .option(
      '--max-bytes <bytes>',
      'store at most this many bytes of logs over every database',
      countOption('--max-bytes')
    )
    .action(async (keys: string[], opts: { maxBytes?: number }, cmd: Command) => {
      const globalOpts = globals(cmd)
      const out = new Output(globalOpts)
      const parsed = keys.map((key) => parseKey(key, 'database key'))
      const bootstrap = globalOpts.bootstrap.length > 0 ? { bootstrap: globalOpts.bootstrap } : {}
      const maxBytes = opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes }
      const seeder = new Seeder(globalOpts.storage, { ...bootstrap, ...maxBytes })
      await closingOnSignal(seeder, async () => {
        await abortable(seeder.ready())
        for (const key of parsed) await abortable(seeder.add(key))
        const seeded = seeder.status().length
        if (seeded === 0) throw new UserError('No database to seed: peerbee seed <db key>...')
        reportSilentBootstrap(out, globalOpts.bootstrap, false)
        await abortable(seeder.join())
        const peerKey = formatKey(seeder.peerKey)
        out.emit({ event: 'joined', databases: seeded, peerKey }, () => null)
        out.note(`Seeding ${seeded} database${seeded === 1 ? '' : 's'} until Ctrl-C, as peer ${peerKey}`)
        out.note(`Peers that admit members only let it in with: peerbee peers allow ${peerKey}`)
        const reporter = new SeedReporter(seeder, out)
        try {
          await interrupted()
        } finally {
          reporter.stop()
        }
      })
    })
}
