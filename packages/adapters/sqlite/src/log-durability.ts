/**
 * Durable before acknowledged, without the write lock held across the fsync (DESIGN §4, issue 9).
 *
 * With SQLite's own `synchronous=FULL` each commit fsyncs the write-ahead log before it releases the
 * write lock, on the event loop (better-sqlite3 is synchronous). Commits are then strictly one fsync
 * after another, and nothing else runs meanwhile: with 8 clients each waiting for its own command
 * (so at most 8 commands per commit), throughput can never pass 8 commands per fsync time, however
 * little CPU a command takes (0.5–1.5 ms per fsync measured on this machine: at most 5–16 k/s, and
 * in practice ~6 k/s with the CPU added).
 *
 * So the event store's connection commits with `synchronous=NORMAL` — the commit's frames are written
 * to the log and made visible, the lock released — and this module fdatasyncs the log file itself,
 * off the event loop (libuv's thread pool), before any command of that commit is acknowledged. The
 * next groups commit while the sync runs, and their own syncs overlap it. Why that is as durable:
 * - What FULL adds over NORMAL in WAL mode is only the log's sync at each commit; NORMAL still syncs
 *   the log's header when it is reset and both files at every checkpoint. The fdatasync here syncs
 *   the same file (any descriptor of the file flushes all of its dirty pages, the size included), so
 *   once it returns every frame written before it began is on disk, the acknowledged commit's among
 *   them. A new log file's directory entry is synced once too (SQLite does the same on its first
 *   sync of a new file), or a power loss could lose the whole file.
 * - Recovery after a power loss keeps a prefix of the log: frames carry checksums that chain, and
 *   recovery stops at the first that does not match. A commit that reached the disk cannot survive
 *   without every commit before it, so one whose outcome depended on an earlier, unsynced commit (a
 *   decision that read it, a replay of it) is acknowledged only after a sync that covers both.
 * - A killed process loses nothing either way: written frames are in the kernel's page cache.
 * - A failed fsync leaves the kernel free to drop the unsynced pages while later ones still reach
 *   the disk, which would break the prefix under later acknowledgements: after one failure the store
 *   fails every call (PostgreSQL panics on the same condition), and nothing synced after it is trusted.
 *
 * SQLite's FULL also never shows a reader a commit that is not yet on disk. The store keeps that for
 * its own readers: a read that returns an event past the last position known durable waits for a
 * sync covering it (one that is running, or a new one), so what this store hands out, to writers
 * and readers alike, survives a power loss. (A reader in another process that opens the file with
 * its own connection can see a commit up to one fsync before it is durable; nothing it sees
 * was acknowledged to a writer before it was on disk.)
 *
 * @example
 * const durability = logDurability({ head: () => maxPosition(), sync: syncWriteAheadLog(db.name) })
 * const durable = await durability.through(lastPositionOfTheGroup) // Left: syncing failed, for good
 */
import { constants, promises as fs, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { type StoreFailure, storeFailure } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'

export interface LogDurability {
  /**
   * Resolves once every commit in the file up to `position` is on disk: at once when a finished sync
   * covers it, else with a running sync that does or a new one. `Left` once any sync has failed.
   */
  readonly through: (position: number) => Promise<E.Either<StoreFailure, void>>
  /** A new sync of everything committed so far (a write probe's commit has no position). */
  readonly now: () => Promise<E.Either<StoreFailure, void>>
  /** The failure that ended syncing, if one did. */
  readonly failed: () => StoreFailure | undefined
  /** Resolves when no sync is running (before the file is closed). */
  readonly settled: () => Promise<void>
}

export interface LogDurabilityOptions {
  /** The last position committed in the file now (read on the event loop, before the sync starts). */
  readonly head: () => number
  /** Makes everything written to the log so far durable; rejects when it cannot. */
  readonly sync: () => Promise<void>
}

export const logDurability = ({ head, sync }: LogDurabilityOptions): LogDurability => {
  let durableThrough = 0
  let failure: StoreFailure | undefined
  // Running syncs by the position each covers; the last started covers the most.
  const running = new Set<{ readonly covers: number; readonly done: Promise<E.Either<StoreFailure, void>> }>()
  let latest: { readonly covers: number; readonly done: Promise<E.Either<StoreFailure, void>> } | undefined

  const start = (): Promise<E.Either<StoreFailure, void>> => {
    const covers = head()
    const done = sync().then(
      (): E.Either<StoreFailure, void> => {
        running.delete(entry)
        if (failure !== undefined) return E.left(failure)
        if (covers > durableThrough) durableThrough = covers
        return E.right(undefined)
      },
      (cause: unknown): E.Either<StoreFailure, void> => {
        running.delete(entry)
        failure ??= storeFailure(
          `sqlite: the write-ahead log could not be synced to disk (${cause instanceof Error ? cause.message : String(cause)}); commits since the last sync may not be durable, so the store refuses every call: reopen it`,
          cause,
        )
        return E.left(failure)
      },
    )
    const entry = { covers, done }
    running.add(entry)
    latest = entry
    return done
  }

  return {
    through: (position) => {
      if (failure !== undefined) return Promise.resolve(E.left(failure))
      if (position <= durableThrough) return Promise.resolve(E.right(undefined))
      if (latest !== undefined && running.has(latest) && latest.covers >= position) return latest.done
      return start()
    },
    now: () => (failure !== undefined ? Promise.resolve(E.left(failure)) : start()),
    failed: () => failure,
    settled: async () => {
      await Promise.all([...running].map((entry) => entry.done))
    },
  }
}

/**
 * fdatasync of `${databasePath}-wal`, on a descriptor of its own kept open. A log that is a new file
 * (another inode: SQLite deletes the log when the last connection closes) gets a new descriptor,
 * and its directory entry is synced before the first sync of it counts. With no log file there is
 * nothing unsynced in one: checkpoints sync the database file themselves.
 */
export const syncWriteAheadLog = (
  databasePath: string,
): { readonly sync: () => Promise<void>; readonly close: () => Promise<void> } => {
  const logPath = `${databasePath}-wal`
  // Every descriptor opened stays open until close: a sync still running may be using an old one.
  const handles: Array<Promise<fs.FileHandle>> = []
  let current: { readonly ino: number; readonly handle: Promise<fs.FileHandle> } | undefined
  const open = async () => {
    const handle = await fs.open(logPath, constants.O_RDONLY)
    const directory = await fs.open(dirname(logPath), constants.O_RDONLY)
    try {
      await directory.sync()
    } finally {
      await directory.close()
    }
    return handle
  }
  return {
    sync: async () => {
      const ino = statSync(logPath, { throwIfNoEntry: false })?.ino
      if (ino === undefined) return
      if (current?.ino !== ino) {
        current = { ino, handle: open() }
        handles.push(current.handle)
      }
      await (await current.handle).datasync()
    },
    close: async () => {
      current = undefined
      const all = handles.splice(0)
      await Promise.all(all.map((handle) => handle.then((h) => h.close()).catch(() => undefined)))
    },
  }
}
