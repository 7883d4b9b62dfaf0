import type { Command } from 'commander'
import { withDb } from '../context.js'

/** `peerbee export`: every key and value as JSON lines, the format `import` reads. */
export function registerExport(program: Command): void {
  program
    .command('export')
    .description('print every key and value as JSON lines: {"key":...,"value":...}')
    .action(async (_opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db) => {
        for await (const { key, value } of db.list()) process.stdout.write(JSON.stringify({ key, value }) + '\n')
      })
    })
}
