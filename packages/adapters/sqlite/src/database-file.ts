/**
 * Opening a SQLite file the way every part of this adapter needs it: WAL, a busy timeout, the
 * chosen `synchronous` level, then a schema step that may refuse the file. Errors as values, and a
 * file that is refused is closed again.
 *
 * @example
 * const db = openDatabaseFile({ path: './data/elicence.db' }, 'sqlite', prepareSchema) // Either<StoreFailure, Database>
 */
import { type StoreFailure, storeFailure } from '@elicence/domain'
import Database from 'better-sqlite3'
import * as E from 'fp-ts/lib/Either.js'

export interface DatabaseFileOptions {
  /** The database file; created when missing. */
  readonly path: string
  /** How long a write waits for another connection's write transaction, in ms (default 5000). */
  readonly busyTimeoutMs?: number
  /** SQLite's `synchronous`: `full` (default) survives a power loss, `normal` a process crash. */
  readonly synchronous?: 'full' | 'normal'
}

/** A store failure whose message names the part of the adapter and what it was doing. */
export const sqliteFailure = (label: string, what: string, cause: unknown): StoreFailure =>
  storeFailure(`${label}: ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, cause)

/**
 * Opens `options.path` and runs `prepare` on it; `prepare` returns a problem that refuses the file
 * (a newer schema, say) or undefined.
 */
export const openDatabaseFile = (
  options: DatabaseFileOptions | string,
  label: string,
  prepare: (db: Database.Database) => string | undefined,
): E.Either<StoreFailure, Database.Database> => {
  const {
    path,
    busyTimeoutMs = 5000,
    synchronous = 'full',
  } = typeof options === 'string' ? { path: options } : options
  let db: Database.Database | undefined
  try {
    db = new Database(path, { timeout: busyTimeoutMs })
    // WAL first: it is a property of the file, and every later statement should run under it.
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    const problem = prepare(db)
    if (problem !== undefined) {
      db.close()
      return E.left(storeFailure(`${label}: ${path}: ${problem}`))
    }
    return E.right(db)
  } catch (cause) {
    if (db?.open) db.close()
    return E.left(sqliteFailure(label, `cannot open ${path}`, cause))
  }
}
