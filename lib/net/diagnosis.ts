import type { Diagnosis, Finding } from '../types.js'
import type { BootstrapAnswer } from './bootstrap-probe.js'
import type { SessionState } from './swarm-session.js'

export interface DiagnosisInput {
  peerKey: Uint8Array
  bootstrap: BootstrapAnswer[]
  /** The session's state; null before the first join. */
  state: SessionState | null
  membersOnly: boolean
  /** The LAN discovery setting, for a db that has not joined yet. */
  lan: boolean
}

/** A round trip to the DHT above this is slow enough to say so. */
const SLOW_RTT_MS = 1000

/** What is known of this peer's reach, as data and as one finding per line. */
export function diagnosis(input: DiagnosisInput): Diagnosis {
  const { state } = input
  const dht = state?.dht ?? null
  const nat: Diagnosis['nat'] =
    dht === null || dht.nodes.length === 0
      ? 'unknown'
      : !dht.firewalled
        ? 'open'
        : dht.randomized
          ? 'random'
          : dht.host !== null
            ? 'consistent'
            : 'unknown'
  const lan = state?.lan ?? { enabled: input.lan, active: false, heard: 0, why: 'not joined' }
  const out: Omit<Diagnosis, 'findings'> = {
    peerKey: input.peerKey,
    bootstrap: input.bootstrap,
    nat,
    publicAddress: dht !== null && dht.host !== null && dht.port > 0 ? `${dht.host}:${dht.port}` : null,
    joined: state?.joined ?? false,
    // An announce that reached no DHT node finished all the same.
    announced: (state?.announced ?? false) && dht !== null && dht.nodes.length > 0,
    found: state?.found ?? 0,
    inbound: state?.inbound ?? 0,
    outbound: state?.outbound ?? 0,
    maxInbound: state?.maxInbound ?? null,
    maxOutbound: state?.maxOutbound ?? null,
    refused: {
      denied: state?.refused.denied ?? 0,
      notMember: state?.refused['not-member'] ?? 0,
      full: state?.refused.full ?? 0,
      idle: state?.refused.idle ?? 0
    },
    failed: {
      timeout: state?.failed.timeout ?? 0,
      holepunch: state?.failed.holepunch ?? 0,
      notFound: state?.failed['not-found'] ?? 0,
      other: state?.failed.other ?? 0
    },
    relay: false,
    lan: { enabled: lan.enabled, active: lan.active, heard: lan.heard, note: lan.active ? null : lan.why },
    membersOnly: input.membersOnly
  }
  return { ...out, findings: findings(out) }
}

/** `n` and the noun, plural unless n is 1. */
function count(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : noun + 's'}`
}

function finding(level: Finding['level'], topic: string, message: string, advice: string | null = null): Finding {
  return { level, topic, message, advice }
}

function findings(d: Omit<Diagnosis, 'findings'>): Finding[] {
  return [
    dhtFinding(d),
    natFinding(d),
    topicFinding(d),
    peersFinding(d),
    ...refusedFindings(d),
    ...dialFindings(d),
    finding('info', 'relay', 'no relay in use: peers connect directly or by holepunching'),
    lanFinding(d),
    d.membersOnly
      ? finding('info', 'access', 'members only: peers not bound to a current writer, nor allowed, are refused')
      : finding(
          'info',
          'access',
          'open: any peer that knows the discovery key may connect (and learns this address)',
          'membersOnly: true (--members-only) admits only members and allowed peers'
        )
  ]
}

function dhtFinding(d: Omit<Diagnosis, 'findings'>): Finding {
  const answered = d.bootstrap.filter((b) => b.answered)
  if (answered.length === 0) {
    return finding(
      'fail',
      'dht',
      `no DHT bootstrap node answered (${d.bootstrap.map((b) => b.address).join(', ')})`,
      d.lan.enabled
        ? 'check the internet connection or --bootstrap; meanwhile only peers on this LAN can be found'
        : 'check the internet connection or --bootstrap'
    )
  }
  const fastest = Math.min(...answered.map((b) => b.rtt ?? Infinity))
  const message = `${answered.length} of ${count(d.bootstrap.length, 'DHT bootstrap node')} answered, fastest in ${fastest} ms`
  return fastest > SLOW_RTT_MS
    ? finding('warn', 'dht', message, 'the network is slow: lookups and connections will take long')
    : finding('ok', 'dht', message)
}

function natFinding(d: Omit<Diagnosis, 'findings'>): Finding {
  const where = d.publicAddress === null ? '' : ` (seen as ${d.publicAddress})`
  switch (d.nat) {
    case 'open':
      return finding('ok', 'nat', `reachable: peers can dial this one directly${where}`)
    case 'consistent':
      return finding('ok', 'nat', `behind a NAT that keeps ports: holepunching gets through${where}`)
    case 'random':
      return finding(
        'warn',
        'nat',
        `behind a NAT that changes ports (randomized): holepunching to peers behind NATs rarely works${where}`,
        'peers on open networks can still connect; or try another network than a mobile hotspot or carrier NAT'
      )
    case 'unknown':
      return finding(
        d.joined ? 'warn' : 'info',
        'nat',
        d.joined ? 'the DHT has not told whether this peer is reachable' : 'NAT type unknown until joined',
        d.joined ? 'no DHT node answered yet: see dht' : null
      )
  }
}

function topicFinding(d: Omit<Diagnosis, 'findings'>): Finding {
  if (!d.joined)
    return finding(
      'info',
      'topic',
      'not joined: this peer neither announces nor looks up the db',
      'db.join() or `peerbee serve`'
    )
  if (!d.announced) return finding('warn', 'topic', 'joined, but the announce has not reached the DHT (yet)', 'see dht')
  return finding('ok', 'topic', 'announced on the discovery key and looked it up')
}

function peersFinding(d: Omit<Diagnosis, 'findings'>): Finding {
  const connected = d.inbound + d.outbound
  const caps = d.maxInbound === null ? '' : ` (caps ${d.maxInbound} in, ${d.maxOutbound} out)`
  if (connected > 0) {
    return finding(
      'ok',
      'peers',
      `${count(connected, 'connection')}: ${d.inbound} in, ${d.outbound} out${caps}; ${count(d.found, 'peer')} found`
    )
  }
  if (d.found > 0) {
    return finding('warn', 'peers', `${count(d.found, 'peer')} found, none connected`, 'see refused and dials')
  }
  return finding(
    d.joined ? 'warn' : 'info',
    'peers',
    'no peer found',
    d.joined ? 'is a peer that holds this db joined (`peerbee serve`), on the same DHT or LAN?' : null
  )
}

function refusedFindings(d: Omit<Diagnosis, 'findings'>): Finding[] {
  const { denied, notMember, full, idle } = d.refused
  if (denied + notMember + full + idle === 0) return []
  const parts = [
    denied > 0 ? `${denied} denied` : '',
    notMember > 0 ? `${notMember} not members` : '',
    full > 0 ? `${full} at the caps` : '',
    idle > 0 ? `${idle} strangers that opened no core` : ''
  ].filter((p) => p !== '')
  const advice = [
    notMember > 0 ? '`peerbee peers allow <key>` admits a peer that is not a member' : '',
    full > 0 ? 'raise --max-inbound / --max-outbound to take more' : ''
  ].filter((p) => p !== '')
  return [finding('info', 'refused', `refused: ${parts.join(', ')}`, advice.length > 0 ? advice.join('; ') : null)]
}

function dialFindings(d: Omit<Diagnosis, 'findings'>): Finding[] {
  const { timeout, holepunch, notFound, other } = d.failed
  const out: Finding[] = []
  if (holepunch > 0) {
    out.push(
      finding(
        'warn',
        'dials',
        `${count(holepunch, 'dial')} failed to holepunch`,
        'both ends are behind NATs that cannot be punched through: one of them must be on an open or consistent NAT'
      )
    )
  }
  if (timeout > 0) {
    out.push(
      finding('warn', 'dials', `${count(timeout, 'dial')} timed out`, 'the peer went offline, or a firewall drops UDP')
    )
  }
  if (notFound + other > 0) {
    out.push(
      finding(
        'info',
        'dials',
        `${count(notFound + other, 'dial')} found no peer (an announce outlived its peer, or a listed peer is offline)`,
        'nothing to do unless no peer connects'
      )
    )
  }
  return out
}

function lanFinding(d: Omit<Diagnosis, 'findings'>): Finding {
  const { lan } = d
  if (!lan.enabled)
    return finding(
      'info',
      'lan',
      'LAN discovery off',
      'lan: true (the default) finds peers on this network without the DHT'
    )
  if (lan.active)
    return finding('ok', 'lan', `LAN discovery on: ${count(lan.heard, 'peer')} of this db heard on this network`)
  return finding('info', 'lan', `LAN discovery not running: ${lan.note ?? 'not joined'}`)
}
