import type { Command } from 'commander'
import { DEFAULT_INVITE_TTL, PeerBee, type Role, type WriterInfo } from '../../lib/index.js'
import { reportSilentBootstrap } from '../bootstrap-check.js'
import { closingOnSignal, globals, networkOptions, withDb } from '../context.js'
import { Output, countOption, dbJson, formatKey } from '../format.js'
import { SyncReporter } from '../progress.js'
import { abortable, interrupted, until } from '../waits.js'

interface InviteOptions {
  admin?: boolean
  expires: number
  wait: boolean
}

/** `peerbee invite`: an invite for one new writer; by default stays online until it is used. */
export function registerInvite(program: Command): void {
  program
    .command('invite')
    .description('print a single-use invite for a new writer, then serve until interrupted so it can be used')
    .option('--admin', 'the invited peer becomes an admin')
    .option(
      '--expires <minutes>',
      'the invite is refused after this many minutes',
      countOption('--expires'),
      DEFAULT_INVITE_TTL / 60_000
    )
    .option('--no-wait', 'print the invite and exit (a later `peerbee serve` accepts it)')
    .action(async (opts: InviteOptions, cmd: Command) => {
      const role: Role = opts.admin === true ? 'admin' : 'writer'
      await withDb(cmd, { existing: true }, async (db, globalOpts) => {
        const out = new Output(globalOpts)
        const expires = Date.now() + opts.expires * 60_000
        const invite = await db.createInvite({ role, expires })
        out.emit({ invite, role, expires }, () => invite)
        if (!opts.wait) {
          out.note(`On the new peer: peerbee join <invite>. This peer accepts it while it is online (peerbee serve).`)
          return
        }
        const before = new Set((await db.writers()).map((w) => formatKey(w.key)))
        reportSilentBootstrap(out, globalOpts.bootstrap, globalOpts.lan)
        await db.join()
        out.note('On the new peer: peerbee join <invite>. Serving here until Ctrl-C: stay until it has joined.')
        // The new peer gets its add-writer op from this one, so keep serving once it is used.
        const reporter = new SyncReporter(db, out)
        const announce = (writers: WriterInfo[]) => {
          for (const w of writers) {
            const key = formatKey(w.key)
            if (before.has(key)) continue
            before.add(key)
            out.emit({ event: 'added', key, role: w.role }, () => `added ${key} as ${w.role}`)
          }
        }
        // writers() only fails once the db is closing, when nothing is left to announce.
        const onUpdate = () => void db.writers().then(announce, () => {})
        db.on('update', onUpdate)
        try {
          await interrupted()
        } finally {
          db.off('update', onUpdate)
          reporter.stop()
        }
      })
    })
}

/** `peerbee join <invite>`: follow the db the invite names, as a writer its issuer added. */
export function registerJoin(program: Command): void {
  program
    .command('join')
    .description('pair with the admin that issued an invite: follow its database as a writer')
    .argument('<invite>', 'the invite `peerbee invite` printed')
    .option(
      '--timeout <seconds>',
      'give up if the issuer does not answer within this time',
      countOption('--timeout'),
      30
    )
    .action(async (invite: string, opts: { timeout: number }, cmd: Command) => {
      const timeout = opts.timeout * 1000
      const globalOpts = globals(cmd)
      const out = new Output(globalOpts)
      const db = await abortable(PeerBee.pair(globalOpts.storage, invite, { ...networkOptions(globalOpts), timeout }))
      await closingOnSignal(db, async () => {
        // The issuer added this writer; replicate until its add-writer op is indexed here.
        await abortable(db.join())
        await abortable(until(db, () => db.writable, timeout, 'the add-writer op of the issuer'))
        out.emit(dbJson(db), () => db.id)
        out.note(`joined ${db.id} as ${db.role} (serve or sync to stay up to date)`)
      })
    })
}
