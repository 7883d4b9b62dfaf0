import type Hypercore from 'hypercore'
import { Node, YoloIndex, type NodeMessage } from 'hyperbee/lib/messages.js'
import { PeerBeeError } from '../errors.js'
import { passesLower, passesUpper, type ScanBounds } from './bounds.js'

/** Where the blocks come from: the index core, or a snapshot session of it. */
export type BlockSource = Pick<Hypercore, 'get'>

export interface TreeEntry {
  seq: number
  key: Uint8Array
  value: Uint8Array | null
}

interface Block {
  key: Uint8Array
  value: Uint8Array | null
  index: Uint8Array
  levels: Array<{ keys: number[]; children: number[] }> | null
}

/** A tree node whose key blocks are already being read. */
interface LoadedNode {
  keys: Array<Promise<Block>>
  keySeqs: number[]
  /** (seq, offset) pairs, one per child. */
  children: number[]
}

/** Blocks read concurrently and shared while they may still be asked for again. */
const RECENT_BLOCKS = 1024

function noop(): void {}

/**
 * Reads one block per seq at most once while it is recent: a block that carries tree nodes is
 * often also a key block the same walk reads.
 */
class BlockReader {
  private readonly recent = new Map<number, Promise<Block>>()

  constructor(private readonly core: BlockSource) {}

  block(seq: number): Promise<Block> {
    const known = this.recent.get(seq)
    if (known !== undefined) return known
    const read = this.read(seq)
    // Prefetched blocks may never be awaited when the caller stops early.
    read.catch(noop)
    this.recent.set(seq, read)
    if (this.recent.size > RECENT_BLOCKS) this.recent.delete(this.recent.keys().next().value!)
    return read
  }

  async node(seq: number, offset: number): Promise<LoadedNode> {
    const block = await this.block(seq)
    if (block.levels === null) block.levels = YoloIndex.decode(block.index).levels
    const level = block.levels[offset]
    if (level === undefined) throw PeerBeeError.STORAGE_CORRUPT(`Index block ${seq} has no tree node ${offset}`)
    return { keySeqs: level.keys, keys: level.keys.map((s) => this.block(s)), children: level.children }
  }

  private async read(seq: number): Promise<Block> {
    return { ...(await readBlock(this.core, seq)), levels: null }
  }
}

/** One block of the index tree, decoded; a missing or undecodable one is `STORAGE_CORRUPT`. */
export async function readBlock(core: BlockSource, seq: number): Promise<NodeMessage> {
  const raw = await core.get(seq)
  if (raw === null) throw PeerBeeError.STORAGE_CORRUPT(`Index block ${seq} is missing`)
  try {
    return Node.decode(raw)
  } catch (err) {
    throw PeerBeeError.STORAGE_CORRUPT(`Index block ${seq} cannot be decoded`, err)
  }
}

/** Where a tree node is stored: the block that carries it and its place in that block. */
interface NodeRef {
  seq: number
  offset: number
}

/** One node on the walk: its keys in range and the children between them, in walk order. */
interface Frame {
  entries: TreeEntry[]
  /** The children in walk order: none for a leaf, else one more than `entries`. */
  childRefs: NodeRef[]
  /** The children read so far, started ahead of the walk. */
  children: Array<Promise<LoadedNode>>
  /** Even steps descend into a child, odd steps emit the entry after it. */
  step: number
}

/** Children read ahead of the walk at most: a node has up to 10, so this is all of them. */
const MAX_AHEAD = 16

/**
 * Walks a Hyperbee tree in key order, as Hyperbee's own range stream does, but reads the keys
 * of a node and the children ahead of the walk at once instead of one block after another:
 * a scan is bound by the latency of single block reads, and concurrent reads overlap it.
 * The read-ahead starts at one child and doubles with every run the consumer takes, so a
 * query that wants one entry reads about what a plain descent reads. In flight at a time:
 * about the keys and children of one node per level of the tree.
 * Entries come in runs (a leaf's at once) so that consumers pay one async step per run.
 */
export async function* scanTree(core: BlockSource, version: number, bounds: ScanBounds): AsyncGenerator<TreeEntry[]> {
  // Block 0 is the header; the root of version v is the first tree node of block v - 1.
  if (version < 2) return
  const reader = new BlockReader(core)
  let ahead = 1
  const stack = [await enter(await reader.node(version - 1, 0), bounds)]
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!
    if (top.childRefs.length === 0) {
      stack.pop()
      if (top.entries.length > 0) {
        yield top.entries
        ahead = Math.min(MAX_AHEAD, ahead * 2)
      }
      continue
    }
    const step = top.step++
    const i = step >> 1
    if ((step & 1) === 0 && i < top.childRefs.length) {
      readAhead(reader, top, i + ahead)
      stack.push(await enter(await top.children[i]!, bounds))
    } else if ((step & 1) === 1 && i < top.entries.length) {
      yield [top.entries[i]!]
      ahead = Math.min(MAX_AHEAD, ahead * 2)
    } else {
      stack.pop()
    }
  }
}

/** Starts reading the frame's children below index `end` that are not read yet. */
function readAhead(reader: BlockReader, frame: Frame, end: number): void {
  const last = Math.min(end, frame.childRefs.length)
  for (let i = frame.children.length; i < last; i++) {
    const { seq, offset } = frame.childRefs[i]!
    const child = reader.node(seq, offset)
    child.catch(noop)
    frame.children.push(child)
  }
}

async function enter(node: LoadedNode, bounds: ScanBounds): Promise<Frame> {
  const blocks = await Promise.all(node.keys)
  // Keys [from, to) are in range; children from..to may hold keys in range.
  let from = 0
  while (from < blocks.length && !passesLower(blocks[from]!.key, bounds)) from++
  let to = from
  while (to < blocks.length && passesUpper(blocks[to]!.key, bounds)) to++
  const entries: TreeEntry[] = []
  for (let i = from; i < to; i++) entries.push({ seq: node.keySeqs[i]!, key: blocks[i]!.key, value: blocks[i]!.value })
  const childRefs: NodeRef[] = []
  if (node.children.length > 0) {
    for (let i = from; i <= to; i++) childRefs.push({ seq: node.children[2 * i]!, offset: node.children[2 * i + 1]! })
  }
  if (bounds.reverse) {
    entries.reverse()
    childRefs.reverse()
  }
  return { entries, childRefs, children: [], step: 0 }
}
