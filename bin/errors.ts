/** A mistake of the user, reported as one line on stderr with exit code 1. */
export class UserError extends Error {
  override get name(): string {
    return 'UserError'
  }
}

/** Exit codes other than 0 (done) and 1 (a user error), as the README documents them. */
export const EXIT_NOT_FOUND = 2
export const EXIT_INTERRUPTED = 130

/** Ends a command with an exit code once it has said what it had to say. */
export class CommandExit extends Error {
  readonly exitCode: number

  constructor(exitCode: number) {
    super(`exit ${exitCode}`)
    this.exitCode = exitCode
  }

  override get name(): string {
    return 'CommandExit'
  }
}
