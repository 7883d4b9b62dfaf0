import type { Command } from 'commander'
import type { PeerBee, WriterInfo } from '../../lib/index.js'
import { Output, formatKey, parseKey, withDb, writerJson } from '../context.js'

/** One line per writer: key, role, blocks indexed of those known, and who is who. */
export function writerLine(db: PeerBee, w: WriterInfo): string {
  const marks = [w.removed ? 'removed' : '', Buffer.from(w.key).equals(db.writerKey) ? 'this peer' : '']
  const note = marks.filter((m) => m !== '').join(', ')
  return `${formatKey(w.key)}  ${w.role.padEnd(6)}  ${w.indexed}/${w.length} indexed${note === '' ? '' : `  (${note})`}`
}

/** `peerbee writers`, `writers add <key> [--admin]`, `writers remove <key>`. */
export function registerWriters(program: Command): void {
  const writers = program
    .command('writers')
    .description('list the writers of the database; add or remove one (admin only)')
    .action(async (_opts, cmd: Command) => {
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
