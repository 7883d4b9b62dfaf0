import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { Sandbox, assertUserError } from './cli-helpers.js'

test('put takes the value from stdin (-) or a file, beyond what an argument can hold', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  // Over 128 KiB, the most one command-line argument may hold.
  const big = { text: 'x'.repeat(300 * 1024) }
  await box.ok(['put', 'from-stdin', '-'], JSON.stringify(big))
  await writeFile(path.join(box.dir, 'value.json'), JSON.stringify(big))
  await box.ok(['put', 'from-file', '--file', 'value.json'])
  await writeFile(path.join(box.dir, 'note.txt'), 'line one\nline two\n')
  await box.ok(['put', 'note', '--file', 'note.txt'])
  assert.deepEqual(
    (await box.ok(['export'])).map((l) => JSON.parse(l)),
    [
      { key: 'from-file', value: big },
      { key: 'from-stdin', value: big },
      { key: 'note', value: 'line one\nline two\n' }
    ]
  )

  // Up to the value limit: over it the library refuses, and nothing is written.
  await writeFile(path.join(box.dir, 'huge.txt'), 'y'.repeat(1024 * 1024 + 1))
  assertUserError(await box.run(['put', 'huge', '--file', 'huge.txt']), /VALUE_TOO_LARGE/)
  assert.equal((await box.run(['get', 'huge'])).code, 2)
  assertUserError(await box.run(['put', 'k', '--file', 'missing.txt']), /ENOENT/)
  await writeFile(path.join(box.dir, 'bytes.bin'), Buffer.from([0xff, 0xfe, 0x00]))
  assertUserError(await box.run(['put', 'k', '--file', 'bytes.bin']), /not UTF-8/)
  assertUserError(await box.run(['put', 'k', 'v', '--file', 'note.txt']), /give the value once/)
  assertUserError(await box.run(['put', 'k']), /missing required argument 'value'/)
})

test('values that would not be stored as meant are refused with a hint; --string stores the text', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  const refused = [
    '{"theme":dark}',
    '[1,2',
    '"unterminated',
    '1e400',
    '9007199254740993',
    '0.1000000000000000000000001',
    'Infinity',
    '-NaN'
  ]
  for (const r of await box.runAll(refused.map((v) => ['put', 'k', '--value', v])))
    assertUserError(r, /value refused: .*--string/)
  assert.equal((await box.run(['get', 'k'])).code, 2, 'nothing was written')

  await box.ok(['put', 'k', '--string', '{"theme":dark}'])
  // Plain output quotes a string that would not read back as itself, so it round-trips.
  const [shown] = await box.ok(['get', 'k'])
  assert.equal(shown, '"{\\"theme\\":dark}"')
  await box.ok(['put', 'copy', shown!])
  assert.deepEqual(await box.ok(['--json', 'get', 'copy']).then((l) => JSON.parse(l[0]!).value), '{"theme":dark}')

  // Exact numbers and plain text are stored as before.
  const stored: Array<[string, unknown]> = [
    ['9007199254740991', 9007199254740991],
    ['6.02e23', 6.02e23],
    ['1.50', 1.5],
    ['01234', '01234'],
    ['1.2.3', '1.2.3']
  ]
  for (const [i, [text]] of stored.entries()) await box.ok(['put', `n${i}`, text])
  const exported = (await box.ok(['export'])).map((l) => JSON.parse(l)).filter((e) => e.key.startsWith('n'))
  assert.deepEqual(
    exported,
    stored.map(([, value], i) => ({ key: `n${i}`, value }))
  )
})

test('negative numbers go after -- or in --value=', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  assertUserError(await box.run(['put', 'n', '-5']), /unknown option '-5'.*put <key> -- -5.*--value=-5/)
  await box.ok(['put', 'n', '--', '-5'])
  await box.ok(['put', 'm', '--value=-2.5'])
  await box.ok(['put', 'dash', '--value=-'])
  assert.deepEqual(await box.ok(['get', 'n']), ['-5'])
  assert.deepEqual(await box.ok(['get', 'm']), ['-2.5'])
  assert.deepEqual(await box.ok(['get', 'dash']), ['-'])
})

test('get of a key that is not set exits 2, distinct from a user error', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  const missing = await box.run(['get', 'nope'])
  assert.equal(missing.code, 2)
  assert.equal(missing.stdout, '')
  assert.match(missing.stderr, /nope is not set/)
  const json = await box.run(['--json', 'get', 'nope'])
  assert.equal(json.code, 2)
  assert.equal(json.stdout, 'null\n')
  await box.ok(['put', 'gone', '1'])
  await box.ok(['del', 'gone'])
  assert.equal((await box.run(['get', 'gone'])).code, 2)
  assert.equal((await box.run(['get'])).code, 1)
  assert.match((await box.ok(['--help'])).join('\n'), /2 `get` of a key that is not set/)
})

/** `count` import lines for keys k00000..., with `bad` lines (by 1-based number) replaced. */
function lines(count: number, bad: Map<number, string> = new Map()): string {
  const out: string[] = []
  for (let n = 1; n <= count; n++)
    out.push(bad.get(n) ?? JSON.stringify({ key: `k${String(n).padStart(5, '0')}`, value: n }))
  return out.join('\n') + '\n'
}

/** The first and last keys of the db, as `list` prints them (empty when there is none). */
async function ends(box: Sandbox): Promise<string[]> {
  // One process at a time opens a storage folder.
  const first = await box.ok(['list', '--limit', '1'])
  return [...first, ...(await box.ok(['list', '--reverse', '--limit', '1']))]
}

test('import up to the batch limit is atomic: a refused line writes nothing, and every refusal has its line', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  const bad = new Map([
    [3, 'not json'],
    [5, JSON.stringify({ key: 'big', value: 'x'.repeat(1024 * 1024 + 1) })],
    [7, JSON.stringify({ key: '', value: 1 })],
    [8, '{"key":"n","value":9007199254740993}'],
    [9, '{"key":"k"}']
  ])
  const r = await box.run(['import'], lines(10, bad))
  assertUserError(
    r,
    /import stopped: line 3: not valid JSON.*; line 5: VALUE_TOO_LARGE.*; line 7: INVALID_KEY.*; line 8: 9007199254740993 cannot be stored exactly.*; line 9: no "value"\. Nothing was written$/
  )
  assert.deepEqual(await ends(box), [])

  assert.deepEqual(await box.ok(['--json', 'import'], lines(10_000)), ['{"imported":10000,"batches":1}'])
  assert.deepEqual(await ends(box), ['k00001\t1', 'k10000\t10000'])
})

test('a larger import reports exactly how many keys it wrote before the refused line', async (t) => {
  const box = await Sandbox.create(t)
  await box.ok(['init'])
  const r = await box.run(['import'], lines(12_000, new Map([[11_001, '{"key": 7, "value": 1}']])))
  assertUserError(
    r,
    /^peerbee: import stopped: line 11001: expected .*\. 10000 keys from lines 1-10000 were written before line 11001, none after$/
  )
  assert.deepEqual(await ends(box), ['k00001\t1', 'k10000\t10000'])
})
