import { probeBootstrap, type PeerBee } from '../lib/index.js'
import { UserError } from './errors.js'
import type { Output } from './format.js'
import { shutdown, within } from './waits.js'

/**
 * The bootstrap nodes (default: the public DHT's) when none of them answers; null once one
 * does. Without a bootstrap node the swarm can find no peer, however long it waits.
 */
function silentBootstrap(bootstrap: string[]): Promise<string[] | null> {
  return probeBootstrap(bootstrap.length > 0 ? bootstrap : undefined, { signal: shutdown.signal }).then((answers) =>
    answers.some((a) => a.answered) ? null : answers.map((a) => a.address)
  )
}

function noBootstrap(addresses: string[]): string {
  return `No DHT bootstrap node answered (${addresses.join(', ')}): check --bootstrap (on one machine, \`peerbee dht\` runs one)`
}

/** How long a sync whose DHT is silent waits for a peer on the local network. */
const LAN_WAIT_MS = 10_000

/**
 * Joins the swarm and waits for a first peer, for at most `timeout` ms. When no bootstrap node
 * answers it fails at once, or with LAN discovery on once no peer on this network answered for
 * a few seconds; otherwise it tells a silent DHT apart from a database no peer serves.
 */
export async function reachPeer(db: PeerBee, bootstrap: string[], timeout: number, lan: boolean): Promise<void> {
  let dhtAnswered = false
  const lanWait = Math.min(timeout, LAN_WAIT_MS)
  const dhtSilent = silentBootstrap(bootstrap).then(async (addresses) => {
    if (addresses !== null) {
      if (lan) await new Promise((resolve) => setTimeout(resolve, lanWait).unref())
      const onLan = lan ? `, and no peer on this network answered within ${lanWait / 1000} s` : ''
      throw new UserError(noBootstrap(addresses) + onLan)
    }
    dhtAnswered = true
    // A node answered: from here only a peer, or the timeout, ends the wait.
    return new Promise<never>(() => {})
  })
  // With the DHT silent, join() takes a while to give up on it: a LAN peer may come first.
  const peer = new Promise<void>((resolve, reject) => {
    firstPeer(db).then(resolve, reject)
    db.join().catch(reject)
  })
  const late = () => {
    const why = dhtAnswered ? ': a DHT bootstrap node answered, but no peer serves this database' : ''
    return new UserError(
      `No peer found within ${timeout / 1000} s${why} (is \`peerbee serve\` running on a peer that has it?)`
    )
  }
  await within(Promise.race([peer, dhtSilent]), timeout, late)
}

/** update() catches up with the peers connected now, so first wait for one. */
function firstPeer(db: PeerBee): Promise<void> {
  if (db.status().peers > 0) return Promise.resolve()
  return new Promise((resolve) => db.once('peer-add', () => resolve()))
}

/**
 * Joins the swarm and waits, at most `ms`, until there is something to report: the first
 * lookup done and a peer connected; with no DHT bootstrap node answering, a peer found on the
 * local network, or nothing more to wait for when LAN discovery is off (the announce would
 * only time out). Never fails for want of a peer.
 */
export async function settle(db: PeerBee, bootstrap: string[], lan: boolean, ms: number): Promise<void> {
  const connected = firstPeer(db)
  const joined = db.join()
  const silent = silentBootstrap(bootstrap).then(
    (addresses) => (addresses === null ? new Promise<never>(() => {}) : lan ? connected : undefined),
    // Stopped by Ctrl-C: the command is ending.
    () => new Promise<never>(() => {})
  )
  let timer: NodeJS.Timeout | undefined
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))
  try {
    await Promise.race([Promise.all([joined, connected]), silent, elapsed])
  } finally {
    clearTimeout(timer)
  }
}

/** For commands that stay online: says so when no bootstrap node answers, and goes on. */
export function reportSilentBootstrap(out: Output, bootstrap: string[], lan: boolean): void {
  silentBootstrap(bootstrap).then(
    (addresses) => {
      if (addresses === null) return
      if (out.json) out.emit({ event: 'no-bootstrap', bootstrap: addresses }, () => null)
      else
        out.note(
          `${noBootstrap(addresses)}; until one answers ${lan ? 'only peers on this network' : 'no peer'} can find this one`
        )
    },
    // Stopped by Ctrl-C.
    () => {}
  )
}
