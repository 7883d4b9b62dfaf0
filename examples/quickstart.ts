import { PeerBee } from '../lib/index.js'

// No key: create a database in ./my-db (or open the one it holds). This peer is its admin.
const db = new PeerBee('./my-db')
await db.ready()
console.log('database key:', db.id)

await db.put('greeting', { text: 'hello' })
const entry = await db.get('greeting')
console.log(entry?.value) // { text: 'hello' }

// A batch is one atomic entry: every peer applies all of it or none.
await db.batch().put('todo/1', 'buy milk').put('todo/2', 'water plants').flush()
for await (const { key, value } of db.list({ prefix: 'todo/' })) console.log(key, value)

await db.del('todo/1')
for (const v of await db.history('todo/1')) console.log(v.deleted ? 'deleted' : `put ${String(v.value)}`)

await db.close()
