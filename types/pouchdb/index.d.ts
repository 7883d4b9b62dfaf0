declare module 'pouchdb' {
  namespace PouchDB {
    interface IdMeta {
      _id: string
      _rev?: string
    }

    /** A stored document as read back: the caller names the shape it wrote. */
    type Existing<Content extends object> = Content & { _id: string; _rev: string }

    interface WriteResult {
      ok: true
      id: string
      rev: string
    }

    /** `bulkDocs` reports a failed document in place instead of rejecting. */
    interface WriteError {
      error: true | string
      id?: string
      name?: string
      status?: number
      message?: string
    }

    interface AllDocsOptions {
      include_docs?: boolean
      startkey?: string
      endkey?: string
      limit?: number
      skip?: number
      descending?: boolean
    }

    interface AllDocsRow<Content extends object> {
      id: string
      key: string
      value: { rev: string; deleted?: boolean }
      doc?: Existing<Content>
    }

    interface AllDocsResponse<Content extends object> {
      total_rows: number
      offset: number
      rows: Array<AllDocsRow<Content>>
    }

    interface Info {
      db_name: string
      doc_count: number
      update_seq: number | string
    }

    interface ReplicationResult {
      ok: boolean
      docs_read: number
      docs_written: number
      doc_write_failures: number
    }

    interface SyncResult {
      push?: ReplicationResult
      pull?: ReplicationResult
    }

    interface Replicate {
      from(source: PouchDB): Promise<ReplicationResult>
      to(target: PouchDB): Promise<ReplicationResult>
    }
  }

  /** A document database; in Node its default adapter is LevelDB on disk (only what the benchmark uses). */
  class PouchDB {
    constructor(name: string, opts?: { auto_compaction?: boolean })
    readonly name: string
    put<Content extends object>(doc: Content & PouchDB.IdMeta): Promise<PouchDB.WriteResult>
    bulkDocs<Content extends object>(
      docs: Array<Content & PouchDB.IdMeta>
    ): Promise<Array<PouchDB.WriteResult | PouchDB.WriteError>>
    /** Rejects with `{ status: 404 }` for a missing document. */
    get<Content extends object>(id: string): Promise<PouchDB.Existing<Content>>
    allDocs<Content extends object>(opts?: PouchDB.AllDocsOptions): Promise<PouchDB.AllDocsResponse<Content>>
    info(): Promise<PouchDB.Info>
    /** Drops the bodies of revisions that are no longer leaves (the revision tree stays). */
    compact(): Promise<unknown>
    readonly replicate: PouchDB.Replicate
    /** One-shot replication both ways. */
    sync(other: PouchDB): Promise<PouchDB.SyncResult>
    close(): Promise<void>
    destroy(): Promise<void>
  }

  export = PouchDB
}
