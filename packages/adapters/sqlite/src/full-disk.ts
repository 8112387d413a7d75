/**
 * A full disk in WAL mode is often a full write-ahead log. SQLite checkpoints the log into the
 * database file only every 1,000 pages (4 MB), and until then each commit adds its pages to the log
 * again: on a 3 MB volume, 165 small appends filled the disk with a 3.1 MB log beside a database of
 * 4 KB. At that point a checkpoint cannot help any more — it must grow the database file by the
 * log's new pages before it can truncate the log, and there is no room left to grow.
 *
 * So the store keeps the log within the disk's means, and acts when a write fails all the same:
 * - `keepLogWithinFreeSpace`, after a commit: when the log takes more than half of the space left
 *   on its volume, it is checkpointed and truncated (`wal_checkpoint(TRUNCATE)`) while the database
 *   still has room to take the pages. On a roomy disk this never fires; on a small one the volume
 *   fills with data, not with copies of the same pages.
 * - `whenFullCheckpointAndRetry`: a write that fails with SQLITE_FULL is tried once more after the
 *   same checkpoint (space may have been freed meanwhile, or the log is what holds it). Nothing was
 *   committed by the failed attempt (SQLite rolls back a transaction whose commit fails), so trying
 *   again cannot apply anything twice. A write that fails again is reported as it failed.
 *
 * @example
 * const results = whenFullCheckpointAndRetry(db, () => commitGroup.immediate(group))
 * keepLogWithinFreeSpace(db)
 */
import { statfsSync, statSync } from 'node:fs'
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

export const keepLogWithinFreeSpace = (db: Database.Database): void => {
  if (db.memory || db.readonly) return
  try {
    const logBytes = statSync(`${db.name}-wal`, { throwIfNoEntry: false })?.size ?? 0
    if (logBytes < smallLogBytes) return
    const volume = statfsSync(dirname(db.name))
    if (logBytes * 2 > volume.bavail * volume.bsize) checkpoint(db)
  } catch {
    // A checkpoint that cannot run now (a reader holds the log, the disk is already full) is tried
    // again after the next commit; the commit that just succeeded stands either way.
  }
}
