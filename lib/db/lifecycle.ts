import ReadyResource from 'ready-resource'
import { PeerBeeError } from '../errors.js'

/**
 * The open/close lifecycle of Holepunch modules (ready-resource) for a class that cannot
 * extend it: `ready()`/`close()` idempotent, `close()` waits for a pending open, a failed open
 * starts a close; `opened` true once open succeeded, `closing` set from the first `close()`,
 * `closed` true once close finished. On top of it: what was opened is closed last opened
 * first (on close, or when the open fails), and a failure (closing, or an error that stops
 * the db) is kept so every later call can be refused with it.
 */
export class Lifecycle extends ReadyResource {
  /** Rejects once the db starts closing or fails: what every wait races against. */
  readonly failure: Promise<never>
  /** The error that stopped the db, if one did. */
  error: PeerBeeError | null = null
  private reject: (err: Error) => void = () => {}
  private readonly onOpen: () => Promise<void>
  private readonly onClose: () => void
  private readonly closers: Array<() => unknown> = []

  /** `open` builds the resource; `close` runs first when it closes, before what was opened closes. */
  constructor(open: () => Promise<void>, close: () => void) {
    super()
    this.onOpen = open
    this.onClose = close
    this.failure = new Promise<never>((_resolve, reject) => (this.reject = reject))
    // Reported through the waits that race it, never as an unhandled rejection.
    this.failure.catch(() => {})
  }

  /** Registers how to close something just opened. */
  onClosing(close: () => unknown): void {
    this.closers.push(close)
  }

  /** Stops the db with this error: later calls are refused with it. */
  fail(err: PeerBeeError): void {
    this.error = err
    this.reject(err)
  }

  /** Throws once the db is closing or failed. */
  check(): void {
    if (this.closing !== null) throw PeerBeeError.CLOSED()
    if (this.error !== null) throw this.error
  }

  /** Open, not closing and not failed: calls may skip `check()` and `ready()`. */
  get usable(): boolean {
    return this.opened && this.closing === null && this.error === null
  }

  protected override async _open(): Promise<void> {
    try {
      await this.onOpen()
    } catch (err) {
      // A failed open is never followed by `_close`: what it opened closes here.
      await this.teardown()
      throw err
    }
  }

  protected override async _close(): Promise<void> {
    this.reject(PeerBeeError.CLOSED())
    this.onClose()
    await this.teardown()
  }

  private async teardown(): Promise<void> {
    while (this.closers.length > 0) await this.closers.pop()!()
  }
}
