/**
 * Group commit for the SQLite store: the writes that arrive within one turn of the event loop
 * (concurrent clients of this process) share one write transaction, so one commit (one fsync with
 * synchronous=full) serves them all. Each keeps its own checks and its all-or-none, and none is
 * reported before the commit that makes it durable.
 *
 * All-or-none per write, at the cost a write pays: the group first runs in one transaction with no
 * savepoints (a savepoint per write cost two statements and a copy of every page it touched into
 * the statement journal). A write that throws there (an insert SQLite refuses) leaves its group
 * rolled back whole, with nothing committed, and the group runs again, each write in its own
 * savepoint, so that write fails alone and the others stand. Running again re-runs decisions, which
 * the port allows (`DecideAndAppendRequest.decide` "may be called again"), against the same state
 * as the first run, since nothing of it was committed. A throw that makes SQLite roll the
 * transaction back itself (an I/O error) fails the whole group, as no write of it stands.
 *
 * The write lock: a writer that finds it taken waits for it, up to the busy timeout, but not in
 * SQLite's own busy handler: that one sleeps longer and longer (up to 100 ms a try) and, against
 * several processes that each take the lock every few milliseconds, almost never finds it free, so
 * under contention it starved writers into SQLITE_BUSY. Here BEGIN IMMEDIATE tries for a couple of
 * milliseconds, and a group that did not get the lock is tried again after a random 0–3 ms, with the
 * event loop free meanwhile; writes that arrive meanwhile join it in call order. The connection
 * keeps that brief busy timeout between commits; every other use of it (`useAsOpened`) first puts
 * back the timeout it was opened with, so a busy timeout statement runs only when a commit follows
 * something else, not twice per commit.
 *
 * @example
 * const writes = groupCommit(db, { run: (write) => E.right(write), settle: (write, result) => write.resolve(result), streamOf: (write) => write.streamId, afterCommit: () => {} })
 * writes.enqueue(write) // settled after the commit that makes it durable, or refused
 */
import { type StoreError, type StoreFailure, storeFailure } from '@elicence/domain'
import type Database from 'better-sqlite3'
import * as E from 'fp-ts/lib/Either.js'
import { sqliteFailure } from './database-file.js'
import { whenFullCheckpointAndRetry } from './full-disk.js'

export interface GroupCommitOptions<W> {
  /** One write, inside the group's transaction: its result, or a throw that takes back what it wrote. */
  readonly run: (write: W) => E.Either<StoreError, unknown>
  /** Hands a write its result, once its group committed (or failed). */
  readonly settle: (write: W, result: E.Either<StoreError, unknown>) => void
  /** The stream a write appends to, for its failure message. */
  readonly streamOf: (write: W) => string
  /** After each commit (still with the brief busy timeout: call `useAsOpened` before anything that waits). */
  readonly afterCommit: () => void
}

export interface GroupCommit<W> {
  /** Queues a write for the next group; it is settled after that group's commit. */
  readonly enqueue: (write: W) => void
  /** Before any other use of the connection: puts back the busy timeout it was opened with. */
  readonly useAsOpened: () => void
  /** Commits (or refuses) every write queued so far, waiting for the lock as long as the busy timeout allows. */
  readonly drain: () => void
}

const failure = (what: string, cause: unknown): StoreFailure => sqliteFailure('sqlite', what, cause)

/**
 * The most writes one transaction takes; the rest wait for the next, a turn of the event loop later.
 * A group runs synchronously: a thousand commands at once on one licence held the loop for seconds,
 * and every other request with it; and each decision of a group folds the events of the ones before
 * it, which the handler keeps folded only once their group has committed. 64 still shares an fsync
 * among many writes.
 */
const maxGroup = 64

/** A write's own failure inside the group's transaction, which is still open (SQLite did not end it). */
class WriteFailed {
  constructor(readonly cause: unknown) {}
}

export const groupCommit = <W>(db: Database.Database, options: GroupCommitOptions<W>): GroupCommit<W> => {
  const { run, settle, streamOf, afterCommit } = options

  const allAtOnce = db.transaction((group: ReadonlyArray<W>) =>
    group.map((write) => {
      try {
        return run(write)
      } catch (cause) {
        // An I/O error can make SQLite roll the whole transaction back: then no write of the
        // group stands, and rethrowing reports every one of them as failed.
        if (!db.inTransaction) throw cause
        throw new WriteFailed(cause)
      }
    }),
  )
  // Inside `eachInSavepoint`'s transaction better-sqlite3 runs this in a SAVEPOINT, so a write that
  // throws rolls back its own events and no other's.
  const inOwnSavepoint = db.transaction((write: W) => run(write))
  const eachInSavepoint = db.transaction((group: ReadonlyArray<W>) =>
    group.map((write): E.Either<StoreError, unknown> => {
      try {
        return inOwnSavepoint(write)
      } catch (cause) {
        if (!db.inTransaction) throw cause
        return E.left(failure(`cannot append to ${streamOf(write)}`, cause))
      }
    }),
  )
  const commitGroup = (group: ReadonlyArray<W>): ReadonlyArray<E.Either<StoreError, unknown>> => {
    try {
      return allAtOnce.immediate(group)
    } catch (thrown) {
      if (!(thrown instanceof WriteFailed)) throw thrown
      // better-sqlite3 rolled the group back when the write threw: nothing of it was committed.
      return eachInSavepoint.immediate(group)
    }
  }

  // How long a group waits for the write lock in all (the connection's busy timeout, as opened),
  // and how long each try may block the event loop.
  const busyTimeoutMs = Number(db.pragma('busy_timeout', { simple: true }))
  const lockTryMs = 2
  // Prepared once: db.pragma() prepares its statement on every call.
  const waitForLockAtMost = (ms: number) => db.prepare(`PRAGMA busy_timeout = ${Math.trunc(ms)}`)
  const waitBrieflyStatement = waitForLockAtMost(lockTryMs)
  const waitAsOpenedStatement = waitForLockAtMost(busyTimeoutMs)
  let waitingBriefly = false
  const waitBriefly = () => {
    if (waitingBriefly) return
    waitBrieflyStatement.get()
    waitingBriefly = true
  }
  const useAsOpened = () => {
    if (!waitingBriefly) return
    waitAsOpenedStatement.get()
    waitingBriefly = false
  }
  const lockBusy = (cause: unknown): boolean =>
    !db.inTransaction && String((cause as { code?: unknown } | undefined)?.code).startsWith('SQLITE_BUSY')

  let pending: W[] = []
  let retry: { readonly timer: NodeJS.Timeout; readonly group: W[]; readonly since: number } | undefined
  const commit = (group: W[], since: number, lastTry: boolean) => {
    let results: ReadonlyArray<E.Either<StoreError, unknown>>
    if (lastTry) useAsOpened()
    else waitBriefly()
    try {
      results = whenFullCheckpointAndRetry(db, () => commitGroup(group))
    } catch (cause) {
      if (!lastTry && lockBusy(cause) && Date.now() - since < busyTimeoutMs) {
        const timer = setTimeout(() => {
          retry = undefined
          const merged = [...group, ...pending]
          pending = []
          commit(merged, since, false)
        }, Math.random() * 3)
        retry = { timer, group, since }
        return
      }
      const failed = E.left(failure('cannot commit the appends', cause))
      results = group.map(() => failed)
    }
    afterCommit()
    for (let index = 0; index < group.length; index++) {
      settle(group[index] as W, results[index] ?? E.left(storeFailure('sqlite: an append went missing')))
    }
  }
  const flush = () => {
    // A group waiting for the lock takes the new writes with it, keeping call order.
    if (retry !== undefined || pending.length === 0) return
    const group = pending.length <= maxGroup ? pending : pending.slice(0, maxGroup)
    pending = pending.length <= maxGroup ? [] : pending.slice(maxGroup)
    // The rest after this group's writers have heard (their callbacks run before the next turn).
    if (pending.length > 0) setImmediate(flush)
    commit(group, Date.now(), false)
  }

  return {
    enqueue: (write) => {
      if (pending.length === 0) setImmediate(flush)
      pending.push(write)
    },
    useAsOpened,
    drain: () => {
      const waiting = retry
      retry = undefined
      if (waiting !== undefined) clearTimeout(waiting.timer)
      const group = [...(waiting?.group ?? []), ...pending]
      pending = []
      if (group.length > 0) commit(group, waiting?.since ?? Date.now(), true)
    },
  }
}
