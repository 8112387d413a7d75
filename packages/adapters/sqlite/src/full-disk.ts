/**
 * A full disk in WAL mode is often a full write-ahead log. SQLite checkpoints the log into the
 * database file only every 1,000 pages (4 MB), and until then each commit adds its pages to the log
 * again: on a 3 MB volume, 165 small appends filled the disk with a 3.1 MB log beside a database of
 * 4 KB. At that point a checkpoint cannot help any more — it must grow the database file by the
 * log's new pages before it can truncate the log, and there is no room left to grow.
 *
 * So the store keeps the log within the disk's means, and acts when a write fails all the same:
 * - `logKeeper(…).afterCommit`, after a commit: when the log takes more than half of the space left
 *   on its volume, it is checkpointed and truncated (`wal_checkpoint(TRUNCATE)`) while the database
 *   still has room to take the pages. On a roomy disk this never fires; on a small one the volume
 *   fills with data, not with copies of the same pages. It looks at the log through a descriptor
 *   kept open (an fstat, not a stat of the path: a third of the cost), opened again should the
 *   file be replaced, and at the volume only once a second while the log is far from the bound
 *   (a statfs per commit was the larger half of this check's cost); near the bound, every commit.
 * - `whenFullCheckpointAndRetry`: a write that fails with SQLITE_FULL is tried once more after the
 *   same checkpoint (space may have been freed meanwhile, or the log is what holds it). Nothing was
 *   committed by the failed attempt (SQLite rolls back a transaction whose commit fails), so trying
 *   again cannot apply anything twice. A write that fails again is reported as it failed.
 *
 * @example
 * const results = whenFullCheckpointAndRetry(db, () => commitGroup.immediate(group))
 * const keeper = logKeeper(db, () => {}); keeper.afterCommit(); keeper.close()
 */
import { closeSync, fstatSync, openSync, statfsSync } from 'node:fs'
import { dirname } from 'node:path'
import type Database from 'better-sqlite3'

const isDiskFull = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'SQLITE_FULL'

const checkpoint = (db: Database.Database): void => {
  db.pragma('wal_checkpoint(TRUNCATE)')
}

export const whenFullCheckpointAndRetry = <A>(db: Database.Database, write: () => A): A => {
  try {
    return write()
  } catch (error) {
    if (!isDiskFull(error) || db.inTransaction) throw error
    try {
      checkpoint(db)
    } catch {
      // The checkpoint may need room the disk lacks; then the write fails as it did.
      throw error
    }
    return write()
  }
}

/** Below this the log is left alone: checkpoints of tiny logs would only cost fsyncs. */
const smallLogBytes = 256 * 1024
/** How old a reading of the volume's free space may be while the log is far from the bound. */
const freeSpaceReadingMs = 1000

export interface LogKeeper {
  readonly afterCommit: () => void
  /** Closes the descriptor it keeps on the log. */
  readonly close: () => void
}

/** `beforeCheckpoint` runs before a checkpoint (the store puts back its connection's busy timeout). */
export const logKeeper = (db: Database.Database, beforeCheckpoint: () => void): LogKeeper => {
  if (db.memory || db.readonly) return { afterCommit: () => {}, close: () => {} }
  const logPath = `${db.name}-wal`
  let descriptor: number | undefined
  let free = { bytes: 0, readAt: Number.NEGATIVE_INFINITY }
  const close = () => {
    if (descriptor !== undefined) closeSync(descriptor)
    descriptor = undefined
  }
  const logBytes = (): number => {
    descriptor ??= openSync(logPath, 'r')
    const stats = fstatSync(descriptor)
    if (stats.nlink > 0) return stats.size
    // The log was removed (and a writer makes a new one): look at the file now at its path.
    close()
    descriptor = openSync(logPath, 'r')
    return fstatSync(descriptor).size
  }
  return {
    afterCommit: () => {
      try {
        const bytes = logBytes()
        if (bytes < smallLogBytes) return
        const now = Date.now()
        if (bytes * 4 > free.bytes || now - free.readAt > freeSpaceReadingMs) {
          const volume = statfsSync(dirname(db.name))
          free = { bytes: volume.bavail * volume.bsize, readAt: now }
        }
        if (bytes * 2 > free.bytes) {
          beforeCheckpoint()
          checkpoint(db)
          free = { bytes: 0, readAt: Number.NEGATIVE_INFINITY }
        }
      } catch {
        // A checkpoint that cannot run now (a reader holds the log, the disk is already full) is
        // tried again after the next commit; the commit that just succeeded stands either way. A
        // log that cannot be opened (not made yet) is looked for again then too.
        close()
      }
    },
    close,
  }
}
