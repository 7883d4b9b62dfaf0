import type { System, SystemName } from './types.js'

export const SYSTEM_NAMES: readonly SystemName[] = ['peerbee', 'peerbee-encrypted', 'autobase', 'hyperbee', 'pouchdb']

/** Loaded on demand: a process measuring one system holds none of the others' modules. */
export async function loadSystem(name: SystemName): Promise<System> {
  switch (name) {
    case 'peerbee':
      return (await import('./peerbee.js')).peerbee
    case 'peerbee-encrypted':
      return (await import('./peerbee.js')).peerbeeEncrypted
    case 'autobase':
      return (await import('./autobase.js')).autobase
    case 'hyperbee':
      return (await import('./hyperbee.js')).hyperbee
    case 'pouchdb':
      return (await import('./pouchdb.js')).pouchdb
  }
}
