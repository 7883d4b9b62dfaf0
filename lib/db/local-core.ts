import type Corestore from 'corestore'
import type Hypercore from 'hypercore'

/**
 * A core only this peer writes and reads (an index, the local settings). Its key derives from
 * the storage's primary key, so every copy of a storage holds a core of that key: it must
 * never download, or two copies that meet would feed each other's index their blocks. It is
 * not offered to peers either (`active: false`); none of them has a use for it. With a key, its
 * blocks are encrypted at rest (Hypercore's block encryption).
 */
export function localCore(store: Corestore, name: string, encryptionKey: Uint8Array | null = null): Hypercore {
  const encryption = encryptionKey === null ? undefined : { key: encryptionKey }
  return store.get({ name, wait: false, active: false, pushOnly: true, encryption })
}
