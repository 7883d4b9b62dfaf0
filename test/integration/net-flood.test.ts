import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { waitFor } from '../helpers.js'
import { localTestnet, within } from './net-helpers.js'
import { cleanups, Peer, START_MS, type Defer } from './peer-process.js'

const STRANGERS_SCRIPT = fileURLToPath(new URL('../fixtures/strangers.ts', import.meta.url))
const CROWD = 200
/** The defaults of maxInbound and maxOutbound. */
const CAPS = { inbound: 48, outbound: 16 }
const M2_OUTBOUND = 4
/** How soon a member's write must reach another member through the crowd. */
const REACH_MS = 5000

/** The crowd (test/fixtures/strangers.ts), stopped when the test ends; resolves once it announced. */
async function strangers(defer: Defer, bootstrap: string[], topic: string, dial: string[]) {
  const args = [...bootstrap.flatMap((b) => ['--bootstrap', b]), '--topic', topic, '--count', String(CROWD)]
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', STRANGERS_SCRIPT, ...args, ...dial.flatMap((k) => ['--dial', k])],
    {
      stdio: ['pipe', 'pipe', 'inherit']
    }
  )
  const exited = once(child, 'exit')
  defer(async () => {
    child.stdin.end()
    await within(5000, exited, 'the strangers to exit').catch(() => child.kill('SIGKILL'))
  })
  const crowd = { held: 0, mostHeld: 0 }
  const ready = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { ready?: boolean; held?: number }
      if (message.ready) resolve()
      if (message.held !== undefined) crowd.mostHeld = Math.max(crowd.mostHeld, (crowd.held = message.held))
    })
  })
  await within(START_MS * 3, ready, `${CROWD} strangers to announce`)
  return crowd
}

interface Diagnosed {
  refused: { full: number; idle: number }
  maxInbound: number
  maxOutbound: number
}

test(`processes: with ${CROWD} strangers on the topic, a member's write reaches another member within 5 s and no cap is exceeded`, async (t) => {
  const defer = cleanups(t)
  const net = await localTestnet()
  defer(() => net.destroy())
  // m1, on the default caps, is the one the crowd dials; m2 dials strangers it finds, up to its own cap.
  const m1 = await Peer.start(defer, 'm1', net.bootstrap)
  const m2 = await Peer.start(defer, 'm2', net.bootstrap, m1.key, ['--max-outbound', String(M2_OUTBOUND)])
  await m1.call('addWriter', { writerKey: m2.writerKey })
  await m2.call('waitWritable')
  await m2.call('leave')
  const caps = { m1: CAPS, m2: { inbound: CAPS.inbound, outbound: M2_OUTBOUND } }
  for (const peer of [m1, m2]) {
    const d = await peer.call<Diagnosed>('diagnose')
    assert.deepEqual({ inbound: d.maxInbound, outbound: d.maxOutbound }, caps[peer.name as 'm1' | 'm2'])
  }

  const crowd = await strangers(defer, net.bootstrap, m1.discoveryKey, [m1.peerKey])
  // The crowd is in: m1 turned strangers away for want of room.
  await waitFor(async () => (await m1.call<Diagnosed>('diagnose')).refused.full > 0, START_MS)

  const joined = m2.call('join')
  const started = Date.now()
  const { length } = await m2.call<{ length: number }>('write', { ops: [{ key: 'through-the-crowd', value: 1 }] })
  await m1.call('waitIndexed', { lengths: { [m2.writerKey]: length } }, REACH_MS)
  const reached = Date.now() - started
  t.diagnostic(`the write reached m1 in ${reached} ms; the strangers held up to ${crowd.mostHeld} connections`)
  assert.ok(reached < REACH_MS, `${reached} ms`)
  await joined

  // Strangers that open no core of the db are dropped once their grace is over.
  await waitFor(async () => (await m1.call<Diagnosed>('diagnose')).refused.idle > 0, START_MS)
  for (const peer of [m1, m2]) {
    const peaks = await peer.call<typeof CAPS>('peaks')
    const cap = caps[peer.name as 'm1' | 'm2']
    t.diagnostic(`${peer.name} held at most ${peaks.inbound} inbound, ${peaks.outbound} outbound`)
    assert.ok(peaks.inbound <= cap.inbound, `${peer.name} inbound ${peaks.inbound}`)
    assert.ok(peaks.outbound <= cap.outbound, `${peer.name} outbound ${peaks.outbound}`)
  }
  assert.ok((await m1.call<typeof CAPS>('peaks')).inbound > 0, 'the crowd reached m1')
})
