import type { PeerBee } from '../lib/index.js'
import { UserError } from './errors.js'

/** Aborted by the first SIGINT or SIGTERM: every wait ends, every open db closes. */
export const shutdown = new AbortController()

/** Why a wait ended early: the user interrupted the command. */
export class Interrupted extends Error {
  override get name(): string {
    return 'Interrupted'
  }
}

/** Resolves when the user interrupts (SIGINT/SIGTERM). */
export function interrupted(): Promise<void> {
  const { signal } = shutdown
  return new Promise((resolve) => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
}

/**
 * `promise`, unless the user interrupts first: then rejects with {@link Interrupted} at once.
 * What `promise` does afterwards is ignored; the db it waits on is being closed.
 */
export function abortable<T>(promise: Promise<T>): Promise<T> {
  const { signal } = shutdown
  promise.catch(() => {})
  if (signal.aborted) return Promise.reject(new Interrupted())
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Interrupted())
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** `promise`, or a {@link UserError} made by `late()` once `ms` have passed. */
export function within<T>(promise: Promise<T>, ms: number, late: () => UserError): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  // Node timers overflow past 2^31 ms (~24 days) and would fire at once.
  const timeout = new Promise<never>(
    (_resolve, reject) => (timer = setTimeout(() => reject(late()), Math.min(ms, 2 ** 31 - 1)))
  )
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Resolves once `check()` holds, re-checking after each index step (`'update'`), membership
 * changes included. Rejects with a {@link UserError} saying `what` after `timeout` ms, or if
 * `check` throws.
 */
export function until(
  db: PeerBee,
  check: () => boolean | Promise<boolean>,
  timeout: number,
  what: string
): Promise<void> {
  let onUpdate = () => {}
  const held = new Promise<void>((resolve, reject) => {
    let running = false
    let again = false
    // A step during a check must not be missed: check once more when the running one ends.
    const run = () => {
      if (running) {
        again = true
        return
      }
      running = true
      again = false
      Promise.resolve()
        .then(check)
        .then(
          (ok) => {
            running = false
            if (ok) resolve()
            else if (again) run()
          },
          (err: unknown) => reject(err)
        )
    }
    onUpdate = run
    db.on('update', run)
    run()
  })
  const late = () => new UserError(`Timed out after ${Math.round(timeout / 1000)} s waiting for ${what}`)
  return within(held, timeout, late).finally(() => db.off('update', onUpdate))
}
