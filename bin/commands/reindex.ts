import type { Command } from 'commander'
import type { ReindexProgress } from '../../lib/index.js'
import { withDb } from '../context.js'
import { Output } from '../format.js'

/** `peerbee reindex`: rebuild the local index from the writer logs, showing progress. */
export function registerReindex(program: Command): void {
  program
    .command('reindex')
    .description('rebuild the local index from the writer logs (what peerbee does itself on damage)')
    .action(async (_opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db, opts) => {
        const out = new Output(opts)
        const bar = out.bar()
        const report = (p: ReindexProgress) => {
          if (out.json) out.emit({ event: 'reindex', ...p }, () => null)
          else if (bar !== null) {
            bar.setTotal(p.total)
            bar.update(p.indexed)
          }
        }
        bar?.start(0, 0)
        db.on('reindex', report)
        try {
          await db.reindex()
        } finally {
          db.off('reindex', report)
          bar?.stop()
        }
        const blocks = db.status().writers.reduce((n, w) => n + w.indexed, 0)
        out.emit({ event: 'reindexed', blocks }, () => `reindexed: ${blocks} blocks of the writer logs`)
      })
    })
}
