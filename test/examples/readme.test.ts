import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { createSocket } from 'node:dgram'
import path from 'node:path'
import { test } from 'node:test'
import { ROOT, runTs, scratch } from './example-helpers.js'

const readme = await readFile(path.join(ROOT, 'README.md'), 'utf-8')
/** Fenced code blocks of the README, with their language tag. */
const blocks = [...readme.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, code: m[2]! }))

test('the README starts with the demo and the test command, as CI runs them', async () => {
  const first = blocks[0]!
  assert.ok(readme.indexOf('```') < readme.indexOf('\n## '), 'the commands come first')
  assert.match(first.code, /^npm install && npx peerbee demo/m)
  assert.match(first.code, /^npm test/m)
  const ci = await readFile(path.join(ROOT, '.ci/run'), 'utf-8')
  assert.match(ci, /^npm test$/m)
})

test('the library quickstart is examples/quickstart.ts, and it runs', async (t) => {
  const ts = blocks.filter((b) => b.lang === 'ts')
  assert.equal(ts.length, 1)
  const example = await readFile(path.join(ROOT, 'examples/quickstart.ts'), 'utf-8')
  assert.equal(ts[0]!.code.replace("from 'peerbee'", "from '../lib/index.js'"), example)
  // The example itself runs in test/examples/examples.test.ts; run the README's text too.
  const dir = await scratch(t)
  // .mts: outside the package, only the extension says the file is an ES module.
  const file = path.join(dir, 'quickstart.mts')
  await writeFile(file, ts[0]!.code.replace("from 'peerbee'", `from '${path.join(ROOT, 'lib/index.js')}'`))
  assert.match(await runTs(file, [], dir), /todo\/2 water plants/)
})

/** A free UDP port, so the README's fixed DHT port never collides with another run. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4')
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address()
      socket.close(() => resolve(port))
    })
  })
}

test('the README shell sessions run against the built CLI', async (t) => {
  const sessions = blocks.filter((b) => b.lang === 'sh').slice(1)
  assert.equal(sessions.length, 2)
  const dir = await scratch(t)
  // `peerbee` on PATH, as `npm install -g peerbee` or `npx` would provide it.
  const bin = path.join(dir, 'bin')
  await mkdir(bin)
  await writeFile(
    path.join(bin, 'peerbee'),
    `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, 'dist/bin/peerbee.js')}" "$@"\n`
  )
  await chmod(path.join(bin, 'peerbee'), 0o755)
  const env = { PATH: `${bin}:${process.env.PATH}` }

  const local = await runShell(sessions[0]!.code, path.join(dir, 'one'), env)
  assert.match(local, /^\{"theme":"dark"\}$/m)
  assert.match(local, /^config\t\{"theme":"dark"\}$/m)
  assert.match(local, /role\s+admin/)

  const port = String(await freePort())
  const twoPeers = await runShell(sessions[1]!.code.replaceAll('49737', port), path.join(dir, 'two'), env)
  const lines = twoPeers.split('\n')
  assert.ok(lines.includes('hello'), "bob reads alice's greeting")
  assert.ok(lines.includes('hi'), "alice reads bob's write")
})

/**
 * Runs a shell session with `set -e` in `cwd` (created); resolves with its stdout. Background
 * jobs the session leaves (after a failure) are killed when the shell exits.
 */
function runShell(script: string, cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const wrapped = `trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\nmkdir -p "${cwd}" && cd "${cwd}"\n${script}\nwait`
    const child = spawn('bash', ['-ec', wrapped], { env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(stdout)
      else reject(new Error(`shell session exited ${code}:\n${script}\nstdout: ${stdout}\nstderr: ${stderr}`))
    })
  })
}
