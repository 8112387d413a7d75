/**
 * Checkpoints of the write-ahead log, mostly off the writer's thread. SQLite's own (every 1,000
 * pages, in the commit that crosses the mark) copies the log's pages into the database file and
 * syncs both on the thread that committed: measured, a tenth of the writer's CPU per command under
 * load, and a sync of the database file (milliseconds) that every client waited for.
 *
 * Here a worker thread, with a connection of its own, runs a PASSIVE checkpoint (it never blocks a
 * writer or a reader) whenever `framesPerCheckpoint` pages wait in the log to be copied; the writer
 * wakes it every `commitsPerWake` commits, and it reads how many wait from the log's index (the
 * `-shm` file's header, whose layout is part of SQLite's file format: walformat.html §2.1). It
 * copies what was committed before it began. Once the log holds `restartFrames` pages, the writer,
 * at its next commit after the worker finished, runs a PASSIVE checkpoint itself for the few commits
 * made meanwhile, so the log is wholly in the database file and the next transaction starts the log
 * over, as SQLite's own checkpoint every 1,000 pages did (a log is only reused from its start when a
 * write begins with nothing left to copy, and only the writer knows when that is). The writer's
 * part is small; the syncs that make the copy durable before the log is reused are SQLite's own in
 * both checkpoints, with the store's `synchronous` setting, so nothing changes about durability.
 *
 * Should the worker be missing or fail, nothing is lost but speed: the writer checkpoints by itself
 * after `fallbackCommits` commits without one, and SQLite's own automatic checkpoint stays on for
 * logs that grow by huge commits (at `walAutocheckpointPages`).
 *
 * The worker is code evaluated from a string, not a module file: it needs nothing but
 * better-sqlite3, found from here, so it runs the same from the built package and from its
 * TypeScript sources (as the tests run them), with no loader.
 *
 * @example
 * const checkpoints = backgroundCheckpoints(db, 'full')
 * checkpoints.afterCommit() // after every commit
 * await checkpoints.close() // before db.close()
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'

/** The writer wakes the worker every so many commits; the worker starts with the first wake. */
export const commitsPerWake = 8
/** Pages waiting in the log for which the worker checkpoints. */
const framesPerCheckpoint = 400
/** Pages in the log after which the writer finishes a checkpoint of the worker's, so the log starts over. */
export const restartFrames = 1000
/** Commits after which the writer checkpoints by itself when the worker has not (none running, or failed). */
const fallbackCommits = 400
/** SQLite's automatic checkpoint, for a log that grows by a few very large commits. */
const walAutocheckpointPages = 10_000
/** How long `close` waits for the worker to finish a checkpoint it is in. */
const closeWaitMs = 5_000

// Slots of the shared counters.
const commitsSlot = 0
const stopSlot = 1
const finishedSlot = 2
const logFramesSlot = 3
const slots = 4

// The log's index starts with two copies of its header (48 bytes each, native byte order): mxFrame,
// the last committed page of the log, at offset 16; then nBackfill, the pages already copied, at 96.
// A header caught while the writer changes it (the copies differ) is read again at the next wake.
const workerSource = `
const { workerData } = require('node:worker_threads')
const { openSync, readSync } = require('node:fs')
const { endianness } = require('node:os')
const Database = require(workerData.driver)
const state = new Int32Array(workerData.state)
const header = Buffer.alloc(100)
const u32 = (offset) => (endianness() === 'LE' ? header.readUInt32LE(offset) : header.readUInt32BE(offset))
let index
const waiting = () => {
  try {
    index ??= openSync(workerData.path + '-shm', 'r')
    if (readSync(index, header, 0, 100, 0) < 100) return undefined
    if (!header.subarray(0, 48).equals(header.subarray(48, 96))) return undefined
    return u32(16) - u32(96)
  } catch {
    return ${framesPerCheckpoint}
  }
}
let db
try {
  db = new Database(workerData.path, { fileMustExist: true, timeout: 0 })
  db.pragma('synchronous = ' + workerData.synchronous)
  db.pragma('wal_autocheckpoint = 0')
} catch {
  // The writer checkpoints by itself.
  db = undefined
}
let seen = 0
while (db !== undefined && Atomics.load(state, ${stopSlot}) === 0) {
  Atomics.wait(state, ${commitsSlot}, seen)
  seen = Atomics.load(state, ${commitsSlot})
  if (Atomics.load(state, ${stopSlot}) !== 0) break
  if ((waiting() ?? 0) < ${framesPerCheckpoint}) continue
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)')
    Atomics.store(state, ${logFramesSlot}, result.log)
    Atomics.add(state, ${finishedSlot}, 1)
  } catch {
    // Busy (another checkpoint runs) or failing (a full disk): tried again at the next wake.
  }
}
db?.close()
`

export interface BackgroundCheckpoints {
  /** After each commit: counts it, wakes the worker when a batch is due, and finishes its checkpoint. */
  readonly afterCommit: () => void
  /** Stops the worker (after the checkpoint it is in), before the writer's connection closes. */
  readonly close: () => Promise<void>
}

interface Running {
  readonly worker: Worker
  readonly exited: Promise<void>
}

/**
 * For the writable file `db` (synchronous as set on it). `checkpointHere` runs a PASSIVE checkpoint
 * on the writer's connection. The worker starts with the first wake, so a process that commits only
 * a few times (an `elicence exec`) never pays for a thread.
 */
export const backgroundCheckpoints = (
  db: Database.Database,
  checkpointHere: () => void,
): BackgroundCheckpoints => {
  const state = new Int32Array(new SharedArrayBuffer(slots * Int32Array.BYTES_PER_ELEMENT))
  let running: Running | undefined
  let closed = false
  const start = (): void => {
    db.pragma(`wal_autocheckpoint = ${walAutocheckpointPages}`)
    try {
      const worker = new Worker(workerSource, {
        eval: true,
        workerData: {
          driver: createRequire(import.meta.url).resolve('better-sqlite3'),
          path: db.name,
          synchronous: Number(db.pragma('synchronous', { simple: true })) >= 2 ? 'FULL' : 'NORMAL',
          state: state.buffer,
        },
      })
      // A store left open must not keep its process alive; a worker that fails only costs speed.
      worker.unref()
      worker.on('error', () => {})
      running = { worker, exited: new Promise((resolve) => worker.once('exit', () => resolve())) }
    } catch {
      running = undefined
    }
  }
  let commits = 0
  let finished = 0
  let lastHere = 0
  return {
    afterCommit: () => {
      if (closed) return
      commits++
      Atomics.store(state, commitsSlot, commits)
      if (commits % commitsPerWake === 0) {
        if (commits === commitsPerWake) start()
        Atomics.notify(state, commitsSlot)
      }
      if (commits < commitsPerWake) return
      // Looked at after every commit: the sooner the writer finishes, the less is left for it to copy.
      const finishedNow = Atomics.load(state, finishedSlot)
      const workerCopied = finishedNow !== finished
      finished = finishedNow
      if (
        (workerCopied && Atomics.load(state, logFramesSlot) >= restartFrames) ||
        commits - lastHere >= fallbackCommits
      ) {
        lastHere = commits
        checkpointHere()
      }
    },
    close: async () => {
      closed = true
      const stopping = running
      running = undefined
      if (stopping === undefined) return
      Atomics.store(state, stopSlot, 1)
      Atomics.notify(state, commitsSlot)
      const timer = setTimeout(() => void stopping.worker.terminate(), closeWaitMs)
      await stopping.exited
      clearTimeout(timer)
    },
  }
}
