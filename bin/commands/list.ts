import type { Command } from 'commander'
import type { Range } from '../../lib/index.js'
import { withDb } from '../context.js'
import { Output, conflictNote, entryJson, parseCount } from '../format.js'
import { formatValue } from '../values.js'

interface ListOptions {
  prefix?: string
  gt?: string
  gte?: string
  lt?: string
  lte?: string
  reverse?: boolean
  limit?: string
}

/** `peerbee list`: entries in key order, one `key<TAB>value` line each. */
export function registerList(program: Command): void {
  program
    .command('list')
    .description('print keys and values in key order')
    .option('--prefix <p>', 'only keys starting with p')
    .option('--gt <k>', 'only keys after k')
    .option('--gte <k>', 'only keys from k on')
    .option('--lt <k>', 'only keys before k')
    .option('--lte <k>', 'only keys up to k')
    .option('--reverse', 'in reverse key order')
    .option('--limit <n>', 'at most n entries')
    .action(async (opts: ListOptions, cmd: Command) => {
      const range: Range<string> = {}
      for (const bound of ['prefix', 'gt', 'gte', 'lt', 'lte'] as const) {
        if (opts[bound] !== undefined) range[bound] = opts[bound]
      }
      if (opts.reverse === true) range.reverse = true
      if (opts.limit !== undefined) range.limit = parseCount(opts.limit, '--limit')
      await withDb(cmd, { existing: true }, async (db, globalOpts) => {
        const out = new Output(globalOpts)
        for await (const entry of db.list(range)) {
          out.emit(entryJson(entry), () => {
            const note = conflictNote(entry)
            return `${entry.key}\t${formatValue(entry.value)}${note === '' ? '' : `\t(${note})`}`
          })
        }
      })
    })
}
