import b4a from 'b4a'
import { peerId } from './connection.js'

/** Where lists are kept: bytes by name (the db's local settings). */
export interface ListStore {
  get(name: string): Promise<Uint8Array | null>
  set(name: string, value: Uint8Array | null): Promise<void>
}

export type ListName = 'allow' | 'deny'

const SETTING: Record<ListName, string> = { allow: 'peers/allow', deny: 'peers/deny' }
const KEY_BYTES = 32

/**
 * The peers this peer always admits (`allow`) and always refuses (`deny`), by swarm key.
 * What `allowPeer`/`denyPeer` add is kept in the storage; what the options list holds for the
 * session. A key is on one list at most: putting it on one takes it off the other.
 */
export class PeerLists {
  private readonly store: ListStore
  private readonly lists: Record<ListName, Map<string, Uint8Array>> = { allow: new Map(), deny: new Map() }
  /** The keys kept in the storage, by list. */
  private readonly kept: Record<ListName, Map<string, Uint8Array>> = { allow: new Map(), deny: new Map() }

  private constructor(store: ListStore) {
    this.store = store
  }

  /** The lists kept in `store`, with the options' on top (deny wins where a key is on both). */
  static async open(store: ListStore, options: Record<ListName, Uint8Array[]>): Promise<PeerLists> {
    const lists = new PeerLists(store)
    for (const name of ['allow', 'deny'] as const) {
      for (const key of decodeList(await store.get(SETTING[name]))) lists.kept[name].set(peerId(key), key)
    }
    for (const name of ['allow', 'deny'] as const) {
      for (const [id, key] of lists.kept[name]) lists.lists[name].set(id, key)
      for (const key of options[name]) lists.lists[name].set(peerId(key), key)
    }
    for (const id of lists.lists.deny.keys()) lists.lists.allow.delete(id)
    return lists
  }

  has(name: ListName, publicKey: Uint8Array): boolean {
    return this.lists[name].has(peerId(publicKey))
  }

  keys(name: ListName): Uint8Array[] {
    return [...this.lists[name].values()]
  }

  /** Puts a key on a list, off the other one, and keeps both in the storage. */
  async put(name: ListName, publicKey: Uint8Array): Promise<void> {
    const other: ListName = name === 'allow' ? 'deny' : 'allow'
    const id = peerId(publicKey)
    this.lists[other].delete(id)
    this.kept[other].delete(id)
    this.lists[name].set(id, b4a.from(publicKey))
    this.kept[name].set(id, b4a.from(publicKey))
    await this.save()
  }

  /** Takes a key off both lists, the options' included, for this session and in the storage. */
  async unlist(publicKey: Uint8Array): Promise<void> {
    const id = peerId(publicKey)
    for (const name of ['allow', 'deny'] as const) {
      this.lists[name].delete(id)
      this.kept[name].delete(id)
    }
    await this.save()
  }

  private async save(): Promise<void> {
    for (const name of ['allow', 'deny'] as const) {
      const keys = [...this.kept[name].values()]
      await this.store.set(SETTING[name], keys.length === 0 ? null : b4a.concat(keys))
    }
  }
}

/** Keys back to back; a setting of another length than a multiple of 32 holds none. */
function decodeList(bytes: Uint8Array | null): Uint8Array[] {
  if (bytes === null || bytes.byteLength % KEY_BYTES !== 0) return []
  const keys: Uint8Array[] = []
  for (let at = 0; at < bytes.byteLength; at += KEY_BYTES) keys.push(b4a.from(bytes.subarray(at, at + KEY_BYTES)))
  return keys
}
