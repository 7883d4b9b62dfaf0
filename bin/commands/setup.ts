import type { Command } from 'commander'
import { withDb } from '../context.js'
import { Output, formatKey, parseKey } from '../format.js'

/** `peerbee init`: a new db whose root writer (and first admin) is this peer. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a database in the storage dir and print its key')
    .action(async (_opts, cmd: Command) => {
      await withDb(cmd, { create: true }, async (db, opts) => {
        new Output(opts).emit({ key: db.id, writerKey: formatKey(db.writerKey), role: db.role }, () => db.id)
      })
    })
}

/** `peerbee open <key>`: follow an existing db; this peer reads until an admin adds it. */
export function registerOpen(program: Command): void {
  program
    .command('open')
    .description('set up the storage dir to follow an existing database (reader until added)')
    .argument('<key>', 'database key (z-base32 or hex)')
    .action(async (key: string, _opts, cmd: Command) => {
      await withDb(cmd, { key: parseKey(key, 'database key') }, async (db, opts) => {
        const out = new Output(opts)
        const writerKey = formatKey(db.writerKey)
        out.emit({ key: db.id, writerKey, role: db.role }, () => db.id)
        if (!db.writable) out.note(`Reader until an admin runs: peerbee writers add ${writerKey}`)
      })
    })
}
