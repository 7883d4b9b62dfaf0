import b4a from 'b4a'
import type { LocalSettings } from './local-settings.js'

/** Where the quota cuts are kept among the local settings: one record, writer id -> cut. */
const QUOTA = 'quota'

/**
 * The writers whose logs grew past this peer's quota (`maxWriterBytes`) and where each is cut:
 * kept, so a reopen cuts them where it did before instead of finding them anew (which would
 * rebuild the index on every open).
 */
export class QuotaBook {
  private readonly local: LocalSettings
  readonly cuts: Map<string, number>

  private constructor(local: LocalSettings, cuts: Map<string, number>) {
    this.local = local
    this.cuts = cuts
  }

  static async open(local: LocalSettings): Promise<QuotaBook> {
    const bytes = await local.get(QUOTA)
    const entries = bytes === null ? [] : (JSON.parse(b4a.toString(bytes)) as Array<[string, number]>)
    return new QuotaBook(local, new Map(entries))
  }

  async record(writer: string, cut: number): Promise<void> {
    this.cuts.set(writer, cut)
    await this.local.set(QUOTA, b4a.from(JSON.stringify([...this.cuts])))
  }
}
