import cliProgress from 'cli-progress'
import type { PeerBee, WriterInfo } from '../lib/index.js'
import { Output, formatKey, shortKey, writerJson } from './format.js'
import { RenderLoop } from './render-loop.js'

/**
 * Shows peers and per-writer sync progress of a joined db while it runs: a live bar per
 * writer on a terminal, a plain line per change when piped, one JSON object per change with
 * `--json` (`{"event":"peers",...}` and `{"event":"writer",...}`).
 */
export class SyncReporter {
  private readonly db: PeerBee
  private readonly view: View
  private readonly seen = new Map<string, string>()
  private peers = -1
  private readonly loop: RenderLoop
  // A peer that only syncs may come and go within one render interval: show it at once.
  private readonly onPeer = () => {
    if (this.db.closing === null) this.refresh()
  }

  constructor(db: PeerBee, out: Output) {
    this.db = db
    this.view = out.json ? new JsonView() : process.stdout.isTTY ? new BarView(db) : new LineView()
    this.loop = new RenderLoop(
      () => this.refresh(),
      () => db.closing === null
    )
    for (const event of ['update', 'sync'] as const) db.on(event, this.loop.schedule)
    for (const event of ['peer-add', 'peer-remove'] as const) db.on(event, this.onPeer)
    this.refresh()
  }

  /** Stops listening and rendering. */
  stop(): void {
    for (const event of ['update', 'sync'] as const) this.db.off(event, this.loop.schedule)
    for (const event of ['peer-add', 'peer-remove'] as const) this.db.off(event, this.onPeer)
    this.loop.stop()
    this.view.stop()
  }

  /** Shows what changed since the last render. */
  refresh(): void {
    const status = this.db.status()
    if (status.peers !== this.peers) {
      this.peers = status.peers
      this.view.peers(status.peers)
    }
    for (const w of status.writers) {
      const id = formatKey(w.key)
      const state = `${w.role} ${w.length} ${w.downloaded} ${w.indexed} ${w.removed}`
      if (this.seen.get(id) === state) continue
      this.seen.set(id, state)
      this.view.writer(w)
    }
  }
}

interface View {
  peers(count: number): void
  writer(w: WriterInfo): void
  stop(): void
}

class JsonView implements View {
  peers(count: number): void {
    process.stdout.write(JSON.stringify({ event: 'peers', peers: count }) + '\n')
  }

  writer(w: WriterInfo): void {
    process.stdout.write(JSON.stringify({ event: 'writer', ...writerJson(w) }) + '\n')
  }

  stop(): void {}
}

class LineView implements View {
  peers(count: number): void {
    process.stdout.write(`peers ${count}\n`)
  }

  writer(w: WriterInfo): void {
    process.stdout.write(
      `writer ${shortKey(w.key)} ${w.role}${w.removed ? ' (removed)' : ''}: ${w.indexed}/${w.length} indexed, ${w.downloaded} downloaded\n`
    )
  }

  stop(): void {}
}

class BarView implements View {
  private readonly bars: cliProgress.MultiBar
  private readonly header: cliProgress.SingleBar
  private readonly writers = new Map<string, cliProgress.SingleBar>()

  constructor(db: PeerBee) {
    this.bars = new cliProgress.MultiBar(
      {
        stream: process.stdout,
        format: ' {writer} {role} |{bar}| {value}/{total} indexed, {downloaded} downloaded',
        barsize: 30,
        hideCursor: true,
        autopadding: true
      },
      cliProgress.Presets.shades_classic
    )
    this.header = this.bars.create(0, 0, { peers: 0 }, { format: ` db ${db.id}  peers {peers}` })
  }

  peers(count: number): void {
    this.header.update(0, { peers: count })
  }

  writer(w: WriterInfo): void {
    const id = formatKey(w.key)
    const payload = {
      writer: shortKey(w.key),
      role: w.removed ? 'removed' : w.role.padEnd(6),
      downloaded: w.downloaded
    }
    let bar = this.writers.get(id)
    if (bar === undefined) {
      bar = this.bars.create(w.length, w.indexed, payload)
      this.writers.set(id, bar)
    }
    bar.setTotal(w.length)
    bar.update(w.indexed, payload)
  }

  stop(): void {
    this.bars.stop()
  }
}
