/**
 * An embedded, local-first notes app: the database lives in a directory next to the app and
 * works offline; `sync` shares it with other devices over Hyperswarm when they are online.
 *
 *   tsx examples/notes.ts add "call the plumber"
 *   tsx examples/notes.ts done <id>
 *   tsx examples/notes.ts list
 *   NOTES_DIR=./other tsx examples/notes.ts list
 */
import { randomBytes } from 'node:crypto'
import { PeerBee } from '../lib/index.js'

interface Note {
  text: string
  done: boolean
  created: number
}

const db = new PeerBee<string, Note>(process.env.NOTES_DIR ?? './notes-db')

async function add(text: string): Promise<void> {
  // Ids sort by creation time, so list() shows notes oldest first.
  const id = `${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`
  await db.put(`note/${id}`, { text, done: false, created: Date.now() })
  console.log(`added ${id}`)
}

async function done(id: string): Promise<void> {
  const entry = await db.get(`note/${id}`)
  if (entry === null) throw new Error(`no note ${id}`)
  await db.put(`note/${id}`, { ...entry.value, done: true })
  console.log(`done ${id}`)
}

async function list(): Promise<void> {
  for await (const { key, value, conflicts } of db.list({ prefix: 'note/' })) {
    // Two devices edited the note offline: show the version that won and say so.
    const flag = conflicts.length > 0 ? ' (edited on another device too)' : ''
    console.log(`${value.done ? '[x]' : '[ ]'} ${key.slice('note/'.length)}  ${value.text}${flag}`)
  }
}

const [command, arg] = process.argv.slice(2)
try {
  if (command === 'add' && arg !== undefined) await add(arg)
  else if (command === 'done' && arg !== undefined) await done(arg)
  else if (command === 'list') await list()
  else {
    console.error('usage: notes.ts add <text> | done <id> | list')
    process.exitCode = 1
  }
} finally {
  await db.close()
}
