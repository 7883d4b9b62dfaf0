import type { Command } from 'commander'
import { globals } from '../context.js'
import { UserError } from '../errors.js'
import { Output, countOption } from '../format.js'
import { startBootstrapNode } from '../dht-node.js'
import { interrupted } from '../waits.js'

/** The port hyperdht's own bootstrap command uses. */
const DEFAULT_PORT = 49737

/** `peerbee dht [--port n]`: a bootstrap node for a private network, until interrupted. */
export function registerDht(program: Command): void {
  program
    .command('dht')
    .description(
      'run a DHT bootstrap node on 127.0.0.1 for a private network, until interrupted; prints its address first'
    )
    .option('--port <n>', 'UDP port (0: any free port)', countOption('--port'), DEFAULT_PORT)
    .action(async (opts: { port: number }, cmd: Command) => {
      const out = new Output(globals(cmd))
      if (opts.port > 65535) throw new UserError(`--port must be at most 65535, got ${opts.port}`)
      const { node, address } = await startBootstrapNode(opts.port)
      out.emit({ event: 'listening', bootstrap: address }, () => address)
      out.note(`DHT bootstrap node running; peers use --bootstrap ${address}. Ctrl-C stops it.`)
      await interrupted()
      await node.destroy()
    })
}
