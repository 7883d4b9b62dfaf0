import type { Command } from 'commander'
import type { PeerBee, PeerConnection } from '../../lib/index.js'
import { settle } from '../bootstrap-check.js'
import { withDb } from '../context.js'
import { Output, countOption, formatKey, parseKey, shortKey } from '../format.js'
import { unknownCommand } from '../suggest.js'

/** Bytes as people read them. */
function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** One line per connection: key, who it is, direction, address, bytes received and sent. */
function connectionLine(c: PeerConnection): string {
  const who = c.writer === null ? c.standing : `member (writer ${shortKey(c.writer)})`
  const where = `${c.address ?? 'address unknown'}${c.lan ? ' (LAN)' : ''}`
  const direction = c.direction === 'inbound' ? 'in ' : 'out'
  return `${formatKey(c.publicKey)}  ${direction}  ${where}  received ${size(c.bytesRead)}, sent ${size(c.bytesWritten)}  ${who}`
}

function connectionJson(c: PeerConnection) {
  return { ...c, publicKey: formatKey(c.publicKey), writer: c.writer === null ? null : formatKey(c.writer) }
}

function report(db: PeerBee, out: Output): void {
  const connections = db.connections()
  const { allow, deny } = db.listedPeers()
  out.emit(
    {
      peerKey: formatKey(db.peerKey),
      connections: connections.map(connectionJson),
      allow: allow.map(formatKey),
      deny: deny.map(formatKey)
    },
    () =>
      [
        `peer key  ${formatKey(db.peerKey)} (this peer)`,
        connections.length === 0 ? 'no peer connected' : `${connections.length} connected:`,
        ...connections.map((c) => `  ${connectionLine(c)}`),
        `allow     ${allow.length === 0 ? '(none)' : allow.map(formatKey).join(' ')}`,
        `deny      ${deny.length === 0 ? '(none)' : deny.map(formatKey).join(' ')}`
      ].join('\n')
  )
}

/** `peerbee peers`: the connected peers and the lists; `peers allow|deny|unlist <key>`. */
export function registerPeers(program: Command): void {
  const peers = program
    .command('peers')
    .description('join, then list the connected peers (keys, addresses, direction, bytes) and the allow and deny lists')
    .option('--timeout <seconds>', 'how long to wait for peers to connect', countOption('--timeout'), 5)
    // A mistyped subcommand arrives here as an argument.
    .allowExcessArguments(true)
    .action(async (opts: { timeout: number }, cmd: Command) => {
      const [typed] = cmd.args
      if (typed !== undefined) throw unknownCommand(cmd, ['peers', typed])
      await withDb(cmd, { existing: true }, async (db, globalOpts) => {
        await settle(db, globalOpts.bootstrap, globalOpts.lan, opts.timeout * 1000)
        report(db, new Output(globalOpts))
      })
    })

  const list = (name: 'allow' | 'deny' | 'unlist', description: string, done: string) =>
    peers
      .command(name)
      .description(description)
      .argument('<key>', "the peer's key (z-base32 or hex), as `peerbee status` or `peerbee peers` shows it")
      .action(async (key: string, _opts, cmd: Command) => {
        const peerKey = parseKey(key, 'peer key')
        await withDb(cmd, { existing: true }, async (db, globalOpts) => {
          if (name === 'allow') await db.allowPeer(peerKey)
          else if (name === 'deny') await db.denyPeer(peerKey)
          else await db.unlistPeer(peerKey)
          new Output(globalOpts).emit({ [name]: formatKey(peerKey) }, () => `${done} ${formatKey(peerKey)}`)
        })
      })
  list('allow', 'always admit this peer, and prefer it when the connections are at their caps', 'allowed')
  list('deny', 'always refuse this peer, before it learns anything', 'denied')
  list('unlist', 'take this peer off the allow and deny lists', 'unlisted')
}
