import type { Command } from 'commander'
import { globals } from '../context.js'
import { Output } from '../format.js'
import { runDemo } from '../demo/story.js'

/** `peerbee demo`: see {@link runDemo}. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'no setup: a local DHT and peer processes write, conflict, crash and replicate; a blind seeder keeps an encrypted db while its writers are gone'
    )
    .action(async (_opts, cmd: Command) => {
      await runDemo(new Output(globals(cmd)))
    })
}
