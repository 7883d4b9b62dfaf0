import ReadyResource from 'ready-resource'

/**
 * The open/close lifecycle of Holepunch modules (ready-resource), for a class that cannot
 * extend it: `ready()`/`close()` idempotent, `close()` waits for a pending open, a failed open
 * starts a close; `opened` true once open succeeded, `closing` set from the first `close()`,
 * `closed` true once close finished. `open` cleans up after itself if it fails: a failed open
 * is never followed by `close`.
 */
export class Lifecycle extends ReadyResource {
  private readonly onOpen: () => Promise<void>
  private readonly onClose: () => Promise<void>

  constructor(open: () => Promise<void>, close: () => Promise<void>) {
    super()
    this.onOpen = open
    this.onClose = close
  }

  protected override _open(): Promise<void> {
    return this.onOpen()
  }

  protected override _close(): Promise<void> {
    return this.onClose()
  }
}
