import assert from 'node:assert/strict'
import { test } from 'node:test'
import b4a from 'b4a'
import type { PeerBee, WriterInfo } from '../../lib/index.js'
import { connect, createDb, waitFor } from '../helpers.js'

/**
 * What one writer can make a peer store (docs/DESIGN.md: quota): past `maxWriterBytes` its log
 * is cut where it crossed the quota, flagged, and the other writers go on; what a removed
 * writer wrote past its cut is freed.
 */

const KIB = 'x'.repeat(1024)

function infoOf(db: PeerBee<string, unknown>, writer: Uint8Array): Promise<WriterInfo> {
  return db.writers().then((all) => all.find((w) => b4a.equals(w.key, writer))!)
}

test('a writer past the quota is cut and flagged; this peer keeps indexing the others', async (t) => {
  const root = await createDb<string, unknown>(t)
  const big = await createDb<string, unknown>(t, { key: root.key })
  const small = await createDb<string, unknown>(t, { key: root.key, maxWriterBytes: 8 * 1024 })
  await root.addWriter(big.writerKey)
  connect(root, big)
  connect(root, small)
  await big.update()
  for (let i = 0; i < 20; i++) await big.put(`big-${i}`, KIB)
  await root.update()
  await small.update()

  const flagged = await infoOf(small, big.writerKey)
  assert.equal(flagged.overQuota, true)
  assert.ok(flagged.cut !== null && flagged.cut > 1 && flagged.cut < 21, `cut inside the log, got ${flagged.cut}`)
  assert.ok(
    flagged.downloaded <= flagged.cut,
    `nothing past the cut is downloaded: ${flagged.downloaded} > ${flagged.cut}`
  )
  assert.equal(await small.get('big-19'), null, 'past the cut nothing counts')
  assert.equal((await small.get('big-0'))?.value, KIB, 'before the cut it counts')
  assert.equal((await infoOf(root, big.writerKey)).overQuota, false, 'a peer with the default quota takes it all')

  // The others go on: a later write of the root reaches the peer with the small quota.
  await root.put('after', 'still indexed')
  await small.update()
  assert.equal((await small.get('after'))?.value, 'still indexed')
  assert.equal((await infoOf(small, big.writerKey)).cut, flagged.cut, 'the cut holds still as the log grows')
})

test('a writer removed at a length shorter than what a peer holds: the blocks past the cut are freed', async (t) => {
  const root = await createDb<string, unknown>(t)
  const writer = await createDb<string, unknown>(t, { key: root.key })
  const holder = await createDb<string, unknown>(t, { key: root.key })
  await root.addWriter(writer.writerKey)
  const toRoot = connect(root, writer)
  await writer.update()
  await writer.put('kept', 1)
  await root.update()
  toRoot()
  const rootToHolder = connect(root, holder)
  await holder.update()
  rootToHolder()

  // The root does not see these; the holder downloads them.
  for (let i = 0; i < 5; i++) await writer.put(`late-${i}`, i)
  const toHolder = connect(writer, holder)
  await holder.update()
  assert.equal((await infoOf(holder, writer.writerKey)).downloaded, 7)
  toHolder()

  // The root removes the writer at the length it knows: 2 blocks (header and 'kept').
  await root.removeWriter(writer.writerKey)
  connect(root, holder)
  await holder.update()
  const removed = await infoOf(holder, writer.writerKey)
  assert.equal(removed.removed, true)
  assert.equal(removed.cut, 2)
  assert.equal((await holder.get('kept'))?.value, 1)
  assert.equal(await holder.get('late-0'), null)
  await waitFor(async () => (await infoOf(holder, writer.writerKey)).downloaded === 2)
})
