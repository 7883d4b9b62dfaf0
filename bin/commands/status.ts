import type { Command } from 'commander'
import type { PeerBee } from '../../lib/index.js'
import { withDb } from '../context.js'
import { Output, formatKey, writerJson } from '../format.js'
import { writerLine } from './writers.js'

/** The status of a db as `status --json` prints it, with keys in z-base32. */
export function statusJson(db: PeerBee) {
  const s = db.status()
  return {
    ...s,
    role: db.role,
    writerKey: formatKey(db.writerKey),
    peerKey: formatKey(db.peerKey),
    writers: s.writers.map(writerJson)
  }
}

const ENCRYPTION = {
  key: 'on (this peer holds the key: peerbee encryption-key prints it)',
  'no-key': 'on, without the key here: this peer replicates and serves the logs, it cannot read them',
  none: 'off'
}

/** `peerbee status`: what this peer holds and how far its index got. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      "print the key, this peer's writer and peer keys, role, writers with lengths and indexed counts, peers and invalid ops"
    )
    .action(async (_opts, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db, opts) => {
        const s = db.status()
        new Output(opts).emit(statusJson(db), () =>
          [
            `key         ${s.key}`,
            `writer key  ${formatKey(db.writerKey)}`,
            `peer key    ${formatKey(db.peerKey)} (what other peers allow or deny)`,
            `role        ${db.role ?? 'reader'}`,
            `encryption  ${ENCRYPTION[s.encryption ?? 'none']}`,
            `peers       ${s.peers}`,
            `invalid     ${s.invalid} entries skipped`,
            `pending     ${s.pending} blocks waiting to be indexed`,
            `writers     ${s.writers.length} (each writer's log is a header block, then one block per entry: a put, a del or a batch)`,
            ...s.writers.map((w) => `  ${writerLine(db, w)}`)
          ].join('\n')
        )
      })
    })
}
