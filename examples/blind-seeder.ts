/**
 * An encrypted database kept available by a blind seeder, on a private local DHT (a testnet,
 * so no internet needed). Alice writes; the seeder is given the database key only, keeps her
 * log and serves it; Alice goes offline; Bob, given both keys, reads everything from the seeder,
 * which holds no byte of what it keeps in clear.
 *
 *   tsx examples/blind-seeder.ts
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import createTestnet from '@hyperswarm/testnet'
import { PeerBee, Seeder } from '../lib/index.js'

const testnet = await createTestnet(3)
const bootstrap = testnet.bootstrap.map((node) => `${node.host}:${node.port}`)
const dir = await mkdtemp(path.join(tmpdir(), 'peerbee-blind-seeder-'))

// Alice creates an encrypted database: her log and her index are encrypted block by block.
const alice = new PeerBee(path.join(dir, 'alice'), { bootstrap, encrypt: true })
await alice.ready()
await alice.put('plan', 'meet at the old mill at noon')
await alice.join()

// The seeder (an always-on machine) gets the database key, never the encryption key.
const seeder = new Seeder(path.join(dir, 'seeder'), { bootstrap })
await seeder.ready()
await seeder.add(alice.key)
await seeder.join()
while (seeder.status()[0]!.blocks < 2) await new Promise((resolve) => seeder.once('update', resolve))
const [held] = seeder.status()
console.log(`the seeder holds ${held!.blocks} blocks (${held!.bytes} bytes) of alice's log`)

// Alice goes offline. Bob was handed both keys (an invite carries them for a writer).
const { encryptionKey } = alice
await alice.close()
const bob = new PeerBee(path.join(dir, 'bob'), { bootstrap, key: alice.key, encryptionKey: encryptionKey! })
await bob.ready()
await bob.join()
let plan = await bob.get('plan')
while (plan === null) {
  await new Promise((resolve) => bob.once('update', resolve))
  plan = await bob.get('plan')
}
console.log('bob reads from the seeder alone:', plan.value)

// What the seeder stores, searched for the plan in clear.
let found = false
for (const entry of await readdir(path.join(dir, 'seeder'), { recursive: true, withFileTypes: true })) {
  if (entry.isFile()) found ||= (await readFile(path.join(entry.parentPath, entry.name))).includes('old mill')
}
console.log('the plan in clear in the seeder files:', found)

await bob.close()
await seeder.close()
await testnet.destroy()
await rm(dir, { recursive: true, force: true })
