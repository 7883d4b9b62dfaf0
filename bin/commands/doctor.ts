import type { Command } from 'commander'
import type { Diagnosis, Finding } from '../../lib/index.js'
import { settle } from '../bootstrap-check.js'
import { withDb } from '../context.js'
import { Output, countOption, formatKey } from '../format.js'

function findingLine(f: Finding): string {
  return `${f.level.padEnd(4)}  ${f.topic.padEnd(7)}  ${f.message}${f.advice === null ? '' : ` — ${f.advice}`}`
}

function diagnosisJson(d: Diagnosis) {
  return { ...d, peerKey: formatKey(d.peerKey) }
}

/** `peerbee doctor`: why peers are, or are not, found and connected. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'join, then tell whether the DHT answers, the NAT, the topic, peers found, connected, refused and failed, LAN discovery'
    )
    .option('--timeout <seconds>', 'how long to wait for the first lookup and a peer', countOption('--timeout'), 10)
    .action(async (opts: { timeout: number }, cmd: Command) => {
      await withDb(cmd, { existing: true }, async (db, globalOpts) => {
        await settle(db, globalOpts.bootstrap, globalOpts.lan, opts.timeout * 1000)
        const d = await db.diagnose()
        new Output(globalOpts).emit(diagnosisJson(d), () => d.findings.map(findingLine).join('\n'))
      })
    })
}
