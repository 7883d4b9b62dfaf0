import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { tempDir } from '../helpers.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))

/**
 * A TypeScript app that installs the packed package (strict, NodeNext, skipLibCheck false)
 * compiles code that uses every public method, with nothing but peerbee and Node's types:
 * the declarations must not lean on the untyped Holepunch modules. The `@ts-expect-error`
 * lines prove that the types refuse what they must (tsc reports one that is not needed).
 */
const APP = `
import {
  PeerBee,
  PeerBeeError,
  Seeder,
  type Batch,
  type Change,
  type ChangeBatch,
  type ChangesOptions,
  type CorestoreLike,
  type Entry,
  type HyperswarmLike,
  type InvalidEntry,
  type PeerBeeErrorCode,
  type PeerInfo,
  type Range,
  type SeededDb,
  type Snapshot,
  type Status,
  type SubDatabase,
  type SyncProgress,
  type Version,
  type WriterInfo
} from 'peerbee'
import { PeerBeeLevel } from 'peerbee/level'

const db = new PeerBee<string, { n: number }>('./data', { valueEncoding: 'json', bootstrap: ['127.0.0.1:49737'] })
await db.ready()
const ready: boolean = db.opened && !db.closed && db.closing === null
const key: Uint8Array = db.key
const id: string = db.id
const discoveryKey: Uint8Array = db.discoveryKey
const writerKey: Uint8Array = db.writerKey
const writable: boolean = db.writable
const role: 'admin' | 'writer' | null = db.role

await db.put('k', { n: 1 })
await db.del('k')
const batch: Batch<string, { n: number }> = db.batch()
batch.put('a', { n: 2 }).del('b')
const ops: number = batch.length
await batch.flush()
const entry: Entry<string, { n: number }> | null = await db.get('a')
const value: number | undefined = entry?.value.n
const range: Range<string> = { gte: 'a', lt: 'z', prefix: 'a', reverse: true, limit: 10 }
for await (const e of db.list(range)) console.log(e.key, e.value.n, e.conflicts.length)
const snap: Snapshot<string, { n: number }> = db.snapshot()
await snap.get('a')
for await (const e of snap.list()) console.log(e.seq, e.clock, e.writer)
await snap.close()
for await (const changes of db.watch({ prefix: 'a' })) {
  const first: Change<string, { n: number }> | undefined = changes[0]
  console.log(first?.key, first?.deleted, first?.value?.n)
  break
}
const versions: Array<Version<string, { n: number }>> = await db.history('a')
const feed: ChangesOptions<string> = { since: 'checkpoint', live: false, range: { prefix: 'a' } }
for await (const batch of db.changes(feed)) {
  const cp: string = batch.checkpoint
  const first: Change<string, { n: number }> | undefined = batch.changes[0]
  console.log(cp, first?.value?.n)
}
const users: SubDatabase<string, { name: string }> = db.sub<string, { name: string }>('users')
await users.put('ada', { name: 'Ada' })
const userBatch: AsyncIterable<ChangeBatch<string, { name: string }>> = users.changes()
const blobs: SubDatabase<Uint8Array, Uint8Array> = users.sub<Uint8Array, Uint8Array>(new Uint8Array([1]), {
  keyEncoding: 'binary',
  valueEncoding: 'binary'
})
const cleared: number = await db.clear({ prefix: 'a', limit: 10 })
const prefix: Uint8Array = blobs.prefix
const level = new PeerBeeLevel<string, { n: number }>(db, { valueEncoding: 'json', prefix: 'level' })
await level.put('k', { n: 1 })
const fromLevel: { n: number } | undefined = await level.get('k')
await level.close()
console.log(userBatch, cleared, prefix, fromLevel?.n)
await db.addWriter(new Uint8Array(32), { role: 'writer' })
await db.removeWriter('a'.repeat(64))
const writers: WriterInfo[] = await db.writers()
const stream = db.replicate(true)
stream.destroy()
await db.join({ server: true, client: true })
await db.update()
const invite: string = await db.createInvite({ role: 'writer', expires: Date.now() + 1000 })
await db.leave()
const status: Status = db.status()

db.on('update', () => {})
db.once('ready', () => {})
db.on('sync', (p: SyncProgress) => console.log(p.downloaded, p.indexed, p.length, p.peers))
db.on('invalid', (info: InvalidEntry) => console.log(info.reason, info.seq))
db.on('peer-add', (peer: PeerInfo) => console.log(peer.publicKey))
db.off('peer-remove', (peer: PeerInfo) => console.log(peer.publicKey))
db.on('error', (err: Error) => console.log(err.message))
await new Promise((resolve) => db.once('update', resolve))

const paired = await PeerBee.pair<string, string>('./other', invite, { bootstrap: ['127.0.0.1:49737'], timeout: 1000 })
await paired.close()
declare const store: CorestoreLike
declare const swarm: HyperswarmLike
const shared = new PeerBee<Uint8Array, Uint8Array>(store, { swarm, keyEncoding: 'binary', valueEncoding: 'binary' })
const bytes: Uint8Array | undefined = (await shared.get(new Uint8Array([1])))?.value

const secret = new PeerBee<string, string>('./secret', { encrypt: true })
await secret.ready()
const encryptionKey: Uint8Array | null = secret.encryptionKey
const reader = new PeerBee('./reader', { key: secret.id, encryptionKey: encryptionKey ?? 'hex or z-base32' })
const encryption: 'key' | 'no-key' | null = reader.status().encryption
const seeder = new Seeder('./seeds', { bootstrap: ['127.0.0.1:49737'], maxBytes: 10 ** 9 })
await seeder.ready()
await seeder.add(secret.key)
await seeder.remove(secret.id)
seeder.replicate(true).destroy()
await seeder.join()
await seeder.update()
await seeder.update(secret.key)
const seeded: SeededDb[] = seeder.status()
const full: boolean = seeder.full
seeder.on('update', (dbKey: string) => console.log(dbKey))
await seeder.close()
console.log(encryption, seeded[0]?.blocks, seeded[0]?.bytes, full)

try {
  await db.close()
} catch (err) {
  if (err instanceof PeerBeeError) {
    const code: PeerBeeErrorCode = err.code
    console.log(code, err.cause)
  }
}
console.log(ready, key, id, discoveryKey, writerKey, writable, role, ops, value, versions, writers, status, bytes)

// @ts-expect-error storage is a directory path or a Corestore
new PeerBee(42)
// @ts-expect-error 'sync' gives a SyncProgress, which has no such field
db.on('sync', (p) => p.nonexistent.deep)
// @ts-expect-error not an event of a PeerBee
db.on('no-such-event', () => {})
// @ts-expect-error writes go through put, del, batch and membership calls only
db.write([])
// @ts-expect-error the wiring is not part of the API
db.layers
// @ts-expect-error keys are strings with the default key encoding
await db.get(new Uint8Array([1]))
// @ts-expect-error a sub-database's keys are of its own type
await users.get(42)
// @ts-expect-error changes() takes a range without reverse or limit
db.changes({ range: { reverse: true } })
// @ts-expect-error a seeder keeps logs, it has no data API
await seeder.get('a')
`

async function installedVersion(name: string): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(root, 'node_modules', name, 'package.json'), 'utf-8'))
  return (pkg as { version: string }).version
}

test('an app compiles against the packed package with strict types and skipLibCheck false', async (t) => {
  const dir = await tempDir(t, 'peerbee-consumer-')
  // The package as published: dist as built by the install, packed without building again.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root })
  const [{ filename }] = JSON.parse(stdout) as Array<{ filename: string }>
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  await writeFile(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node']
      },
      files: ['app.ts']
    })
  )
  await writeFile(path.join(dir, 'app.ts'), APP)
  const typescript = `typescript@${await installedVersion('typescript')}`
  const nodeTypes = `@types/node@${await installedVersion('@types/node')}`
  // Everything is in the npm cache after the project's own install.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${filename}`, typescript, nodeTypes], {
    cwd: dir
  })
  const tsc = await run(process.execPath, [path.join(dir, 'node_modules/typescript/bin/tsc'), '-p', dir]).then(
    () => '',
    (err: { stdout: string }) => err.stdout
  )
  assert.equal(tsc, '', 'tsc reports nothing')
})
