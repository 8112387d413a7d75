/**
 * Opening a SQLite file the way every part of this adapter needs it: WAL, a busy timeout, the
 * chosen `synchronous` level, then a schema step that may refuse the file. Errors as values, and a
 * file that is refused is closed again.
 *
 * @example
 * const db = openDatabaseFile({ path: './data/elicence.db' }, 'sqlite', prepareSchema) // Either<StoreFailure, Database>
 */
import { existsSync, rmSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { type StoreFailure, storeFailure } from '@elicence/domain'
import Database from 'better-sqlite3'
import * as E from 'fp-ts/lib/Either.js'

// A WAL file on read-only media can only be read as `file:…?immutable=1`, a URI filename, which
// better-sqlite3's SQLite reads when this is set before its addon loads (at the first open). Only
// names that start with `file:` change meaning.
process.env.SQLITE_USE_URI ??= '1'

export interface DatabaseFileOptions {
  /** The database file; created when missing. */
  readonly path: string
  /** How long a write waits for another connection's write transaction, in ms (default 5000). */
  readonly busyTimeoutMs?: number
  /** SQLite's `synchronous`: `full` (default) survives a power loss, `normal` a process crash. */
  readonly synchronous?: 'full' | 'normal'
  /**
   * Open for reading only: the file must exist (a mistyped path is an error, not a new empty
   * store), nothing is created or migrated, and a file on read-only media can still be read.
   */
  readonly readOnly?: boolean
}

/** A -shm file a writer made is at least one 32 KiB region. */
const wholeIndexBytes = 32 * 1024

const isEmptyOrMissing = (path: string): boolean => !existsSync(path) || statSync(path).size === 0

/**
 * The errors of a read-only open that could not create the `-wal` or `-shm` beside the file:
 * SQLITE_READONLY_DIRECTORY (a directory the user may not write: SQLite cannot create the -wal),
 * SQLITE_CANTOPEN (read-only media: neither file can be created, nor opened, as neither exists) and
 * SQLITE_IOERR_* (a full disk: the -shm cannot be sized). Any other error is the file's own.
 */
const cannotCreateBeside = (code: string): boolean =>
  code === 'SQLITE_READONLY_DIRECTORY' ||
  code.startsWith('SQLITE_CANTOPEN') ||
  code.startsWith('SQLITE_IOERR')

/**
 * A read-only connection. SQLite reads a WAL file read-only only where it can create the `-shm`
 * index beside it (and the `-wal`, when missing); in a directory the user may not write, on
 * read-only media, or on a full disk, it cannot. Then, when no `-shm` exists and no
 * `-wal` holds anything — so no process has the file open for writing, as a writer in WAL mode
 * always keeps both — the file is read immutable, which needs neither. A `-wal` that holds commits
 * is not read that way: an immutable open would not see them, so that is an error.
 */
const openReadOnly = (path: string, timeout: number): E.Either<string, Database.Database> => {
  if (!existsSync(path)) return E.left(`no store at ${path}: the file does not exist (nothing was created)`)
  if (!statSync(path).isFile()) return E.left(`no store at ${path}: not a file`)
  const index = `${path}-shm`
  const log = `${path}-wal`
  const hadIndex = existsSync(index)
  const hadLog = existsSync(log)
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout })
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get()
    return E.right(db)
  } catch (cause) {
    db.close()
    const code = String((cause as { code?: unknown }).code ?? '')
    if (!cannotCreateBeside(code) || hadIndex) throw cause
    if (!isEmptyOrMissing(log))
      return E.left(
        `${path} has a write-ahead log (${log}) that cannot be read without creating ${index} (${code}: a directory this user may not write, read-only media or a full disk); copy both to writable storage`,
      )
    // On a full disk SQLite gets as far as an empty -wal and a truncated -shm: this open's, and
    // useless; left, they would make the next reader believe a writer is about.
    if (existsSync(index) && statSync(index).size < wholeIndexBytes) rmSync(index, { force: true })
    if (!hadLog) rmSync(log, { force: true })
  }
  const uri = `file:${encodeURI(resolve(path)).replace(/[?#]/g, encodeURIComponent)}?immutable=1`
  return E.right(new Database(uri, { readonly: true, fileMustExist: true, timeout }))
}

/** A store failure whose message names the part of the adapter and what it was doing. */
export const sqliteFailure = (label: string, what: string, cause: unknown): StoreFailure =>
  storeFailure(`${label}: ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, cause)

/**
 * Opens `options.path` and runs `prepare` on it; `prepare` returns a problem that refuses the file
 * (a newer schema, say) or undefined. `prepare` gets the connection and whether it is read-only.
 */
export const openDatabaseFile = (
  options: DatabaseFileOptions | string,
  label: string,
  prepare: (db: Database.Database, readOnly: boolean) => string | undefined,
): E.Either<StoreFailure, Database.Database> => {
  const {
    path,
    busyTimeoutMs = 5000,
    synchronous = 'full',
    readOnly = false,
  } = typeof options === 'string' ? { path: options } : options
  let db: Database.Database | undefined
  try {
    if (readOnly) {
      const opened = openReadOnly(path, busyTimeoutMs)
      if (E.isLeft(opened)) return E.left(storeFailure(`${label}: ${opened.left}`))
      db = opened.right
    } else {
      db = new Database(path, { timeout: busyTimeoutMs })
      // WAL first: it is a property of the file, and every later statement should run under it.
      db.pragma('journal_mode = WAL')
      db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    }
    const problem = prepare(db, readOnly)
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
