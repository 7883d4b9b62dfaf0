import b4a from 'b4a'
import type Corestore from 'corestore'
import type Hypercore from 'hypercore'
import { localCore } from './local-core.js'

/** A core that is never appended to: its user data holds this peer's local settings. */
const LOCAL_CORE = 'peerbee/local'

/**
 * Settings of this peer that are neither replicated nor derived from the logs, so they must
 * outlive the index (which a rebuild replaces): which db the storage holds, which core is the
 * index, the one a rebuild is writing, and the invites this peer issued.
 */
export class LocalSettings {
  private readonly core: Hypercore

  private constructor(core: Hypercore) {
    this.core = core
  }

  static async open(store: Corestore): Promise<LocalSettings> {
    const core = localCore(store, LOCAL_CORE)
    await core.ready()
    return new LocalSettings(core)
  }

  close(): Promise<void> {
    return this.core.close()
  }

  get(name: string): Promise<Uint8Array | null> {
    return this.core.getUserData(name)
  }

  /** Sets a setting; null deletes it. Each call is one write to the storage. */
  async set(name: string, value: Uint8Array | null): Promise<void> {
    await this.core.setUserData(name, value)
  }

  async getText(name: string): Promise<string | null> {
    const value = await this.get(name)
    return value === null ? null : b4a.toString(value)
  }

  async setText(name: string, value: string | null): Promise<void> {
    await this.set(name, value === null ? null : b4a.from(value))
  }
}
