/**
 * When a live progress view renders: at most ten times a second while events come in bursts,
 * and once a second anyway (remote lengths change without an event).
 */
export class RenderLoop {
  private timer: NodeJS.Timeout | null = null
  private readonly ticker: NodeJS.Timeout
  private readonly render: () => void
  private readonly alive: () => boolean

  /** `render` runs only while `alive()` holds (the db or seeder is not closing). */
  constructor(render: () => void, alive: () => boolean) {
    this.render = render
    this.alive = alive
    this.ticker = setInterval(this.schedule, 1000)
  }

  /** Something changed: render soon. */
  readonly schedule = (): void => {
    if (this.timer !== null) return
    this.timer = setTimeout(() => {
      this.timer = null
      if (this.alive()) this.render()
    }, 100)
  }

  stop(): void {
    clearInterval(this.ticker)
    if (this.timer !== null) clearTimeout(this.timer)
  }
}
