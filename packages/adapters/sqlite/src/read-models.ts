/**
 * The SQLite ReadModelStore of @elicence/projections: read-model documents and projection checkpoints
 * in two tables, in the event store's file or a file of their own. A commit is one `BEGIN IMMEDIATE`
 * transaction that checks the checkpoint it started from, writes every document and moves the
 * checkpoint, so a crash leaves the read models exactly at a committed checkpoint.
 *
 * @example
 * import { projectionRunner, readModelQueries } from '@elicence/projections'
 * const readModels = sqliteReadModelStore({ path: './data/elicence.db' })
 * await projectionRunner({ events: sqliteEventStore({ path: './data/elicence.db' }), readModels }).catchUp()
 * await readModelQueries(readModels).reviewQueue({ limit: 20 })
 */
import { concurrencyConflict, type StoreError, type StoreFailure, storeFailure } from '@elicence/domain'
import {
  type Checkpoint,
  checkpointStreamId,
  type DocumentChange,
  initialCheckpoint,
  type ReadModelStore,
  type StoredDocument,
} from '@elicence/projections/read-model-port'
import type Database from 'better-sqlite3'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { changedUnderImmutableRead, openDatabaseFile, sqliteFailure } from './database-file.js'

export interface SqliteReadModelStoreOptions {
  /** The database file (created when missing); may be the event store's own file. */
  readonly path: string
  readonly busyTimeoutMs?: number
  /** As for the event store: `full` (default) survives a power loss, `normal` a process crash. */
  readonly synchronous?: 'full' | 'normal'
  /**
   * Read only: the file must exist, no table is created, commits fail, and a file without the
   * read-model tables reads as empty read models (checkpoint 0), as a file nobody projected into is.
   */
  readonly readOnly?: boolean
}

const readModelSchemaVersion = 1

// WITHOUT ROWID: documents are found by their primary key, so it is the table's own order.
const createSchema = `
  CREATE TABLE IF NOT EXISTS read_model_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE IF NOT EXISTS read_model_checkpoints (
    projection TEXT PRIMARY KEY,
    position   INTEGER NOT NULL,
    stream_id  TEXT,
    version    INTEGER,
    hash       TEXT
  ) STRICT;
  CREATE TABLE IF NOT EXISTS read_model_documents (
    projection TEXT NOT NULL,
    collection TEXT NOT NULL,
    key        TEXT NOT NULL,
    doc        TEXT NOT NULL,
    sort_key   TEXT,
    PRIMARY KEY (projection, collection, key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS read_model_documents_by_sort_key
    ON read_model_documents (projection, collection, sort_key) WHERE sort_key IS NOT NULL;
`

/** Upper bound for a prefix range: the highest code point sorts after every key with the prefix. */
const prefixEnd = (prefix: string): string => `${prefix}\u{10FFFF}`

const failure = (what: string, cause: unknown): StoreFailure =>
  sqliteFailure('sqlite read models', what, cause)

const hasTables = (db: Database.Database): boolean =>
  db
    .prepare<[], [number]>(
      `SELECT count(*) FROM sqlite_schema WHERE type = 'table'
       AND name IN ('read_model_meta', 'read_model_checkpoints', 'read_model_documents')`,
    )
    .raw()
    .get()?.[0] === 3

const prepare = (db: Database.Database, readOnly: boolean): string | undefined => {
  if (readOnly) return undefined
  db.transaction(() => db.exec(createSchema)).immediate()
  const row = db
    .prepare<[], { value: string }>(`SELECT value FROM read_model_meta WHERE key = 'schema'`)
    .get()
  if (row === undefined) {
    db.prepare(`INSERT OR IGNORE INTO read_model_meta (key, value) VALUES ('schema', ?)`).run(
      String(readModelSchemaVersion),
    )
    return undefined
  }
  return Number(row.value) > readModelSchemaVersion
    ? `the file has read-model schema ${row.value}, newer than this build reads (${readModelSchemaVersion})`
    : undefined
}

/** Opens (and creates when missing) the read-model tables; errors as values. */
export const openSqliteReadModelStore = (
  options: SqliteReadModelStoreOptions | string,
): E.Either<StoreFailure, ReadModelStore> =>
  pipe(
    openDatabaseFile(options, 'sqlite read models', prepare),
    E.map((db) => (hasTables(db) ? readModelsOn(db) : emptyReadModelsOn(db))),
  )

/** The read models of a file opened read-only that has none: empty, and closing closes the file. */
const emptyReadModelsOn = (db: Database.Database): ReadModelStore => {
  const readOnly = E.left(storeFailure('sqlite read models: opened read-only'))
  return {
    loadCheckpoint: async () => E.right(initialCheckpoint),
    load: async () => E.right(new Map()),
    list: async () => E.right([]),
    commit: async () => readOnly,
    reset: async () => readOnly,
    close: async () => {
      if (db.open) db.close()
    },
  }
}

/** Like `openSqliteReadModelStore`, for callers that treat a failure to open as a startup error. */
export const sqliteReadModelStore = (options: SqliteReadModelStoreOptions | string): ReadModelStore => {
  const opened = openSqliteReadModelStore(options)
  if (E.isLeft(opened)) throw new Error(opened.left.message, { cause: opened.left })
  return opened.right
}

type CheckpointRow = [position: number, streamId: string | null, version: number | null, hash: string | null]

const readModelsOn = (db: Database.Database): ReadModelStore => {
  const selectCheckpoint = db
    .prepare<[string], CheckpointRow>(
      `SELECT position, stream_id, version, hash FROM read_model_checkpoints WHERE projection = ?`,
    )
    .raw()
  const upsertCheckpoint = db.prepare<[string, number, string | null, number | null, string | null]>(
    `INSERT INTO read_model_checkpoints (projection, position, stream_id, version, hash) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (projection) DO UPDATE SET position = excluded.position, stream_id = excluded.stream_id,
       version = excluded.version, hash = excluded.hash`,
  )
  const selectDocuments = db
    .prepare<[string, string, string], [string, string]>(
      `SELECT key, doc FROM read_model_documents
       WHERE projection = ? AND collection = ? AND key IN (SELECT value FROM json_each(?))`,
    )
    .raw()
  const upsertDocument = db.prepare<[string, string, string, string, string | null]>(
    `INSERT INTO read_model_documents (projection, collection, key, doc, sort_key) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (projection, collection, key) DO UPDATE SET doc = excluded.doc, sort_key = excluded.sort_key`,
  )
  const deleteDocument = db.prepare<[string, string, string]>(
    `DELETE FROM read_model_documents WHERE projection = ? AND collection = ? AND key = ?`,
  )
  const listByKey = db
    .prepare<[string, string, string, string, number], [string, string]>(
      `SELECT key, doc FROM read_model_documents
       WHERE projection = ? AND collection = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?`,
    )
    .raw()
  const listBySortKey = db
    .prepare<[string, string, string, string, string, number], [string, string]>(
      `SELECT key, doc FROM read_model_documents
       WHERE projection = ? AND collection = ? AND key >= ? AND key < ?
         AND sort_key IS NOT NULL AND sort_key <= ?
       ORDER BY sort_key, key LIMIT ?`,
    )
    .raw()
  const deleteProjection = db.prepare<[string]>(`DELETE FROM read_model_documents WHERE projection = ?`)
  const deleteCheckpoint = db.prepare<[string]>(`DELETE FROM read_model_checkpoints WHERE projection = ?`)

  const checkpointOf = (projection: string): Checkpoint => {
    const row = selectCheckpoint.get(projection)
    return row === undefined
      ? initialCheckpoint
      : { position: row[0], streamId: row[1], version: row[2], hash: row[3] }
  }

  const commitInTransaction = db.transaction(
    (
      projection: string,
      changes: ReadonlyArray<DocumentChange>,
      expected: number,
      next: Checkpoint,
    ): E.Either<StoreError, void> => {
      const actual = checkpointOf(projection).position
      if (actual !== expected)
        return E.left(concurrencyConflict(checkpointStreamId(projection), expected, actual))
      for (const change of changes) {
        if (change.doc === null) deleteDocument.run(projection, change.collection, change.key)
        // JSON.stringify throws for a document without a JSON form: the transaction rolls back whole.
        else
          upsertDocument.run(
            projection,
            change.collection,
            change.key,
            JSON.stringify(change.doc),
            change.sortKey,
          )
      }
      upsertCheckpoint.run(projection, next.position, next.streamId, next.version, next.hash)
      return E.right(undefined)
    },
  )

  let closed = false
  const whileOpen = <A>(
    what: string,
    run: () => E.Either<StoreError, A>,
  ): Promise<E.Either<StoreError, A>> => {
    if (closed) return Promise.resolve(E.left(storeFailure('sqlite read models: the store is closed')))
    try {
      const result = run()
      // As the event store's reads: a file read immutably that a writer opened meanwhile may have
      // been read torn (documents of one commit beside a checkpoint of another).
      const changed = changedUnderImmutableRead(db)
      return Promise.resolve(
        changed === undefined ? result : E.left(storeFailure(`sqlite read models: ${changed}`)),
      )
    } catch (cause) {
      return Promise.resolve(E.left(failure(what, cause)))
    }
  }
  // Documents are parsed, not decoded: only the projection runner writes them.
  const rowsToDocuments = (rows: ReadonlyArray<[string, string]>): ReadonlyArray<StoredDocument> =>
    rows.map(([key, doc]) => ({ key, doc: JSON.parse(doc) }))

  return {
    loadCheckpoint: (projection) =>
      whileOpen('cannot read a checkpoint', () => E.right(checkpointOf(projection))),
    load: (projection, collection, keys) =>
      whileOpen(`cannot read ${collection}`, () => {
        const found = new Map<string, unknown>()
        if (keys.length === 0) return E.right(found)
        for (const [key, doc] of selectDocuments.all(projection, collection, JSON.stringify(keys))) {
          found.set(key, JSON.parse(doc))
        }
        return E.right(found)
      }),
    list: (projection, collection, query = {}) =>
      whileOpen(`cannot list ${collection}`, () => {
        const prefix = query.prefix ?? ''
        const limit = query.limit ?? -1
        const rows =
          query.orderBy === 'sort-key'
            ? listBySortKey.all(
                projection,
                collection,
                prefix,
                prefixEnd(prefix),
                query.maxSortKey ?? '\u{10FFFF}',
                limit,
              )
            : listByKey.all(projection, collection, prefix, prefixEnd(prefix), limit)
        return E.right(rowsToDocuments(rows))
      }),
    commit: (projection, changes, { expected, next }) =>
      whileOpen('cannot commit', () => commitInTransaction.immediate(projection, changes, expected, next)),
    reset: (projection) =>
      whileOpen('cannot reset', () => {
        db.transaction(() => {
          deleteProjection.run(projection)
          deleteCheckpoint.run(projection)
        }).immediate()
        return E.right(undefined)
      }),
    close: async () => {
      if (closed) return
      closed = true
      db.close()
    },
  }
}
