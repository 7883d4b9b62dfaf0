import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { localTestnet, within } from './net-helpers.js'
import { cleanups, Peer, START_MS, type Defer } from './peer-process.js'

const STRANGERS_SCRIPT = fileURLToPath(new URL('../fixtures/strangers.ts', import.meta.url))
const CROWD = 200
/** The defaults of maxInbound and maxOutbound. */
const CAPS = { inbound: 48, outbound: 16 }

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

test(`processes: with ${CROWD} strangers on the topic, a member's write reaches another member within 5 s and no cap is exceeded`, async (t) => {
  const defer = cleanups(t)
  const t0 = Date.now()
  const net = await localTestnet()
  defer(() => net.destroy())
  const m1 = await Peer.start(defer, 'm1', net.bootstrap)
  const m2 = await Peer.start(defer, 'm2', net.bootstrap, m1.key)
  await m1.call('addWriter', { writerKey: m2.writerKey })
  await m2.call('waitWritable')
  await m2.call('leave')

  t.diagnostic(`members set up in ${Date.now() - t0} ms`)
  const crowd = await strangers(defer, net.bootstrap, m1.discoveryKey, [m1.peerKey])
  // The crowd is in: m1 turned strangers away for want of room.
  const full = async () => (await m1.call<{ full: number }>('refused')).full > 0
  while (!(await full())) await new Promise((resolve) => setTimeout(resolve, 100))

  t.diagnostic(`crowd up and m1 full at ${Date.now() - t0} ms`)
  const started = Date.now()
  const joined = m2.call('join')
  const { length } = await m2.call<{ length: number }>('write', { ops: [{ key: 'through-the-crowd', value: 1 }] })
  await m1.call('waitIndexed', { lengths: { [m2.writerKey]: length } }, 5000)
  t.diagnostic(
    `the write reached m1 in ${Date.now() - started} ms; the strangers held up to ${crowd.mostHeld} connections`
  )
  await joined

  for (const peer of [m1, m2]) {
    const peaks = await peer.call<typeof CAPS>('peaks')
    t.diagnostic(`${peer.name} held at most ${peaks.inbound} inbound, ${peaks.outbound} outbound`)
    assert.ok(peaks.inbound <= CAPS.inbound, `${peer.name} inbound ${peaks.inbound}`)
    assert.ok(peaks.outbound <= CAPS.outbound, `${peer.name} outbound ${peaks.outbound}`)
  }
})
