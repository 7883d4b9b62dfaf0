#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command, CommanderError } from 'commander'
import { PeerBeeError } from '../lib/index.js'
import { UserError, shutdown } from './context.js'
import { registerChanges } from './commands/changes.js'
import { registerClear } from './commands/clear.js'
import { registerDataCommands } from './commands/data.js'
import { registerDemo } from './commands/demo.js'
import { registerDht } from './commands/dht.js'
import { registerExport, registerImport } from './commands/transfer.js'
import { registerHistory } from './commands/history.js'
import { registerInit, registerOpen } from './commands/setup.js'
import { registerInvite, registerJoin } from './commands/pairing.js'
import { registerList } from './commands/list.js'
import { registerReindex } from './commands/reindex.js'
import { registerServe } from './commands/serve.js'
import { registerStatus } from './commands/status.js'
import { registerSync } from './commands/sync.js'
import { registerWatch } from './commands/watch.js'
import { registerWriters } from './commands/writers.js'

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
    .option('--storage <dir>', 'storage directory of this peer', './.peerbee')
    .option('--bootstrap <host:port>', 'DHT bootstrap node; repeat for several (default: the public DHT)', collect)
    .option('--json', 'machine-readable output: one JSON value per line')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      // Commander puts suggestions on a second line; a user error is one line.
      outputError: (text, write) =>
        write(
          text
            .trim()
            .replace(/^error: /, 'peerbee: ')
            .replace(/\s*\n\s*/g, ' ') + '\n'
        )
    })
  registerInit(root)
  registerOpen(root)
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
  registerStatus(root)
  registerReindex(root)
  registerExport(root)
  registerImport(root)
  registerDht(root)
  registerDemo(root)
  // Without a command the root action runs: one line instead of commander's help on stderr.
  // Commands copied allowExcessArguments(false) when they were made; only the root takes any.
  return root.allowExcessArguments(true).action((_opts, cmd: Command) => {
    const [name] = cmd.args
    throw new UserError(
      name === undefined
        ? 'Missing command (peerbee --help lists them)'
        : `Unknown command '${name}' (peerbee --help lists them)`
    )
  })
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
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
    if (++signals > 1) process.exit(130)
    shutdown.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const cli = program()
  if (process.argv.length <= 2) {
    cli.outputHelp()
    return exit(0)
  }
  try {
    await cli.parseAsync(process.argv)
    exit(0)
  } catch (err) {
    if (err instanceof CommanderError) return exit(err.exitCode)
    // A short command cut off by Ctrl-C: its db is already closed, nothing more to say.
    if (shutdown.signal.aborted) return exit(130)
    report(err)
    exit(1)
  }
}

void main()
