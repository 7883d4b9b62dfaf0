import cliProgress from 'cli-progress'
import type { SeededDb, Seeder } from '../lib/index.js'
import type { Output } from './format.js'
import { RenderLoop } from './render-loop.js'

/** Bytes for people: 1.2 MB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let n = bytes
  let unit = 0
  while (n >= 1000 && unit < units.length - 1) {
    n /= 1000
    unit++
  }
  return `${unit === 0 ? n : n.toFixed(1)} ${units[unit]}`
}

/**
 * Shows what a seeder holds while it runs: a live bar per db on a terminal, a plain line per
 * change when piped, one JSON object per change with `--json` (`{"event":"db",...}` with the
 * fields of `Seeder.status()`, and `{"event":"full",...}` when `--max-bytes` is reached or freed).
 */
export class SeedReporter {
  private readonly seeder: Seeder
  private readonly view: View
  private readonly seen = new Map<string, string>()
  private full = false
  private readonly loop: RenderLoop

  constructor(seeder: Seeder, out: Output) {
    this.seeder = seeder
    this.view = out.json ? new JsonView() : process.stdout.isTTY ? new BarView() : new LineView()
    this.loop = new RenderLoop(
      () => this.refresh(),
      () => seeder.opened && !seeder.closed
    )
    seeder.on('update', this.loop.schedule)
    this.refresh()
  }

  stop(): void {
    this.seeder.off('update', this.loop.schedule)
    this.loop.stop()
    this.view.stop()
  }

  refresh(): void {
    for (const db of this.seeder.status()) {
      const state = `${db.writers} ${db.blocks} ${db.length} ${db.bytes} ${db.peers}`
      if (this.seen.get(db.key) === state) continue
      this.seen.set(db.key, state)
      this.view.db(db)
    }
    if (this.seeder.full !== this.full) {
      this.full = this.seeder.full
      this.view.full(this.full)
    }
  }
}

interface View {
  db(status: SeededDb): void
  full(full: boolean): void
  stop(): void
}

class JsonView implements View {
  db(status: SeededDb): void {
    process.stdout.write(JSON.stringify({ event: 'db', ...status }) + '\n')
  }

  full(full: boolean): void {
    process.stdout.write(JSON.stringify({ event: 'full', full }) + '\n')
  }

  stop(): void {}
}

function describe(db: SeededDb): string {
  const writers = `${db.writers} writer${db.writers === 1 ? '' : 's'}`
  return `${writers}, ${db.blocks}/${db.length} blocks, ${formatBytes(db.bytes)}, ${db.peers} peers`
}

const FULL_NOTE = {
  true: 'max bytes reached: downloading no more, serving what is held',
  false: 'below max bytes: downloading'
}

class LineView implements View {
  db(status: SeededDb): void {
    process.stdout.write(`db ${status.key.slice(0, 8)}: ${describe(status)}\n`)
  }

  full(full: boolean): void {
    process.stdout.write(`${FULL_NOTE[`${full}`]}\n`)
  }

  stop(): void {}
}

class BarView implements View {
  private readonly bars: cliProgress.MultiBar
  private readonly header: cliProgress.SingleBar
  private readonly dbs = new Map<string, cliProgress.SingleBar>()

  constructor() {
    this.bars = new cliProgress.MultiBar(
      {
        stream: process.stdout,
        format: ' {db} |{bar}| {detail}',
        barsize: 30,
        hideCursor: true,
        autopadding: true
      },
      cliProgress.Presets.shades_classic
    )
    this.header = this.bars.create(0, 0, { note: '' }, { format: ' blind seeder  {note}' })
  }

  db(status: SeededDb): void {
    const payload = { db: status.key.slice(0, 8), detail: describe(status) }
    let bar = this.dbs.get(status.key)
    if (bar === undefined) {
      bar = this.bars.create(status.length, status.blocks, payload)
      this.dbs.set(status.key, bar)
    }
    bar.setTotal(status.length)
    bar.update(status.blocks, payload)
  }

  full(full: boolean): void {
    this.header.update(0, { note: FULL_NOTE[`${full}`] })
  }

  stop(): void {
    this.bars.stop()
  }
}
