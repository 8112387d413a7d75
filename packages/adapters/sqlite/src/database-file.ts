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

// A WAL file whose -wal and -shm cannot, or must not, be created is read as `file:…?immutable=1`, a
// URI filename, which better-sqlite3's SQLite reads when this is set before its addon loads (at the
// first open). Only names that start with `file:` change meaning.
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
   * store), nothing is migrated, no file is created that its owner could not use, and a file on
   * read-only media or in a directory the user may not write can still be read.
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
 * Whether the `-wal` and `-shm` SQLite creates for this process would be the file owner's. SQLite
 * creates them with the database's mode, owned by whoever opens it, except that root hands them to
 * the database's owner. Another user's would have the owner's writes fail ("attempt to write a
 * readonly database") for as long as they are there, and a reader cannot delete them as it closes
 * (that takes a write lock on the database file), so another user must not create them.
 */
const createsThemAsOwner = (path: string): boolean => {
  const euid = process.geteuid?.()
  // Where there are no user ids (Windows), files are not owned this way.
  return euid === undefined || euid === 0 || euid === statSync(path).uid
}

/** Size, times and inode: what any write to the file, or its replacement, changes. */
const fileState = (path: string): string => {
  const stat = statSync(path, { bigint: true, throwIfNoEntry: false })
  return stat === undefined ? 'none' : `${stat.ino}/${stat.size}/${stat.mtimeNs}/${stat.ctimeNs}`
}

/** The check each read of an immutable connection makes afterwards; see `changedUnderImmutableRead`. */
const immutableReads = new WeakMap<Database.Database, () => string | undefined>()

/**
 * Opens the file alone, as `file:…?immutable=1`: no locks, no -wal, no -shm, nothing created. The
 * reader sees the database file as it is, which is every commit only when no -wal holds any: the
 * caller has checked that there is no -shm (a connection in WAL mode keeps one from its first read
 * to its close, so nobody has the file open) and no -wal with content (the last connection to close
 * checkpoints it into the file and deletes it; one that holds frames was left by a crash or copied
 * without its -shm, and reading past it would hand out a history without its last commits).
 *
 * SQLite trusts an immutable file not to change, and takes no lock that would stop a writer who
 * opens it afterwards; such a writer changes the file only by checkpointing, and only while its -shm
 * exists. So every read checks afterwards that no -shm has appeared and that the file and its -wal
 * are as they were at the open, and fails otherwise: what it read may mix two states of the file.
 * (A writer that opened, checkpointed and closed again within the resolution of the file's
 * timestamps, between the open and the first read, would go unseen.)
 */
const openImmutable = (path: string, timeout: number): Database.Database => {
  const index = `${path}-shm`
  const log = `${path}-wal`
  const opened = `${fileState(path)} ${fileState(log)}`
  const uri = `file:${encodeURI(resolve(path)).replace(/[?#]/g, encodeURIComponent)}?immutable=1`
  const db = new Database(uri, { readonly: true, fileMustExist: true, timeout })
  immutableReads.set(db, () =>
    existsSync(index) || `${fileState(path)} ${fileState(log)}` !== opened
      ? `${path} was read without its write-ahead log, as nobody had it open, and has been opened for writing since; what was read may mix two states of the file: read it again`
      : undefined,
  )
  return db
}

/**
 * After a read on a connection `openDatabaseFile` opened: why what was read cannot be trusted (the
 * file was read immutably and a writer has opened it since), or undefined.
 */
export const changedUnderImmutableRead = (db: Database.Database): string | undefined =>
  immutableReads.get(db)?.()

/**
 * A read-only connection that creates no file its owner could not use. With a `-wal` and a `-shm`
 * beside the file (a writer has it open, or left them), SQLite reads through them and creates
 * nothing. Without them, SQLite would create both, so only a process that creates them as the
 * owner's (see `createsThemAsOwner`) opens it so; another user, or one that cannot create them (a
 * directory it may not write, read-only media, a full disk), reads the file immutably (see
 * `openImmutable`) — refused when a -shm says a writer may be about, or a -wal holds commits.
 */
const openReadOnly = (path: string, timeout: number): E.Either<string, Database.Database> => {
  if (!existsSync(path)) return E.left(`no store at ${path}: the file does not exist (nothing was created)`)
  if (!statSync(path).isFile()) return E.left(`no store at ${path}: not a file`)
  const index = `${path}-shm`
  const log = `${path}-wal`
  const hadIndex = existsSync(index)
  const hadLog = existsSync(log)
  const immutably = (why: string): E.Either<string, Database.Database> => {
    if (hadIndex)
      return E.left(
        `${path} has a ${index} but no ${log}, and ${why}; open it once as its owner, or remove the stale ${index}`,
      )
    if (!isEmptyOrMissing(log))
      return E.left(
        `${path} has a write-ahead log (${log}) that cannot be read without creating ${index}, and ${why}; read it as the file's owner, or copy both to writable storage`,
      )
    return E.right(openImmutable(path, timeout))
  }
  if (!(hadIndex && hadLog) && !createsThemAsOwner(path))
    return immutably(
      `this user (${process.geteuid?.()}) is not its owner (${statSync(path).uid}): SQLite would create them as this user's, and the owner could no longer write to its store`,
    )
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout })
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get()
    return E.right(db)
  } catch (cause) {
    db.close()
    const code = String((cause as { code?: unknown }).code ?? '')
    if (!cannotCreateBeside(code) || hadIndex) throw cause
    // On a full disk SQLite gets as far as an empty -wal and a truncated -shm: this open's, and
    // useless; left, they would make the next reader believe a writer is about.
    if (existsSync(index) && statSync(index).size < wholeIndexBytes) rmSync(index, { force: true })
    if (!hadLog) rmSync(log, { force: true })
    return immutably(
      `it cannot be created here (${code}: a directory this user may not write, read-only media or a full disk)`,
    )
  }
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
