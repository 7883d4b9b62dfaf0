import type { Command } from 'commander'
import type { ChangesOptions } from '../../lib/index.js'
import { withDb } from '../context.js'
import { changeJson } from '../format.js'

interface ChangesCommandOptions {
  since?: string
  live?: boolean
  prefix?: string
}

/**
 * `peerbee changes`: the changes feed as NDJSON, one line per batch with the checkpoint after
 * it; `--since` that checkpoint prints only what changed later (across restarts too).
 */
export function registerChanges(program: Command): void {
  program
    .command('changes')
    .description('print what changed, as JSON lines of {checkpoint, changes}; --since resumes after a checkpoint')
    .option('--since <checkpoint>', 'only what changed after this checkpoint (from an earlier line)')
    .option('--live', 'join the swarm and keep printing changes as they are indexed, until interrupted')
    .option('--prefix <p>', 'only keys starting with p')
    .action(async (opts: ChangesCommandOptions, cmd: Command) => {
      const feed: ChangesOptions<string> = { live: opts.live === true }
      if (opts.since !== undefined) feed.since = opts.since
      if (opts.prefix !== undefined) feed.range = { prefix: opts.prefix }
      await withDb(cmd, { existing: true }, async (db) => {
        const batches = db.changes(feed)
        // Another process cannot write to this storage, so live changes arrive from peers.
        if (feed.live === true) await db.join()
        // A live feed ends when a signal closes the db.
        for await (const { checkpoint, changes } of batches) {
          process.stdout.write(JSON.stringify({ checkpoint, changes: changes.map(changeJson) }) + '\n')
        }
      })
    })
}
