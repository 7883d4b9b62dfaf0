#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command, CommanderError, Option } from 'commander'
import { PeerBeeError } from '../lib/index.js'
import { DEFAULT_STORAGE } from './context.js'
import { CommandExit, EXIT_INTERRUPTED, EXIT_NOT_FOUND, UserError } from './errors.js'
import { countOption } from './format.js'
import { helpOf, unknownCommand } from './suggest.js'
import { shutdown } from './waits.js'
import { registerChanges } from './commands/changes.js'
import { registerClear } from './commands/clear.js'
import { registerCompact } from './commands/compact.js'
import { registerDataCommands } from './commands/data.js'
import { registerDemo } from './commands/demo.js'
import { registerDht } from './commands/dht.js'
import { registerDoctor } from './commands/doctor.js'
import { registerExport } from './commands/export.js'
import { registerHistory } from './commands/history.js'
import { registerImport } from './commands/import.js'
import { registerEncryptionKey, registerInit, registerOpen } from './commands/setup.js'
import { registerSeed } from './commands/seed.js'
import { registerInvite, registerJoin } from './commands/pairing.js'
import { registerList } from './commands/list.js'
import { registerPeers } from './commands/peers.js'
import { registerRecover } from './commands/recover.js'
import { registerReindex } from './commands/reindex.js'
import { registerServe } from './commands/serve.js'
import { registerStatus } from './commands/status.js'
import { registerSync } from './commands/sync.js'
import { registerWatch } from './commands/watch.js'
import { registerWriters } from './commands/writers.js'

/** Commands whose job ends with Ctrl-C: interrupted, they exit 0. */
const RUN_UNTIL_INTERRUPTED = new Set(['serve', 'watch', 'invite', 'dht', 'seed'])

function runsUntilInterrupted(action: Command): boolean {
  return RUN_UNTIL_INTERRUPTED.has(action.name()) || (action.name() === 'changes' && action.opts().live === true)
}

/** The version in the nearest package.json: the same walk works from `bin/` and `dist/bin/`. */
function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf-8')) as { version: string }).version
    } catch {
      const parent = path.dirname(dir)
      if (parent === dir) return 'unknown'
      dir = parent
    }
  }
}

function program(): Command {
  const root = new Command('peerbee')
    .description('A serverless peer-to-peer key-value database')
    .version(packageVersion())
    .option('--storage <dir>', 'storage folder of this peer: new, empty, or one peerbee made', DEFAULT_STORAGE)
    .addOption(
      new Option('--bootstrap <host:port>', 'DHT bootstrap node; repeat for several')
        .argParser(collect)
        .default([], 'the public DHT')
    )
    .option('--json', 'machine-readable output: one JSON value per line')
    .addOption(
      new Option('--max-writer-bytes <bytes>', "bytes of one writer's log to download at most")
        .argParser(countOption('--max-writer-bytes'))
        .default(undefined, '1 GiB')
    )
    .addOption(
      new Option('--cache-size <bytes>', 'bytes of the local index that reads keep in memory')
        .argParser(countOption('--cache-size'))
        .default(undefined, '256 MiB')
    )
    .option('--members-only', 'admit only the peers of current writers, allowed peers and invitees')
    .addOption(
      new Option('--max-inbound <n>', 'connections other peers open to this one, at most (default 48)').argParser(
        countOption('--max-inbound')
      )
    )
    .addOption(
      new Option('--max-outbound <n>', 'connections this peer opens to others, at most (default 16)').argParser(
        countOption('--max-outbound')
      )
    )
    .option('--no-lan', 'neither announce this peer nor look for peers on the local network')
    // `help <command>` is a command of its own (below), so a typo in it gets a suggestion too.
    .helpCommand(false)
    .addHelpText(
      'after',
      `\nExit codes: 0 done, 1 a user error (one line on stderr), ${EXIT_NOT_FOUND} \`get\` of a key that is not set, ${EXIT_INTERRUPTED} interrupted.`
    )
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(oneLine(text)) })
  registerInit(root)
  registerOpen(root)
  registerEncryptionKey(root)
  registerDataCommands(root)
  registerList(root)
  registerWatch(root)
  registerChanges(root)
  registerClear(root)
  registerHistory(root)
  registerWriters(root)
  registerInvite(root)
  registerJoin(root)
  registerServe(root)
  registerSync(root)
  registerSeed(root)
  registerStatus(root)
  registerPeers(root)
  registerDoctor(root)
  registerReindex(root)
  registerCompact(root)
  registerRecover(root)
  registerExport(root)
  registerImport(root)
  registerDht(root)
  registerDemo(root)
  root
    .command('help')
    .description('show the help of a command')
    .argument('[command...]', 'the command, as `put` or `writers add`')
    .action((names: string[]) => helpOf(root, names).outputHelp())
  // Without a command the root action runs: one line instead of commander's help on stderr.
  // Commands copied allowExcessArguments(false) when they were made; only the root takes any.
  return root.allowExcessArguments(true).action((_opts, cmd: Command) => {
    const [name] = cmd.args
    if (name === undefined) throw new UserError('Missing command (peerbee --help lists them)')
    throw unknownCommand(cmd, [name])
  })
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** Commander's errors as one line; its suggestion goes on the same line. */
function oneLine(text: string): string {
  let line = text
    .trim()
    .replace(/^error: /, 'peerbee: ')
    .replace(/\s*\n\s*/g, ' ')
    .replace('(Did you mean', '(did you mean')
  // `put n -5`: a negative number reads as an option.
  if (/unknown option '-[\d.]/.test(line)) line += ' (a negative number as a value: put <key> -- -5, or --value=-5)'
  return line + '\n'
}

/** One line for a user error; a bug keeps its stack so it can be reported. */
function report(err: unknown): void {
  if (err instanceof PeerBeeError && err.code === 'NOT_WRITABLE') {
    process.stderr.write(
      `peerbee: ${err.message} (an admin can run \`peerbee writers add <key>\` with the writer key \`peerbee status\` shows)\n`
    )
  } else if (err instanceof PeerBeeError || err instanceof UserError) {
    process.stderr.write(`peerbee: ${err.message}\n`)
  } else if (err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string') {
    // File system errors (a missing import file, an unwritable dir) are the user's to fix.
    process.stderr.write(`peerbee: ${err.message}\n`)
  } else {
    process.stderr.write(
      `peerbee: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`
    )
  }
}

/** Exits once stdout is flushed, even if a socket of a closed swarm lingers. */
function exit(code: number): void {
  process.stdout.write('', () => process.exit(code))
}

async function main(): Promise<void> {
  let signals = 0
  const onSignal = () => {
    // A second Ctrl-C does not wait for a clean close.
    if (++signals > 1) process.exit(EXIT_INTERRUPTED)
    shutdown.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const cli = program()
  if (process.argv.length <= 2) {
    cli.outputHelp()
    return exit(0)
  }
  let untilInterrupted = false
  cli.hook('preAction', (_root, action) => {
    untilInterrupted = runsUntilInterrupted(action)
  })
  try {
    await cli.parseAsync(process.argv)
    exit(0)
  } catch (err) {
    if (err instanceof CommanderError) return exit(err.exitCode)
    if (err instanceof CommandExit) return exit(err.exitCode)
    // Cut off by Ctrl-C: its db is already closed, nothing more to say.
    if (shutdown.signal.aborted) return exit(untilInterrupted ? 0 : EXIT_INTERRUPTED)
    report(err)
    exit(1)
  }
}

void main()
