/**
 * Two writers sync over Hyperswarm on a private local DHT (a testnet, so no internet needed).
 * Alice creates the database and invites Bob; they write, go offline, write the same key
 * concurrently, come back online and converge on the same winner, with the loser visible.
 *
 *   tsx examples/two-writers.ts
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import createTestnet from '@hyperswarm/testnet'
import { PeerBee, type Entry } from '../lib/index.js'

const testnet = await createTestnet(3)
const bootstrap = testnet.bootstrap.map((node) => `${node.host}:${node.port}`)
const dir = await mkdtemp(path.join(tmpdir(), 'peerbee-two-writers-'))

const alice = new PeerBee(path.join(dir, 'alice'), { bootstrap })
await alice.ready()
await alice.join()

// Pairing: Alice (online, admin) makes an invite; Bob presents it and is added as a writer.
const invite = await alice.createInvite({ role: 'writer' })
const bob = await PeerBee.pair(path.join(dir, 'bob'), invite, { bootstrap })
await bob.join()
// Bob is writable once the add-writer op from Alice has replicated to him.
while (!bob.writable) await new Promise((resolve) => bob.once('update', resolve))
console.log('bob joined as', bob.role)

/** Resolves with the entry of `key` once `ready(entry)` holds, re-checking after each index step. */
async function until(db: PeerBee, key: string, ready: (e: Entry) => boolean): Promise<Entry> {
  for (;;) {
    const stepped = new Promise((resolve) => db.once('update', resolve))
    const entry = await db.get(key)
    if (entry !== null && ready(entry)) return entry
    await stepped
  }
}

await alice.put('title', 'shopping list')
await bob.put('item/1', 'apples')
console.log('bob sees title:', (await until(bob, 'title', () => true)).value)
console.log('alice sees item/1:', (await until(alice, 'item/1', () => true)).value)

// Offline, both change the same key: neither version cites the other.
await Promise.all([alice.leave(), bob.leave()])
await alice.put('title', 'groceries')
await bob.put('title', 'weekend shopping')
await Promise.all([alice.join(), bob.join()])

const oneConflict = (e: Entry) => e.conflicts.length === 1
const [a, b] = await Promise.all([until(alice, 'title', oneConflict), until(bob, 'title', oneConflict)])
console.log('alice: title =', a.value, '| conflict:', a.conflicts[0]?.value)
console.log('bob:   title =', b.value, '| conflict:', b.conflicts[0]?.value)
console.log('same winner on both peers:', a.value === b.value)

await Promise.all([alice.close(), bob.close()])
await testnet.destroy()
await rm(dir, { recursive: true, force: true })
