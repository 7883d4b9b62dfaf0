import type { Duplex } from 'stream'

/**
 * The replication streams a db handed out. They end before its store closes: a block still
 * arriving on one would otherwise be verified after the storage under it has closed.
 */
export class ReplicationStreams {
  private readonly open = new Set<Duplex>()

  add(stream: Duplex): Duplex {
    this.open.add(stream)
    stream.once('close', () => this.open.delete(stream))
    return stream
  }

  /** Destroys every stream still open and resolves once each has closed. */
  async close(): Promise<void> {
    const closing = [...this.open].map(
      (stream) =>
        new Promise<void>((resolve) => {
          stream.once('close', resolve)
          stream.destroy()
        })
    )
    await Promise.all(closing)
  }
}
