import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import type { Output } from '../format.js'
import { formatValue } from '../values.js'
import { startBootstrapNode, type BootstrapNode } from '../dht-node.js'
import { PeerProcess } from './peer-process.js'
import { SeederProcess } from './seeder-process.js'
import { abortable } from '../waits.js'

/** An entry as a demo peer reports it (keys in z-base32). */
interface DumpEntry {
  key: string
  value: unknown
  writer: string
  conflicts: Array<{ value: unknown; deleted: boolean; writer: string }>
}

interface StatusReply {
  role: string | null
  peers: number
  writers: Array<{ key: string; indexed: number }>
}

/** One row of the closing table. */
interface Row {
  peer: string
  pid: number
  role: string
  state: string
  keys: number
  conflicts: number
  logs: string
}

/**
 * `peerbee demo`: a private DHT on loopback and peers in their own processes. Two writers
 * write, conflict and replicate; the root writer is killed; a newcomer still gets everything
 * from the survivors. Then an encrypted db: two writers, a blind seeder (`peerbee seed`) that
 * keeps their logs with the db key only; both writers are killed and a newcomer given the keys
 * reads everything from the seeder, whose files hold no value in clear. Prints what happened;
 * removes every trace.
 */
export async function runDemo(out: Output): Promise<void> {
  const started = Date.now()
  const say = (text: string) => {
    const t = (Date.now() - started) / 1000
    out.emit({ t, text }, () => `[${t.toFixed(1).padStart(5)}s] ${text}`)
  }
  const section = (title: string) => out.emit({ section: title }, () => `\n== ${title}`)

  const root = await mkdtemp(path.join(tmpdir(), 'peerbee-demo-'))
  const peers: PeerProcess[] = []
  // Set by the story; typed so the cleanup does not narrow it to its initial null.
  let dht = null as BootstrapNode | null
  let seeder = null as SeederProcess | null
  const start = async (name: string, open: string[] = []) => {
    const peer = await PeerProcess.start(name, path.join(root, name), dht!.address, open)
    peers.push(peer)
    return peer
  }

  // The first Ctrl-C ends the story at once; the cleanup below still runs.
  const story = async () => {
    section('Setup: no server, no internet')
    dht = await startBootstrapNode(0)
    say(`DHT bootstrap node listening on ${dht.address} (loopback only)`)
    const alice = await start('alice')
    say(`alice (pid ${alice.pid}) created database ${alice.key.slice(0, 12)}... and is its root admin`)
    const bob = await start('bob', [alice.key])
    say(`bob (pid ${bob.pid}) opened the database by its key: a reader until an admin adds him`)
    await alice.request({ op: 'add-writer', key: bob.writerKey })
    await bob.request({ op: 'wait', writable: true })
    say(`alice added bob's writer key; the add-writer op replicated and bob can write`)
    const names = new Map([
      [alice.writerKey, 'alice'],
      [bob.writerKey, 'bob']
    ])

    section('Two writers replicate both ways')
    const fromAlice = { 'todo/1': { title: 'buy milk', done: false }, 'todo/2': { title: 'water plants', done: true } }
    const fromBob = { 'todo/3': { title: 'fix the bike', done: false } }
    for (const [key, value] of Object.entries(fromAlice)) await alice.request({ op: 'put', key, value })
    for (const [key, value] of Object.entries(fromBob)) await bob.request({ op: 'put', key, value })
    say('alice wrote todo/1 and todo/2; bob wrote todo/3')
    let t = Date.now()
    await Promise.all([
      bob.request({ op: 'wait', keys: fromAlice }).then(() => say(`bob has alice's todos (${Date.now() - t} ms)`)),
      alice.request({ op: 'wait', keys: fromBob }).then(() => say(`alice has bob's todo (${Date.now() - t} ms)`))
    ])

    section('A concurrent conflict')
    await Promise.all([alice.request({ op: 'leave' }), bob.request({ op: 'leave' })])
    say('alice and bob go offline (they leave the swarm)')
    await alice.request({ op: 'put', key: 'color', value: 'blue' })
    await bob.request({ op: 'put', key: 'color', value: 'green' })
    say('offline, alice writes color = "blue" and bob writes color = "green": neither sees the other')
    t = Date.now()
    await Promise.all([alice.request({ op: 'join' }), bob.request({ op: 'join' })])
    await Promise.all([alice, bob].map((p) => p.request({ op: 'wait', conflicts: { color: 1 } })))
    const [aliceColor, bobColor] = await Promise.all(
      [alice, bob].map(async (p) => colorOf(await p.request<DumpEntry[]>({ op: 'dump' })))
    )
    if (!isDeepStrictEqual(aliceColor, bobColor)) throw new Error('alice and bob resolved the conflict differently')
    const loser = aliceColor!.conflicts[0]!
    say(`back online (${Date.now() - t} ms), both peers show the same result:`)
    say(
      `  color = ${formatValue(aliceColor!.value)} by ${names.get(aliceColor!.writer)}: the greatest (clock, writer key, seq) wins`
    )
    say(`  ${formatValue(loser.value)} by ${names.get(loser.writer)} stays visible in the entry's conflicts`)
    const total = Object.keys(fromAlice).length + Object.keys(fromBob).length + 1

    section('A reader, a crash and a newcomer')
    const carol = await start('carol', [alice.key])
    await carol.request({ op: 'wait', count: total, conflicts: { color: 1 } })
    say(`carol (pid ${carol.pid}) joined as a reader and holds all ${total} keys`)
    const aliceRow = await row(alice, 'killed')
    await alice.kill()
    say(`alice (pid ${alice.pid}), the root writer and only admin, is killed with SIGKILL`)
    t = Date.now()
    const dave = await start('dave', [alice.key])
    await dave.request({ op: 'wait', count: total, conflicts: { color: 1 } })
    say(`dave (pid ${dave.pid}), a new peer with an empty dir, holds all ${total} keys (${Date.now() - t} ms):`)
    say(`  alice's log came from bob and carol, since every full peer serves every log`)
    await bob.request({ op: 'put', key: 'color', value: 'teal' })
    await Promise.all(
      [carol, dave].map((p) => p.request({ op: 'wait', keys: { color: 'teal' }, conflicts: { color: 0 } }))
    )
    say('bob writes color = "teal", citing both versions he saw: the conflict is resolved on every peer')

    const survivors = [bob, carol, dave]
    const dumps = await Promise.all(survivors.map((p) => p.request<DumpEntry[]>({ op: 'dump' })))
    const same = dumps.every((d) => isDeepStrictEqual(d, dumps[0]))
    if (!same) throw new Error('the surviving peers do not hold the same state')
    say(`bob, carol and dave hold identical state: ${dumps[0]!.length} keys, no conflicts`)

    section('Summary')
    const rows = [aliceRow, ...(await Promise.all(survivors.map((p) => row(p, 'running'))))]
    out.emit({ summary: rows }, () => table(rows, [alice.writerKey, bob.writerKey]))

    section('An encrypted database, kept by a blind seeder while every writer is gone')
    const erin = await start('erin', ['--encrypt'])
    say(
      `erin (pid ${erin.pid}) created the encrypted database ${erin.key.slice(0, 12)}...: logs and index encrypted block by block`
    )
    seeder = await SeederProcess.start(path.join(root, 'seeder'), dht!.address, erin.key)
    say(`a seeder (pid ${seeder.pid}, peerbee seed) was given the database key only: it cannot read what it keeps`)
    const frank = await start('frank', [erin.key, erin.encryptionKey!])
    await erin.request({ op: 'add-writer', key: frank.writerKey })
    await frank.request({ op: 'wait', writable: true })
    say('erin added frank, who was handed the encryption key with the database key')
    const diary = { 'diary/erin': 'the cake is in the oven', 'diary/frank': 'surprise party on friday' }
    await erin.request({ op: 'put', key: 'diary/erin', value: diary['diary/erin'] })
    await frank.request({ op: 'put', key: 'diary/frank', value: diary['diary/frank'] })
    await Promise.all([erin, frank].map((p) => p.request({ op: 'wait', keys: diary })))
    const logs = (await erin.request<StatusReply>({ op: 'status' })).writers
    const blocks = logs.reduce((n, w) => n + w.indexed, 0)
    const held = await seeder.until((s) => s !== null && s.writers === 2 && s.blocks >= blocks && s.blocks === s.length)
    say(
      `erin and frank each wrote a diary entry; the seeder holds both writer logs (${held!.blocks} blocks, ${held!.bytes} bytes)`
    )
    await Promise.all([erin.kill(), frank.kill()])
    say(`erin (pid ${erin.pid}) and frank (pid ${frank.pid}) are killed with SIGKILL: no writer is online`)
    t = Date.now()
    const gina = await start('gina', [erin.key, erin.encryptionKey!])
    await gina.request({ op: 'wait', keys: diary })
    say(
      `gina (pid ${gina.pid}), a new peer given both keys, reads both entries (${Date.now() - t} ms): every block came from the seeder`
    )
    const found = await Promise.all(Object.values(diary).map((text) => holdsText(seeder!.dir, text)))
    say(`the seeder's files searched for either entry's text: ${found.some(Boolean) ? 'FOUND' : 'not found'}`)
  }
  try {
    await abortable(story())
  } finally {
    const count = peers.length
    await Promise.all([...peers.map((p) => p.stop()), seeder?.stop()])
    await dht?.node.destroy()
    await rm(root, { recursive: true, force: true })
    const seeding = seeder === null ? '' : ' and the seeder'
    say(`cleaned up: ${count} peer processes${seeding} stopped, the DHT node closed, ${root} removed`)
  }
}

/** Whether any file below `dir` holds `text`: a seeder's storage must not, for any value. */
async function holdsText(dir: string, text: string): Promise<boolean> {
  const needle = Buffer.from(text)
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && (await readFile(path.join(entry.parentPath, entry.name))).includes(needle)) return true
  }
  return false
}

function colorOf(entries: DumpEntry[]): DumpEntry | undefined {
  return entries.find((e) => e.key === 'color')
}

async function row(peer: PeerProcess, state: string): Promise<Row> {
  const [status, dump] = await Promise.all([
    peer.request<StatusReply>({ op: 'status' }),
    peer.request<DumpEntry[]>({ op: 'dump' })
  ])
  const logs = status.writers.map((w) => `${w.key.slice(0, 6)}:${w.indexed}`).join(' ')
  return {
    peer: peer.name,
    pid: peer.pid,
    role: status.role ?? 'reader',
    state,
    keys: dump.length,
    conflicts: dump.filter((e) => e.conflicts.length > 0).length,
    logs
  }
}

function table(rows: Row[], writers: string[]): string {
  const head = ['peer', 'pid', 'role', 'state at end', 'keys', 'conflicts', 'log blocks indexed (writer:blocks)']
  const cells = rows.map((r) => [r.peer, String(r.pid), r.role, r.state, String(r.keys), String(r.conflicts), r.logs])
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  const legend = `writers: ${writers.map((w, i) => `${w.slice(0, 6)} = ${i === 0 ? 'alice' : 'bob'}`).join(', ')}`
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), legend].join('\n')
}
