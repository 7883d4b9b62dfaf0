import type { Command } from 'commander'
import { withDb } from '../context.js'
import { UserError } from '../errors.js'
import { Output, dbJson, formatKey, parseKey } from '../format.js'

/** `peerbee init`: a new db whose root writer (and first admin) is this peer. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a database in the storage dir and print its key')
    .option('--encrypt', 'encrypt its writer logs and index; print the encryption key readers need too')
    .action(async (opts: { encrypt?: boolean }, cmd: Command) => {
      await withDb(cmd, { create: true, encrypt: opts.encrypt === true }, async (db, globalOpts) => {
        const out = new Output(globalOpts)
        out.emit(dbJson(db), () => [db.id, ...(db.encryptionKey ? [formatKey(db.encryptionKey)] : [])].join('\n'))
        if (db.encryptionKey !== null) {
          out.note(
            'The second line is the encryption key: readers run peerbee open <key> --encryption-key <it>; ' +
              'peerbee invite hands it to new writers; peerbee seed <key> keeps the logs without it.'
          )
        }
      })
    })
}

/** `peerbee open <key>`: follow an existing db; this peer reads until an admin adds it. */
export function registerOpen(program: Command): void {
  program
    .command('open')
    .description('set up the storage dir to follow an existing database (reader until added)')
    .argument('<key>', 'database key (z-base32 or hex)')
    .option('--encryption-key <key>', 'the key of an encrypted database (without it, this peer only replicates it)')
    .action(async (key: string, opts: { encryptionKey?: string }, cmd: Command) => {
      const given =
        opts.encryptionKey === undefined ? {} : { encryptionKey: parseKey(opts.encryptionKey, 'encryption key') }
      await withDb(cmd, { key: parseKey(key, 'database key'), ...given }, async (db, globalOpts) => {
        const out = new Output(globalOpts)
        const writerKey = formatKey(db.writerKey)
        out.emit(dbJson(db), () => db.id)
        if (!db.writable) out.note(`Reader until an admin runs: peerbee writers add ${writerKey}`)
      })
    })
}

/** `peerbee encryption-key`: the key readers of an encrypted db need, to hand it on. */
export function registerEncryptionKey(program: Command): void {
  program
    .command('encryption-key')
    .description(
      'print the key readers open this encrypted database with (the newest: after writers add or remove, hand it on again)'
    )
    .action(async (_opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db, globalOpts) => {
        if (db.encryptionKey === null) {
          throw new UserError('This database is not encrypted, or this peer was given no key of it')
        }
        const key = formatKey(db.encryptionKey)
        new Output(globalOpts).emit({ encryptionKey: key }, () => key)
      })
    })
}
