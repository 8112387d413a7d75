/**
 * `elicence import`: reads a history file (DESIGN §4) into an empty store, so that every event comes
 * out as it went in: the same eventId, recordedAt and metadata, hence the same hashes, in the same
 * global order.
 *
 * Nothing is written until the whole file has been checked (`checkHistory`: every line, the global
 * order, every stream's hash chain), and the command opens the store only then, so a refused
 * history creates nothing, not even the store it would have gone into. The check keeps one event
 * per stream, not the history, so the file is read twice, and standard input is first copied to a
 * private temporary file. Then events are appended in file order, consecutive events of one stream
 * in one append, each with the exact expected version, and the store's own sealing must give back
 * the imported `prevHash` and `hash`.
 *
 * The target must be empty — merging two histories would interleave unrelated global orders — or
 * hold exactly the first events of this history, as an import that stopped part-way (killed, a
 * failure) leaves it: the same import run again continues after them (`heldPrefix`), and one run
 * after a complete import adds nothing. A hash chain cannot show a stream's last events cut off,
 * or a last event replaced together with its hash; that takes an anchor kept elsewhere (the
 * transparency log's checkpoints, `elicence audit --checkpoint`).
 *
 * @example
 * $ elicence export --store sqlite:./old.db | elicence import --store sqlite:./new.db
 */
import { createReadStream, createWriteStream, rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { EventStore, NewEvent, StoredEvent } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { type CliIo, complain, type Input, type Line, readLines } from '../cli-io.js'
import { type ExitCode, exitCodes } from '../exit-codes.js'
import { checkHistory } from '../history-check.js'
import { parseHistoryLine } from '../history-file.js'
import { appliesAppendsInOrder } from '../store-url.js'
import {
  type CliCommand,
  missingStoreUrl,
  storeOptionUsage,
  storeUrlOf,
  withInputFile,
  withStore,
} from './command.js'
import { parseCommandArguments } from './command-arguments.js'

const usage = `Usage: elicence import --store URL [FILE|-]

Reads a history file (NDJSON, as written by \`elicence export\`) from FILE, or from standard input
when FILE is - or absent, into an EMPTY store. Every line is validated and every stream's hash
chain verified before the store is opened; a broken history is refused with nothing written, and
a store that did not exist is not created.
Imported events keep their metadata, hashes and global order. An import that stopped part-way
(killed, a store failure) is continued by running it again: a store that holds exactly the first
events of the history gets the rest, one that holds all of it nothing more.

Options:
${storeOptionUsage}
  -h, --help       show this text

Exit status:
  0  imported
  1  refused: the history is well-formed but not intact (a hash chain breaks, lines out of order)
  2  invalid input: a line that is not JSON or not a stored event; bad arguments
  3  the target store holds other events, failed, or sealed an event with a different hash`

/** Events of one stream appended at once: amortises a transaction, bounds what an append holds. */
const maxAppend = 1_000

/** A run of consecutive lines of one stream, appended together. */
interface Run {
  readonly events: StoredEvent[]
  readonly lines: number[]
}

const draftOf = ({ type, data, metadata }: StoredEvent): NewEvent => {
  const { prevHash: _prevHash, hash: _hash, ...draft } = metadata
  return { type, data, metadata: draft }
}

const appendRun = async (store: EventStore, run: Run): Promise<E.Either<string, void>> => {
  const first = run.events[0]
  if (first === undefined) return E.right(undefined)
  const where = `lines ${run.lines[0]}–${run.lines[run.lines.length - 1]} (${first.streamId}@${first.version})`
  const expected = first.version === 0 ? 'no-stream' : first.version - 1
  const appended = await store.appendToStream(first.streamId, expected, run.events.map(draftOf))
  if (E.isLeft(appended)) return E.left(`${where}: ${appended.left.message}`)
  for (const [index, original] of run.events.entries()) {
    const stored = appended.right.events[index]
    if (
      stored === undefined ||
      stored.version !== original.version ||
      stored.metadata.prevHash !== original.metadata.prevHash ||
      stored.metadata.hash !== original.metadata.hash
    ) {
      return E.left(
        `line ${run.lines[index]}: the store sealed ${original.streamId}@${original.version} with a different hash; it does not reproduce the imported chain`,
      )
    }
  }
  return E.right(undefined)
}

export interface WriteOptions {
  /**
   * Appends sent before the first of them is awaited. Only for a store that applies appends in the
   * order they are called (SQLite's group commit, the in-memory queue): there the file's global
   * order is kept, and one commit serves many runs instead of one fsync each. 1 otherwise.
   */
  readonly inFlight?: number
  /** Events at the start of the history that the store holds already (`heldPrefix`): not appended again. */
  readonly skip?: number
}

/**
 * How many of the history's first events the store holds, as its whole content, in order: what an
 * import that stopped part-way (killed, a failure) left. Appends commit in file order, so what any
 * interrupted import wrote is such a prefix, and the same import run again continues after it.
 * Left when the store holds anything else: an event that is not the history's next (by stream,
 * version and hash, which covers everything else), or more events than the history has.
 */
export const heldPrefix = async (
  store: EventStore,
  lines: AsyncIterable<Line>,
): Promise<E.Either<string, number>> => {
  const history = lines[Symbol.asyncIterator]()
  let held = 0
  for (let after = 0; ; ) {
    const page = await store.readAll({ after, limit: 1_000 })
    if (E.isLeft(page)) return E.left(page.left.message)
    if (page.right.events.length === 0) return E.right(held)
    for (const stored of page.right.events) {
      const next = await history.next()
      // Lines were checked in the first pass: one that no longer parses is the file changing.
      const line = next.done === true ? undefined : parseHistoryLine(next.value)
      const event = line !== undefined && E.isRight(line) ? line.right : undefined
      if (
        event === undefined ||
        event.streamId !== stored.streamId ||
        event.version !== stored.version ||
        event.metadata.hash !== stored.metadata.hash
      )
        return E.left(
          `the target store holds events that are not this history's (its event ${held + 1}, ${stored.streamId}@${stored.version}, is not the history's event ${held + 1}): import only into an empty store, or into one an interrupted import of this history left`,
        )
      held++
    }
    after = page.right.lastPosition
  }
}

/**
 * The second pass: appends the checked history in file order. Errors name a line; events before it
 * are written (the port has no transaction across streams), and with appends in flight some after
 * it may be too.
 */
export const writeHistory = async (
  store: EventStore,
  lines: AsyncIterable<Line>,
  options: WriteOptions = {},
): Promise<E.Either<string, { readonly events: number }>> => {
  const inFlight = Math.max(1, options.inFlight ?? 1)
  const skip = options.skip ?? 0
  const sent: Array<Promise<E.Either<string, void>>> = []
  const oldestSettled = async (): Promise<E.Either<string, void>> =>
    (await sent.shift()) ?? E.right(undefined)
  let run: Run = { events: [], lines: [] }
  let events = 0
  let skipped = 0
  for await (const line of lines) {
    // Lines the store holds were compared with it by `heldPrefix`: not read again.
    if (skipped < skip) {
      skipped++
      continue
    }
    const parsed = parseHistoryLine(line)
    // Checked in the first pass: a difference now means the file changed in between.
    if (E.isLeft(parsed)) {
      await Promise.all(sent)
      return E.left(`${parsed.left.join('; ')} (did the file change during the import?)`)
    }
    const event = parsed.right
    if (
      run.events.length >= maxAppend ||
      (run.events[0] !== undefined && run.events[0].streamId !== event.streamId)
    ) {
      sent.push(appendRun(store, run))
      run = { events: [], lines: [] }
      if (sent.length >= inFlight) {
        const settled = await oldestSettled()
        if (E.isLeft(settled)) {
          await Promise.all(sent)
          return settled
        }
      }
    }
    run.events.push(event)
    run.lines.push(line.number)
    events++
  }
  sent.push(appendRun(store, run))
  while (sent.length > 0) {
    const settled = await oldestSettled()
    if (E.isLeft(settled)) {
      await Promise.all(sent)
      return settled
    }
  }
  return E.right({ events })
}

interface CheckedHistory {
  readonly events: number
  readonly streams: number
}

/** The first pass: the history's counts when it is intact; else the refusal reported, and its exit code. */
const checkedHistory = async (
  lines: AsyncIterable<Line>,
  io: CliIo,
): Promise<E.Either<ExitCode, CheckedHistory>> => {
  const check = await checkHistory(lines)
  if (check.verdict === 'intact') return E.right({ events: check.events, streams: check.streams })
  for (const problem of check.problems) complain(io, importCommand.name, problem)
  const more = check.problemCount - check.problems.length
  complain(
    io,
    importCommand.name,
    `refused${more > 0 ? ` (${more} more problems not shown)` : ''}: nothing was written`,
  )
  return E.left(check.verdict === 'unreadable' ? exitCodes.invalidInput : exitCodes.refused)
}

/** The second pass, into `store` if it is empty. */
const writeCheckedHistory = async (
  store: EventStore,
  checked: CheckedHistory,
  openLines: () => AsyncIterable<Line>,
  io: CliIo,
  options: WriteOptions,
): Promise<ExitCode> => {
  const held = await heldPrefix(store, openLines())
  if (E.isLeft(held)) {
    complain(io, importCommand.name, held.left)
    return exitCodes.storeFailure
  }
  if (checked.events === 0) {
    complain(io, importCommand.name, 'the history holds no events: an empty history, nothing was imported')
    return exitCodes.ok
  }
  if (held.right === checked.events) {
    complain(
      io,
      importCommand.name,
      `the store holds this whole history already (${held.right} events): nothing to import`,
    )
    return exitCodes.ok
  }
  if (held.right > 0)
    complain(
      io,
      importCommand.name,
      `the store holds the first ${held.right} events of this history (an import that stopped, or one still running): continuing after them`,
    )
  const written = await writeHistory(store, openLines(), { ...options, skip: held.right })
  if (E.isLeft(written)) {
    complain(
      io,
      importCommand.name,
      `${written.left}; the events before it were written: run the same import again to continue`,
    )
    return exitCodes.storeFailure
  }
  const { events } = written.right
  const { streams } = checked
  const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`
  complain(
    io,
    importCommand.name,
    held.right > 0
      ? `imported ${plural(events, 'more event')}: the store now holds the whole history, ${plural(checked.events, 'event')} in ${plural(streams, 'stream')}`
      : `imported ${plural(events, 'event')} in ${plural(streams, 'stream')}`,
  )
  return exitCodes.ok
}

/** Both passes into a store already open; the caller supplies a way to read the file again. */
export const importHistory = async (
  store: EventStore,
  openLines: () => AsyncIterable<Line>,
  io: CliIo,
  options: WriteOptions = {},
): Promise<ExitCode> => {
  const checked = await checkedHistory(openLines(), io)
  return E.isLeft(checked) ? checked.left : writeCheckedHistory(store, checked.right, openLines, io, options)
}

/** A file can be read twice; standard input is copied aside first, to a directory only we can read. */
const rereadable = async (
  source: Pick<Input, 'stream' | 'name'>,
  file: string | undefined,
  made: (directory: string) => void,
): Promise<{ readonly path: string; readonly cleanUp: () => Promise<void> }> => {
  if (file !== undefined && file !== '-') return { path: file, cleanUp: async () => undefined }
  const directory = await mkdtemp(join(tmpdir(), 'elicence-import-'))
  made(directory)
  const path = join(directory, 'history.ndjson')
  try {
    await pipeline(source.stream, createWriteStream(path, { mode: 0o600 }))
  } catch (error) {
    await rm(directory, { recursive: true, force: true })
    throw error
  }
  return { path, cleanUp: () => rm(directory, { recursive: true, force: true }) }
}

const signalNumbers = { SIGINT: 2, SIGTERM: 15 } as const

/**
 * While an import runs, an interrupt (Ctrl-C, SIGTERM) removes the copy of standard input (a whole
 * history of names and ID numbers must not stay behind in the temporary directory) and says where
 * the store stands, then exits as the signal would (128 + its number). A SIGKILL leaves the copy:
 * nothing can run then; it is in a directory only this user can read.
 */
const onInterrupt = (io: CliIo, directory: () => string | undefined): (() => void) => {
  const handlers = Object.entries(signalNumbers).map(([signal, number]) => {
    const handler = () => {
      const copy = directory()
      if (copy !== undefined) rmSync(copy, { recursive: true, force: true })
      complain(
        io,
        importCommand.name,
        `interrupted (${signal}): the store keeps the events written so far; run the same import again to continue after them`,
      )
      process.exit(128 + number)
    }
    process.once(signal, handler)
    return () => process.removeListener(signal, handler)
  })
  return () => {
    for (const remove of handlers) remove()
  }
}

export const importCommand: CliCommand = {
  name: 'import',
  summary: 'read a history file into an empty store, verifying every hash chain first',
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, importCommand, args, { flags: {}, positionals: true })
    if (E.isLeft(parsed)) return parsed.left
    const { values, positionals } = parsed.right
    const url = storeUrlOf(values.store, io)
    if (url === undefined) return missingStoreUrl(io, importCommand)
    return withInputFile(io, importCommand, positionals, 'a history', async (input, file) => {
      let directory: string | undefined
      const stopListening = onInterrupt(io, () => directory)
      let copy: Awaited<ReturnType<typeof rereadable>>
      try {
        copy = await rereadable(input, file, (made) => {
          directory = made
        })
      } catch (error) {
        stopListening()
        const reason = error instanceof Error ? error.message : String(error)
        complain(io, importCommand.name, `cannot read ${input.name}: ${reason}`)
        return exitCodes.invalidInput
      }
      try {
        const openLines = () => readLines(createReadStream(copy.path))
        // Checked before the store is opened, which creates a missing one (a SQLite file, a
        // PostgreSQL schema): a refused history leaves nothing behind, not even an empty store.
        const checked = await checkedHistory(openLines(), io)
        if (E.isLeft(checked)) return checked.left
        return await withStore(io, importCommand, url, (store) =>
          writeCheckedHistory(store, checked.right, openLines, io, {
            inFlight: appliesAppendsInOrder(url) ? 256 : 1,
          }),
        )
      } finally {
        stopListening()
        await copy.cleanUp()
      }
    })
  },
}
