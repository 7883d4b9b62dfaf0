/**
 * A watch-driven live view: a scoreboard redrawn from db.watch() whenever the index changes,
 * whoever made the change (this process or a replicating peer). Here a game loop writes; the
 * view announces the winner when a score reaches the target and stops watching.
 *
 *   tsx examples/live-view.ts
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PeerBee } from '../lib/index.js'

const TARGET = 4
const dir = await mkdtemp(path.join(tmpdir(), 'peerbee-live-view-'))
const db = new PeerBee<string, number>(dir)
await db.ready()

/** The view keeps no state of its own: it re-reads the range after each change. */
async function render(): Promise<string | null> {
  let winner: string | null = null
  const rows: string[] = []
  for await (const { key, value } of db.list({ prefix: 'score/' })) {
    const player = key.slice('score/'.length)
    rows.push(`${player.padEnd(6)} ${'#'.repeat(value).padEnd(TARGET)} ${value}`)
    if (value >= TARGET) winner = player
  }
  console.log(`--- scoreboard ---\n${rows.join('\n')}`)
  return winner
}

const view = (async () => {
  // Changes that arrive while a render runs are delivered together, as one array.
  for await (const changes of db.watch({ prefix: 'score/' })) {
    console.log(`changed: ${changes.map((c) => c.key).join(', ')}`)
    const winner = await render()
    if (winner !== null) {
      console.log(`${winner} wins`)
      return
    }
  }
})()

const moves = [
  ['ada', 1],
  ['lin', 2],
  ['ada', 3],
  ['kay', 1],
  ['lin', 4]
] as const
for (const [player, score] of moves) await db.put(`score/${player}`, score)
await db.put('seen/ada', 1) // outside the watched range: no redraw

await view
await db.close()
await rm(dir, { recursive: true, force: true })
