import type { Command } from 'commander'
import leven from 'leven'
import { UserError } from './errors.js'

/**
 * The name among `names` that `typed` most likely meant, or null: one it starts (`stat` for
 * `status`), else the nearest within a few edits (`lst` for `list`, `stauts` for `status`).
 */
export function closest(typed: string, names: string[]): string | null {
  const name = typed.toLowerCase()
  if (name.length >= 2) {
    const started = names.find((n) => n.startsWith(name))
    if (started !== undefined) return started
  }
  // Short names are near many others: allow fewer edits, and never all of the name.
  const allowed = Math.min(name.length - 1, name.length <= 4 ? 2 : 3)
  let best: string | null = null
  let bestDistance = Infinity
  for (const n of names) {
    const d = leven(name, n)
    if (d <= allowed && d < bestDistance) {
      best = n
      bestDistance = d
    }
  }
  return best
}

/** The command `names` leads to from `root`, as `help writers add` names it. */
export function helpOf(root: Command, names: string[]): Command {
  let command = root
  for (const [i, name] of names.entries()) {
    const sub = command.commands.find((c) => c.name() === name)
    if (sub === undefined) throw unknownCommand(command, names.slice(0, i + 1))
    command = sub
  }
  return command
}

/**
 * `names` (from the root) ends in a name that is not a command of `parent`: say so, with the
 * nearest one.
 */
export function unknownCommand(parent: Command, names: string[]): UserError {
  const suggestion = closest(
    names.at(-1)!,
    parent.commands.map((c) => c.name())
  )
  const meant = suggestion === null ? '' : `: did you mean ${[...names.slice(0, -1), suggestion].join(' ')}?`
  return new UserError(`Unknown command '${names.join(' ')}'${meant} (peerbee --help lists them)`)
}
