import type { Command } from 'commander'
import type { PeerBee, WriterInfo } from '../../lib/index.js'
import { withDb } from '../context.js'
import { Output, formatKey, parseKey, writerJson } from '../format.js'
import { unknownCommand } from '../suggest.js'

/** One line per writer: key, role, blocks indexed of those known, and who is who. */
export function writerLine(db: PeerBee, w: WriterInfo): string {
  const marks = [
    w.removed ? `removed at block ${w.cut}` : '',
    w.forked ? `forked: signed two histories, cut at block ${w.cut}` : '',
    w.overQuota ? `over quota: nothing from block ${w.cut} on is downloaded` : '',
    Buffer.from(w.key).equals(db.writerKey) ? 'this peer' : ''
  ]
  const note = marks.filter((m) => m !== '').join(', ')
  return `${formatKey(w.key)}  ${w.role.padEnd(6)}  ${blocks(w)}${note === '' ? '' : `  (${note})`}`
}

/** Blocks indexed of those known; block 0 of every log is its header, not an entry. */
function blocks(w: WriterInfo): string {
  const parts = w.length === 0 ? 'none known yet' : `header + ${w.length - 1} ${w.length === 2 ? 'entry' : 'entries'}`
  return `${w.indexed}/${w.length} blocks indexed (${parts})`
}

/** `peerbee writers`, `writers add <key> [--admin]`, `writers remove <key>`. */
export function registerWriters(program: Command): void {
  const writers = program
    .command('writers')
    .description('list the writers of the database; add or remove one (admin only)')
    // A mistyped subcommand arrives here as an argument.
    .allowExcessArguments(true)
    .action(async (_opts, cmd: Command) => {
      const [typed] = cmd.args
      if (typed !== undefined) throw unknownCommand(cmd, ['writers', typed])
      await withDb(cmd, { existing: true }, async (db, opts) => {
        const out = new Output(opts)
        for (const w of await db.writers()) out.emit(writerJson(w), () => writerLine(db, w))
      })
    })

  writers
    .command('add')
    .description('make a peer a writer (or an admin) of the database')
    .argument('<key>', "the peer's writer key (z-base32 or hex), as `peerbee status` shows it")
    .option('--admin', 'as an admin, who can add and remove writers too')
    .action(async (key: string, opts: { admin?: boolean }, cmd: Command) => {
      const writerKey = parseKey(key, 'writer key')
      const role = opts.admin === true ? 'admin' : 'writer'
      await withDb(cmd, { existing: true }, async (db, globalOpts) => {
        await db.addWriter(writerKey, { role })
        new Output(globalOpts).emit(
          { added: formatKey(writerKey), role },
          () => `added ${formatKey(writerKey)} as ${role}`
        )
      })
    })

  writers
    .command('remove')
    .description('remove a writer: its later writes stop counting on every peer')
    .argument('<key>', "the writer's key (z-base32 or hex)")
    .action(async (key: string, _opts, cmd: Command) => {
      const writerKey = parseKey(key, 'writer key')
      await withDb(cmd, { existing: true }, async (db, globalOpts) => {
        await db.removeWriter(writerKey)
        new Output(globalOpts).emit({ removed: formatKey(writerKey) }, () => `removed ${formatKey(writerKey)}`)
      })
    })
}
