import assert from 'node:assert/strict'
import { test } from 'node:test'
import createTestnet from '@hyperswarm/testnet'
import { waitFor } from '../helpers.js'
import { assertUserError, Sandbox } from './cli-helpers.js'

/** A private DHT for one test; the CLI reaches it with --bootstrap. */
async function testnet(t: { after: (fn: () => Promise<void>) => void }): Promise<string[]> {
  const net = await createTestnet(3)
  t.after(() => net.destroy())
  return net.bootstrap.flatMap((node) => ['--bootstrap', `${node.host}:${node.port}`])
}

/** A DHT bootstrap node that never answers: TEST-NET-2 (RFC 5737) is routed nowhere. */
const SILENT_DHT = ['--bootstrap', '198.51.100.1:49737']

interface PeersJson {
  peerKey: string
  connections: Array<{ publicKey: string; writer: string | null; standing: string; direction: string }>
  allow: string[]
  deny: string[]
}

interface DoctorJson {
  findings: Array<{ level: string; topic: string; message: string; advice: string | null }>
  inbound: number
  outbound: number
}

async function peerKey(box: Sandbox, storage: string): Promise<string> {
  const [status] = await box.ok(['--json', '--storage', storage, 'status'])
  return (JSON.parse(status!) as { peerKey: string }).peerKey
}

test('peers allow, deny and unlist keep the lists in the storage; status shows the peer key', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  const [, , peerLine] = await box.ok(['status'])
  assert.match(peerLine!, /^peer key {4}[a-z0-9]{52} /)
  const [a, b] = ['a'.repeat(64), 'b'.repeat(64)]
  await box.ok(['peers', 'allow', a])
  await box.ok(['peers', 'deny', b])
  const [listed] = await box.ok(['--json', 'peers', 'allow', b])
  assert.ok(JSON.parse(listed!).allow, 'allowing a denied key moves it')
  await box.ok(['peers', 'unlist', a])
  const [json] = await box.ok(['--json', '--no-lan', '--bootstrap', '127.0.0.1:9', 'peers', '--timeout', '0'])
  const peers = JSON.parse(json!) as PeersJson
  assert.equal(peers.allow.length, 1)
  assert.equal(peers.deny.length, 0)
  assert.equal(peers.connections.length, 0)
  assertUserError(await box.run(['peers', 'deny', 'nope']), /Not a valid peer key/)
  assertUserError(await box.run(['--max-inbound', '-3', 'status']), /--max-inbound/)
})

test('serve --members-only refuses a reader until `peers allow` admits it; peers and doctor report it', async (t) => {
  const bootstrap = await testnet(t)
  const box = await Sandbox.create(t)
  const [key] = await box.ok(['--storage', 'a', 'init'])
  await box.ok(['--storage', 'a', 'put', 'greeting', 'hello'])
  await box.ok(['--storage', 'b', 'open', key!])
  const b = await peerKey(box, 'b')

  let serve = box.start(['--json', '--storage', 'a', ...bootstrap, '--members-only', 'serve'])
  await serve.line((l) => l.includes('"joined"'))
  const [doctorJson] = await box.ok(['--json', '--storage', 'b', ...bootstrap, 'doctor', '--timeout', '2'])
  const doctor = JSON.parse(doctorJson!) as DoctorJson
  const level = (topic: string) => doctor.findings.find((f) => f.topic === topic)?.level
  assert.equal(level('dht'), 'ok')
  assert.equal(level('topic'), 'ok')
  assert.equal(level('peers'), 'warn', 'found, not connected')
  assert.equal(doctor.inbound + doctor.outbound, 0)
  assert.equal(await serve.stop('SIGINT'), 0)

  await box.ok(['--storage', 'a', 'peers', 'allow', b])
  serve = box.start(['--json', '--storage', 'a', ...bootstrap, '--members-only', 'serve'])
  await serve.line((l) => l.includes('"joined"'))
  await box.ok(['--storage', 'b', ...bootstrap, 'sync'])
  assert.deepEqual(await box.ok(['--storage', 'b', 'get', 'greeting']), ['hello'])
  const [peersJson] = await box.ok(['--json', '--storage', 'b', ...bootstrap, 'peers'])
  const [link] = (JSON.parse(peersJson!) as PeersJson).connections
  assert.equal(link?.writer, key, "b knows a's swarm key as the root writer's")
  assert.equal(link?.standing, 'member')
  const lines = await box.ok(['--storage', 'b', ...bootstrap, 'peers'])
  assert.match(
    lines[2]!,
    /^ {2}[a-z0-9]{52} {2}(in |out) {2}127\.0\.0\.1:\d+ {2}received .+, sent .+ {2}member \(writer /
  )
  assert.equal(await serve.stop('SIGINT'), 0)
})

test('with no DHT node answering, sync finds the serving peer on the LAN', async (t) => {
  const box = await Sandbox.create(t)
  const [key] = await box.ok(['--storage', 'a', 'init'])
  await box.ok(['--storage', 'a', 'put', 'greeting', 'hello'])
  await box.ok(['--storage', 'b', 'open', key!])
  const serve = box.start(['--storage', 'a', ...SILENT_DHT, 'serve'])
  await box.ok(['--storage', 'b', ...SILENT_DHT, 'sync', '--timeout', '20'])
  assert.deepEqual(await box.ok(['--storage', 'b', 'get', 'greeting']), ['hello'])
  await waitFor(() => /only peers on this network can find this one/.test(serve.stderr))

  // One line per finding, with what to do about it after a dash.
  const findings = await box.ok(['--storage', 'b', ...SILENT_DHT, 'doctor'])
  const line = (topic: string) => findings.find((l) => l.split(/\s+/)[1] === topic)
  assert.match(line('dht')!, /^fail {2}dht {6}no DHT bootstrap node answered \(198\.51\.100\.1:49737\) — .*LAN/)
  assert.match(line('lan')!, /^ok {4}lan {6}LAN discovery on: 1 peer of this db heard/)
  assert.match(line('peers')!, /^ok {4}peers {4}1 connection/)

  // Off, a peer neither announces itself nor looks for the serving peer (a fresh storage: the
  // serving peer remembers where it met b, and may dial it again).
  await box.ok(['--storage', 'c', 'open', key!])
  const r = await box.run(['--storage', 'c', ...SILENT_DHT, '--no-lan', 'sync', '--timeout', '5'])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /^peerbee: No DHT bootstrap node answered/)
  assert.equal(await serve.stop('SIGINT'), 0)
})
