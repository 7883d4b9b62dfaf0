import b4a from 'b4a'
import { peerId } from './connection.js'
import type { ListStore } from './peer-lists.js'

const SETTING = 'peers/invitees'
/** A pairing key, then its invite's expiry (ms, 8 bytes). */
const ENTRY_BYTES = 40

/**
 * The swarm keys candidates present open invites with (see `pairingKeyPair`), kept until the
 * invite is used or expires: a peer that admits only members still lets these in, to pair.
 */
export class Invitees {
  private readonly store: ListStore
  private readonly now: () => number
  private readonly expiries = new Map<string, { key: Uint8Array; expires: number }>()

  private constructor(store: ListStore, now: () => number) {
    this.store = store
    this.now = now
  }

  static async open(store: ListStore, now: () => number = Date.now): Promise<Invitees> {
    const invitees = new Invitees(store, now)
    const bytes = (await store.get(SETTING)) ?? b4a.alloc(0)
    if (bytes.byteLength % ENTRY_BYTES !== 0) return invitees
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (let at = 0; at < bytes.byteLength; at += ENTRY_BYTES) {
      const key = b4a.from(bytes.subarray(at, at + 32))
      invitees.expiries.set(peerId(key), { key, expires: Number(view.getBigUint64(at + 32)) })
    }
    return invitees
  }

  /** True for the pairing key of an invite that is open: not used, not expired. */
  has(publicKey: Uint8Array): boolean {
    const entry = this.expiries.get(peerId(publicKey))
    return entry !== undefined && entry.expires >= this.now()
  }

  async add(publicKey: Uint8Array, expires: number): Promise<void> {
    this.expiries.set(peerId(publicKey), { key: b4a.from(publicKey), expires })
    await this.save()
  }

  async remove(publicKey: Uint8Array): Promise<void> {
    if (this.expiries.delete(peerId(publicKey))) await this.save()
  }

  private async save(): Promise<void> {
    const now = this.now()
    const open = [...this.expiries.values()].filter((e) => e.expires >= now)
    const bytes = b4a.alloc(open.length * ENTRY_BYTES)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    open.forEach((e, i) => {
      bytes.set(e.key, i * ENTRY_BYTES)
      view.setBigUint64(i * ENTRY_BYTES + 32, BigInt(e.expires))
    })
    await this.store.set(SETTING, open.length === 0 ? null : bytes)
  }
}
