import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
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

/** Shell blocks after the first (which is what CI runs: `npm test` is this very suite). */
const sessions = blocks.filter((b) => b.lang === 'sh').slice(1)

/**
 * `peerbee` on PATH as `npm link` puts it there: a symlink to the built CLI. `broken` names a
 * command that fails instead, as a step of a session might.
 */
async function peerbeeOnPath(dir: string, broken?: string): Promise<NodeJS.ProcessEnv> {
  const bin = path.join(dir, 'bin')
  await mkdir(bin)
  const cli = path.join(ROOT, 'dist/bin/peerbee.js')
  if (broken === undefined) {
    await symlink(cli, path.join(bin, 'peerbee'))
  } else {
    const shim = `#!/bin/sh\ncase " $* " in *" ${broken} "*) echo "peerbee: ${broken} failed" >&2; exit 1;; esac\nexec "${cli}" "$@"\n`
    await writeFile(path.join(bin, 'peerbee'), shim, { mode: 0o755 })
  }
  return { PATH: `${bin}:${process.env.PATH}` }
}

test('the README tells how to get the CLI onto the PATH', () => {
  assert.match(readme, /`npm link` in the clone/)
  assert.match(readme, /`npm install -g`/)
})

test('the README shell sessions run as written against the built CLI', async (t) => {
  assert.equal(sessions.length, 2)
  const dir = await scratch(t)
  const env = await peerbeeOnPath(dir)

  const local = await runShell(sessions[0]!.code, path.join(dir, 'one'), env)
  assert.equal(local.code, 0, local.stderr)
  assert.match(local.stdout, /^\{"theme":"dark"\}$/m)
  assert.match(local.stdout, /^config\t\{"theme":"dark"\}$/m)
  assert.match(local.stdout, /^count\t-5$/m)
  assert.match(local.stdout, /^exit 2$/m)
  assert.match(local.stdout, /role\s+admin/)

  const twoPeers = await runShell(sessions[1]!.code, path.join(dir, 'two'), env)
  assert.equal(twoPeers.code, 0, twoPeers.stderr)
  const lines = twoPeers.stdout.split('\n')
  assert.ok(lines.includes('hello'), "bob reads alice's greeting")
  assert.ok(lines.includes('hi'), "alice reads bob's write")
})

test('the two-peer session stops at a failing step, and stops what it started', async (t) => {
  const dir = await scratch(t)
  const env = await peerbeeOnPath(dir, 'join')
  const r = await runShell(sessions[1]!.code, path.join(dir, 'two'), env)
  assert.notEqual(r.code, 0)
  assert.match(r.stderr, /peerbee: join failed/)
  assert.ok(!r.stdout.split('\n').includes('hello'), 'no step after the failing one ran')
})

interface ShellResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs a README shell block verbatim with bash in `cwd` (created), in a process group of its
 * own. Once bash exits, no process of that group may be left running; a session still running
 * after three minutes (each command takes a second, more on a loaded machine) fails too.
 */
async function runShell(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<ShellResult> {
  await mkdir(cwd, { recursive: true })
  const child = spawn('bash', ['-e', '-c', script], { cwd, env: { ...process.env, ...env }, detached: true })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  // Processes left behind hold the output pipes open: wait for bash itself, then the group.
  const closed = new Promise((resolve) => child.on('close', resolve))
  let hung = false
  const timer = setTimeout(() => {
    hung = true
    process.kill(-child.pid!, 'SIGKILL')
  }, 180_000)
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearTimeout(timer)
  const left = await groupAlive(child.pid!)
  if (left) process.kill(-child.pid!, 'SIGKILL')
  await closed
  const output = `\nstdout: ${stdout}\nstderr: ${stderr}`
  assert.equal(hung, false, `the session was still running after three minutes${output}`)
  assert.equal(left, false, `the session left processes running${output}`)
  return { code, stdout, stderr }
}

/** Whether any process of group `pgid` is still running, once those exiting have exited. */
async function groupAlive(pgid: number): Promise<boolean> {
  const deadline = Date.now() + 5000
  for (;;) {
    try {
      process.kill(-pgid, 0)
    } catch {
      return false
    }
    if (Date.now() > deadline) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
