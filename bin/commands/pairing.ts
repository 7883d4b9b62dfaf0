import type { Command } from 'commander'
import { PeerBee, type Role } from '../../lib/index.js'
import { Output, formatKey, globals, parseCount, shutdown, until, withDb } from '../context.js'

interface InviteOptions {
  admin?: boolean
  expires: string
  wait: boolean
}

/** `peerbee invite`: an invite for one new writer; by default stays online until it is used. */
export function registerInvite(program: Command): void {
  program
    .command('invite')
    .description('print a single-use invite for a new writer, then stay online until it is used')
    .option('--admin', 'the invited peer becomes an admin')
    .option('--expires <minutes>', 'the invite is refused after this many minutes', '60')
    .option('--no-wait', 'print the invite and exit (a later `peerbee serve` accepts it)')
    .action(async (opts: InviteOptions, cmd: Command) => {
      const minutes = parseCount(opts.expires, '--expires')
      const role: Role = opts.admin === true ? 'admin' : 'writer'
      await withDb(cmd, { existing: true }, async (db, globalOpts) => {
        const out = new Output(globalOpts)
        const expires = Date.now() + minutes * 60_000
        const invite = await db.createInvite({ role, expires })
        out.emit({ invite, role, expires }, () => invite)
        if (!opts.wait) {
          out.note(`On the new peer: peerbee join <invite>. This peer accepts it while it is online (peerbee serve).`)
          return
        }
        const before = new Set((await db.writers()).map((w) => formatKey(w.key)))
        await db.join()
        out.note(`On the new peer: peerbee join <invite>. Waiting for it here (Ctrl-C stops)...`)
        let added: string | undefined
        await until(
          db,
          async () => {
            added = (await db.writers()).map((w) => formatKey(w.key)).find((k) => !before.has(k))
            return added !== undefined
          },
          expires - Date.now(),
          'the invite to be used'
        )
        out.emit({ added, role }, () => `added ${added} as ${role}`)
      })
    })
}

/** `peerbee join <invite>`: follow the db the invite names, as a writer its issuer added. */
export function registerJoin(program: Command): void {
  program
    .command('join')
    .description('pair with the admin that issued an invite: follow its database as a writer')
    .argument('<invite>', 'the invite `peerbee invite` printed')
    .option('--timeout <seconds>', 'give up if the issuer does not answer within this time', '30')
    .action(async (invite: string, opts: { timeout: string }, cmd: Command) => {
      const timeout = parseCount(opts.timeout, '--timeout') * 1000
      const globalOpts = globals(cmd)
      const out = new Output(globalOpts)
      const bootstrap = globalOpts.bootstrap.length > 0 ? { bootstrap: globalOpts.bootstrap } : {}
      const db = await PeerBee.pair(globalOpts.storage, invite, { ...bootstrap, timeout })
      const close = () => void db.close().catch(() => {})
      shutdown.signal.addEventListener('abort', close, { once: true })
      try {
        // The issuer added this writer; replicate until its add-writer op is indexed here.
        await db.join()
        await until(db, () => db.writable, timeout, 'the add-writer op of the issuer')
        out.emit({ key: db.id, writerKey: formatKey(db.writerKey), role: db.role }, () => db.id)
        out.note(`joined ${db.id} as ${db.role}`)
      } finally {
        shutdown.signal.removeEventListener('abort', close)
        await db.close()
      }
    })
}
