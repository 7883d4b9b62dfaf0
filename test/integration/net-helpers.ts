import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventEmitter } from 'node:events'
import Corestore from 'corestore'
import createTestnet from '@hyperswarm/testnet'

/** A local DHT on 127.0.0.1 and its bootstrap list as `'host:port'` strings. */
export async function localTestnet(size = 3) {
  const testnet = await createTestnet(size)
  const bootstrap = testnet.bootstrap.map((node) => `${node.host}:${node.port}`)
  return { bootstrap, destroy: () => testnet.destroy() }
}

/** A Corestore in a fresh temp dir; `close()` also deletes the dir. */
export async function tempStore() {
  const dir = await mkdtemp(join(tmpdir(), 'peerbee-net-'))
  const store = new Corestore(dir)
  await store.ready()
  return {
    store,
    async close() {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/** Rejects after `ms` unless `promise` settles first; the timer never keeps the process alive. */
export async function within<T>(ms: number, promise: Promise<T>, what = 'condition'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves once `check()` holds, re-checking each time `emitter` emits one of `events`. */
export function until(emitter: EventEmitter, events: string[], check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const onEvent = () => {
      if (!check()) return
      for (const e of events) emitter.off(e, onEvent)
      resolve()
    }
    for (const e of events) emitter.on(e, onEvent)
    onEvent()
  })
}
