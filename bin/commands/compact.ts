import type { Command } from 'commander'
import type { CompactProgress } from '../../lib/index.js'
import { withDb } from '../context.js'
import { Output } from '../format.js'

/** `peerbee compact`: rewrite the local index into a fresh core with only its live entries. */
export function registerCompact(program: Command): void {
  program
    .command('compact')
    .description('rewrite the local index with only its live entries, and free the space the old one took')
    .action(async (_opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db, opts) => {
        const out = new Output(opts)
        // The entries to copy are known only once copied: the bar counts them.
        const bar = out.bar(' compacting {value} entries copied')
        const progress = (p: CompactProgress) => {
          if (out.json) out.emit({ event: 'compact', ...p }, () => null)
          else bar?.update(p.copied)
        }
        bar?.start(0, 0)
        let result
        try {
          result = await db.compact({ progress })
        } finally {
          bar?.stop()
        }
        const { entries, bytesBefore, bytesAfter } = result
        out.emit(
          { event: 'compacted', entries, bytesBefore, bytesAfter },
          () => `compacted: ${entries} entries, index ${bytesBefore} -> ${bytesAfter} bytes`
        )
      })
    })
}
