declare module 'ready-resource' {
  import { EventEmitter } from 'events'

  /**
   * The open/close lifecycle of Holepunch modules: `ready()` and `close()` are idempotent,
   * `close()` waits for a pending open, a failed open starts a close. `opened` is true once
   * open succeeded; `closed` once close finished; `opening`/`closing` hold the promises.
   */
  class ReadyResource extends EventEmitter {
    opening: Promise<void> | null
    closing: Promise<void> | null
    opened: boolean
    closed: boolean
    ready(): Promise<void>
    close(): Promise<void>
    protected _open(): Promise<void>
    protected _close(): Promise<void>
  }

  export = ReadyResource
}
