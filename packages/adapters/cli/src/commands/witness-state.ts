/**
 * A witness's state folder (`elicence witness --state DIR`): the last checkpoint accepted from each
 * log, one file per origin, and the lock that makes read → check → write one step.
 *
 * Why a lock: a witness must never cosign two checkpoints of one log that do not extend one another
 * (a split view). Two runs on one folder that each read the state, check their checkpoint against
 * it and write would each see the same old tree, so both forks of a size would pass and be cosigned.
 * With the lock, the second run reads what the first wrote, and refuses the other fork. The lock:
 * 1. Taken by `link(2)` of a file already holding `<pid> <random token>`: it appears whole or not at
 *    all, and only if no lock is there (where `O_EXCL` and then a write would let a reader see it
 *    empty, and a run killed between the two leave an empty lock nobody could judge).
 * 2. A lock held by a live process is waited for, a bounded time, then the run is refused with the
 *    holder's pid and the lock's path.
 * 3. A lock whose process no longer exists (killed with SIGKILL, the machine rebooted) is taken over:
 *    the taker first creates, exclusively, a marker named by the dead lock's token, then removes the
 *    lock only if it still holds that token. While the marker exists nobody else removes that lock,
 *    so no run ever removes a lock that a live run has just taken (two runs seeing the same dead
 *    lock: one takes it over, the other finds the marker, or a new token, and waits). A run killed
 *    holding a marker leaves the dead lock in place: refused after the wait, with the path to remove.
 *    A dead pid reused by another process looks alive: the wait ends with the same refusal.
 * 4. The state is written to a temporary file of a name no other run uses, then renamed over the
 *    old one: a crash never leaves half a state, and two runs never write one temporary file.
 *
 * @example
 * const held = await withStateLock(stateFile(dir, origin), async () => …)   // Either<string, A>
 */
import { randomUUID } from 'node:crypto'
import { existsSync, linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { decodeNote, type NoteVerifier, openCheckpoint, type SignedCheckpoint } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'

/**
 * One state file per log, named by its origin: each byte of its UTF-8 but a lower-case letter, a
 * digit, `.` and `-` is written `_` and two hex digits, so no two origins share a file — even on a
 * file system that folds case — where mapping every other character to `_` made
 * `example.cn/elicence/log` and `example.cn_elicence/log` one file, and one log blocked the other.
 */
export const stateFile = (directory: string, origin: string): string => {
  let name = ''
  for (const byte of new TextEncoder().encode(origin)) {
    const character = String.fromCharCode(byte)
    name += /[a-z0-9.-]/.test(character) ? character : `_${byte.toString(16).padStart(2, '0')}`
  }
  return join(directory, `${name}.checkpoint`)
}

/**
 * Where earlier versions kept a log's state (every character but letters, digits, `.` and `-` as
 * `_`). Read when the new file is absent, and only if it is that log's: the name is shared.
 */
const earlierStateFile = (directory: string, origin: string): string =>
  join(directory, `${origin.replace(/[^A-Za-z0-9.-]/g, '_')}.checkpoint`)

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

const codeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined

/**
 * Earlier versions kept the note as it came, with every line anyone on the way had added: up to
 * 101, more than a note may have (note.ts), so no later run could read it. Of this witness's own
 * file only the log key's signature counts; the other lines are dropped before it is opened.
 */
const withLogLinesOnly = (note: string, logKey: NoteVerifier): string => {
  const split = note.lastIndexOf('\n\n')
  if (split < 0) return note
  const lines = note.slice(split + 2).split('\n')
  const kept = lines.filter((line) => line.startsWith(`— ${logKey.name} `))
  return kept.length === lines.length - 1 ? note : `${note.slice(0, split + 2)}${kept.join('\n')}\n`
}

/**
 * The checkpoint this witness last accepted from the log of `origin`, if any. A state file that
 * cannot be read, or holds no checkpoint of this log by its key, is an error (exit 2): the state
 * was damaged or the key changed, and the witness must not start over unnoticed. A file of the
 * earlier naming is this log's only if its origin line is this origin: another log may share it.
 */
export const previousCheckpoint = async (
  directory: string,
  origin: string,
  logKey: NoteVerifier,
): Promise<E.Either<string, SignedCheckpoint | undefined>> => {
  const current = stateFile(directory, origin)
  const earlier = earlierStateFile(directory, origin)
  const path = existsSync(current) ? current : existsSync(earlier) ? earlier : undefined
  if (path === undefined) return E.right(undefined)
  let bytes: Uint8Array
  try {
    bytes = readFileSync(path)
  } catch (error) {
    return E.left(`cannot read ${path}: ${messageOf(error)}`)
  }
  const saved = decodeNote(bytes)
  if (E.isLeft(saved)) return E.left(`${path}: ${saved.left}`)
  if (path === earlier && saved.right.split('\n', 1)[0] !== origin) return E.right(undefined)
  const opened = await openCheckpoint(withLogLinesOnly(saved.right, logKey), logKey, origin)
  return E.isLeft(opened) ? E.left(`${path}: ${opened.left}`) : opened
}

/** Keeps `note` as the state at `path`: written whole under a name of this run's, then renamed. */
export const keepState = (path: string, note: string): E.Either<string, void> => {
  const partial = `${path}.${process.pid}-${randomUUID()}.partial`
  try {
    writeFileSync(partial, note, { flag: 'wx' })
    renameSync(partial, path)
    return E.right(undefined)
  } catch (error) {
    try {
      unlinkSync(partial)
    } catch {
      // Never written, or already renamed: nothing to clean.
    }
    return E.left(messageOf(error))
  }
}

/** Whether a process of that id exists (EPERM: it does, another user's). */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return codeOf(error) !== 'ESRCH'
  }
}

const readLock = (lock: string): string | undefined => {
  try {
    return readFileSync(lock, 'utf8')
  } catch {
    return undefined
  }
}

/** The pid and token of a lock's text, as `<pid> <token>\n`. */
const holderOf = (text: string): { readonly pid: number; readonly token: string } | undefined => {
  const match = /^([1-9][0-9]*) ([0-9a-f-]{36})\n$/.exec(text)
  return match?.[1] === undefined || match[2] === undefined
    ? undefined
    : { pid: Number(match[1]), token: match[2] }
}

/** Removes the lock of a dead process, holding `text`, unless it is no longer that lock (point 3). */
const takeOver = (lock: string, text: string, token: string): void => {
  const marker = `${lock}.${token}.takeover`
  try {
    writeFileSync(marker, `${process.pid}\n`, { flag: 'wx' })
  } catch {
    return // Another run is taking it over: wait for the lock it then takes.
  }
  try {
    if (readLock(lock) === text) unlinkSync(lock)
  } catch {
    // Gone already: nothing to take over.
  } finally {
    unlinkSync(marker)
  }
}

/** How long a run waits for another to finish with a log's state before it is refused. */
export const stateLockWaitMs = 10_000
const pollMs = 25

/**
 * Runs `use` holding the lock of the state at `path` (`<path>.lock`); Left when it stays held by a
 * running process for `stateLockWaitMs`, or cannot be made. The lock is let go when `use` ends.
 */
export const withStateLock = async <A>(path: string, use: () => Promise<A>): Promise<E.Either<string, A>> => {
  const lock = `${path}.lock`
  const token = randomUUID()
  const text = `${process.pid} ${token}\n`
  const staged = `${lock}.${token}`
  try {
    writeFileSync(staged, text, { flag: 'wx' })
  } catch (error) {
    return E.left(`cannot make the lock ${lock}: ${messageOf(error)}`)
  }
  const deadline = performance.now() + stateLockWaitMs
  try {
    for (;;) {
      try {
        linkSync(staged, lock)
        break
      } catch (error) {
        if (codeOf(error) !== 'EEXIST') return E.left(`cannot make the lock ${lock}: ${messageOf(error)}`)
      }
      // Unreadable: let go since (tried again after the pause), or not ours to read (waited out).
      const held = readLock(lock)
      const holder = held === undefined ? undefined : holderOf(held)
      if (held !== undefined && holder !== undefined && !isRunning(holder.pid)) {
        takeOver(lock, held, holder.token)
        continue
      }
      if (performance.now() > deadline)
        return E.left(
          `the state is in use by ${holder === undefined ? 'another run' : `process ${holder.pid}`} (${lock} is there), still after ${stateLockWaitMs / 1000} s; ` +
            `two runs on one log's state would check against the same old checkpoint. Try again, or remove ${lock} if no witness runs${holder === undefined ? '' : ` as process ${holder.pid}`}`,
        )
      await sleep(pollMs)
    }
  } finally {
    unlinkSync(staged)
  }
  try {
    return E.right(await use())
  } finally {
    if (readLock(lock) === text) unlinkSync(lock)
  }
}
