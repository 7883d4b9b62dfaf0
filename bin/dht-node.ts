import { createSocket } from 'node:dgram'
import HyperDHT from 'hyperdht'
import { UserError } from './errors.js'

/** A DHT bootstrap node on 127.0.0.1, and its address as `--bootstrap` takes it. */
export interface BootstrapNode {
  node: HyperDHT
  address: string
}

/**
 * Starts a bootstrap node for a private DHT on this machine, on `port` (0: a free one).
 * Peers reach it with `--bootstrap 127.0.0.1:<port>`.
 */
export async function startBootstrapNode(port: number): Promise<BootstrapNode> {
  const bound = port === 0 ? await freeUdpPort() : port
  const node = HyperDHT.bootstrapper(bound, '127.0.0.1', { host: '127.0.0.1' })
  try {
    await node.fullyBootstrapped()
  } catch (err) {
    await node.destroy().catch(() => {})
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    throw new UserError(
      `UDP port ${bound} of 127.0.0.1 is in use (another \`peerbee dht\`?): pick another --port, or --port 0 for a free one`
    )
  }
  const { port: actual } = node.address()
  return { node, address: `127.0.0.1:${actual}` }
}

/** The bootstrapper needs a fixed port: ask the OS for one that is free right now. */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4')
    socket.once('error', reject)
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address()
      socket.close(() => resolve(port))
    })
  })
}
