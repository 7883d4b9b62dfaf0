import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_INVITE_TTL } from '../../lib/index.js'
import { Sandbox, assertUserError } from './cli-helpers.js'

test('peerbee help <command> shows the help of that command, nested ones too', async (t) => {
  const box = await Sandbox.create(t)
  const [put, writersAdd, root] = await Promise.all([
    box.ok(['help', 'put']),
    box.ok(['help', 'writers', 'add']),
    box.ok(['help'])
  ])
  assert.deepEqual(put, await box.ok(['put', '--help']))
  assert.match(put[0]!, /^Usage: peerbee put/)
  assert.match(writersAdd[0]!, /^Usage: peerbee writers add/)
  assert.match(root[0]!, /^Usage: peerbee /)
  assertUserError(await box.run(['help', 'nosuch']), /Unknown command 'nosuch'/)
})

test('a mistyped command or option gets a suggestion, on the one error line', async (t) => {
  const box = await Sandbox.create(t)
  const cases: Array<[string[], RegExp]> = [
    [['lst'], /Unknown command 'lst': did you mean list\?/],
    [['stauts'], /Unknown command 'stauts': did you mean status\?/],
    [['gte', 'k'], /did you mean get\?/],
    [['stat'], /did you mean status\?/],
    [['help', 'imprt'], /Unknown command 'imprt': did you mean import\?/],
    [['writers', 'ad', 'x'], /Unknown command 'writers ad': did you mean writers add\?/],
    [['list', '--prefx', 'a'], /unknown option '--prefx' \(did you mean --prefix\?\)/],
    [['frobnicate'], /^peerbee: Unknown command 'frobnicate' \(peerbee --help lists them\)$/]
  ]
  const results = await box.runAll(cases.map(([args]) => args))
  results.forEach((r, i) => assertUserError(r, cases[i]![1]))
})

test('help shows defaults as values; the invite expiry default is the library one', async (t) => {
  const box = await Sandbox.create(t)
  const [root, sync, join, dht, invite] = await Promise.all(
    [['--help'], ['help', 'sync'], ['help', 'join'], ['help', 'dht'], ['help', 'invite']].map((args) =>
      box.ok(args).then((l) => l.join(' ').replace(/\s+/g, ' '))
    )
  )
  assert.match(root!, /--storage <dir> .*\(default: "\.\/\.peerbee"\)/)
  assert.match(root!, /--bootstrap <host:port> .*\(default: the public DHT\)/)
  assert.match(sync!, /--timeout <seconds> .*\(default: 30\)/)
  assert.match(join!, /--timeout <seconds> .*\(default: 30\)/)
  assert.match(dht!, /--port <n> .*\(default: 49737\)/)
  const minutes = DEFAULT_INVITE_TTL / 60_000
  assert.match(invite!, new RegExp(`--expires <minutes> .*\\(default: ${minutes}\\)`))

  await box.ok(['init'])
  const before = Date.now()
  const [made] = (await box.ok(['--json', 'invite', '--no-wait'])).map((l) => JSON.parse(l))
  assert.ok(
    made.expires >= before + DEFAULT_INVITE_TTL && made.expires <= Date.now() + DEFAULT_INVITE_TTL,
    'the CLI invite expires after the library default'
  )
})

test('status says what its block counts are: the header block of each log, then one block per entry', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  await box.ok(['put', 'a', '1'])
  await box.ok(['put', 'b', '2'])
  const status = (await box.ok(['status'])).join('\n')
  assert.match(
    status,
    /^writers +1 \(each writer's log is a header block, then one block per entry: a put, a del or a batch\)$/m
  )
  assert.match(status, /admin +3\/3 blocks indexed \(header \+ 2 entries\) +\(this peer\)$/m)
})
