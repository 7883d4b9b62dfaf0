import assert from 'node:assert/strict'
import { test } from 'node:test'
import createTestnet from '@hyperswarm/testnet'
import { Sandbox, type Result } from './cli-helpers.js'

interface Line {
  checkpoint: string
  changes: Array<{ key: string; value: unknown; deleted: boolean }>
}

const parse = (lines: string[]): Line[] => lines.map((l) => JSON.parse(l) as Line)
const flat = (lines: Line[]) =>
  lines.flatMap((l) => l.changes.map((c) => (c.deleted ? `${c.key}-` : `${c.key}=${JSON.stringify(c.value)}`)))

function assertUserError(r: Result, pattern: RegExp): void {
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}; stderr: ${r.stderr}`)
  const lines = r.stderr.split('\n').filter((l) => l !== '')
  assert.equal(lines.length, 1, `expected one stderr line, got: ${r.stderr}`)
  assert.match(lines[0]!, pattern)
}

test('changes prints NDJSON batches with checkpoints; --since resumes after one; clear --prefix deletes', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  await box.ok(['put', 'a', '1'])
  await box.ok(['put', 'p/x', '{"n":2}'])
  await box.ok(['put', 'p/y', 'text'])
  const first = parse(await box.ok(['changes']))
  assert.deepEqual(flat(first), ['a=1', 'p/x={"n":2}', 'p/y="text"'])
  for (const line of first) assert.match(line.checkpoint, /^[ybndrfg8ejkmcpqxot1uwisza345h769]+$/)

  assert.deepEqual(await box.ok(['clear', '--prefix', 'p/']), ['cleared 2 keys'])
  assert.deepEqual(flat(parse(await box.ok(['changes', '--since', first.at(-1)!.checkpoint]))), ['p/x-', 'p/y-'])
  assert.deepEqual(flat(parse(await box.ok(['changes', '--since', first[0]!.checkpoint, '--prefix', 'p/x']))), [
    'p/x={"n":2}',
    'p/x-'
  ])
  assert.deepEqual(await box.ok(['--json', 'clear', '--all']), ['{"cleared":1}'])
  assert.deepEqual(await box.ok(['list']), [])

  assertUserError(await box.run(['changes', '--since', 'nonsense']), /^peerbee: CHECKPOINT_INVALID/)
  assertUserError(await box.run(['clear']), /^peerbee: clear takes either --prefix <p> or --all/)
})

test('changes --live prints what replication brings, with a checkpoint, until Ctrl-C', async (t) => {
  const net = await createTestnet(3)
  t.after(() => net.destroy())
  const bootstrap = net.bootstrap.flatMap((node) => ['--bootstrap', `${node.host}:${node.port}`])
  const box = await Sandbox.create(t)
  const [key] = await box.ok(['--storage', 'a', 'init'])
  await box.ok(['--storage', 'b', 'open', key!])
  await box.ok(['--storage', 'a', 'put', 'k1', '1'])

  // b holds nothing of a yet: what it prints arrives by replication after it started.
  const live = box.start(['--storage', 'b', ...bootstrap, 'changes', '--live'])
  const serve = box.start(['--storage', 'a', ...bootstrap, 'serve'])
  const line = JSON.parse(await live.line((l) => l.includes('"k1"'))) as Line
  assert.deepEqual(flat([line]), ['k1=1'])
  assert.match(line.checkpoint, /^[ybndrfg8ejkmcpqxot1uwisza345h769]+$/)
  assert.equal(await live.stop('SIGINT'), 0)
  assert.equal(await serve.stop('SIGINT'), 0)
  assert.deepEqual(await box.ok(['--storage', 'b', 'changes', '--since', line.checkpoint]), [])
})
