/**
 * The command handler of DESIGN §4: decode → load the stream → fold → decide → append with the
 * expected version → return the new events. It is idempotent by `commandId`, durably: the id is
 * stored with every event, so a command already on the stream returns its first outcome and appends
 * nothing, after a restart too; the same id with a different body is refused (`command-id-reused`),
 * but only to a sender who may act on the licence at all: anyone else gets the refusal of who they
 * are (`forbidden`, `not-licence-holder`) and learns nothing of the id (DESIGN §3, the error order).
 *
 * Concurrency: the load, fold and decision run inside the store's write lock where the store has
 * one (`decideAndAppend`), so commands on one licence queue instead of conflicting; otherwise on the
 * optimistic path, which on a conflict backs off for a random while and decides again, up to
 * `maxAttempts` times. The folded state of recently used streams is kept (`stateCacheSize`), so a
 * command reads and folds only the events its stream gained since.
 *
 * Time (rule 10): a command stated later than the handler's clock plus `maxClockSkewMs` (default two
 * minutes) is refused with `instant-in-future`, whoever states it, after every rule of the decider,
 * so no role can reach a later rule (a review before it is due) by claiming a later time.
 *
 * Nothing it is handed is trusted to behave, and `handle` always answers with a value: options that
 * are no setting are refused when the handler is made (a `TypeError` naming the option); a value
 * that is no JSON is an `invalid-command`; a store that throws, answers with what is no answer of
 * the port (or says it appended other events than the decided ones), or does not answer within
 * `storeDeadlineMs`, and a clock, event id or digest that gives what is no instant, id or digest,
 * are store failures saying so, and nothing is appended that its own decoder would refuse to read.
 *
 * @example
 * const handle = commandHandler({ store: inMemoryEventStore(), decider: licenceDecider({ calendar: chinaMainlandCalendar() }) })
 * const outcome = await handle(json) // Either<HandlerError, { events, version, replayed }>
 */
import * as E from 'fp-ts/lib/Either.js'
import { compareInstants } from '../calendar/local-time.js'
import {
  currentSchemaVersion,
  defaultStoredEventDecoder,
  type StoredEventDecoder,
} from '../history/decoder.js'
import { linkBreakOf } from '../history/reader.js'
import { Sha256Hex } from '../history/stored-event.js'
import { canonicalJson } from '../integrity/canonical-json.js'
import { headAfter, sealBreak, streamStart } from '../integrity/hash-chain.js'
import { type Digest, sha256Hex } from '../integrity/sha256.js'
import { describeValue, type LicenceCommand, parseCommand } from '../licence/commands.js'
import type { LicenceDecider } from '../licence/decider.js'
import { licenceError } from '../licence/errors.js'
import type { LicenceState } from '../licence/state.js'
import { Id, type Instant } from '../licence/values.js'
import { packedMap } from '../packed-map.js'
import { isEither, optimisticDecideAndAppend, sinceProblem } from '../store/decide-and-append.js'
import {
  type CorruptEvent,
  corruptEvent,
  type EventStore,
  type NewEvent,
  type StoredEvent,
  type StoreError,
  type StreamSince,
  storeFailure,
} from '../store/port.js'
import { streamIdFor } from '../store/streams.js'
import { type HandlerError, isStoreError } from './errors.js'
import { type FoldedStream, streamStateCache } from './stream-cache.js'

export interface CommandOutcome {
  readonly events: ReadonlyArray<StoredEvent>
  /** The stream's version after the command. */
  readonly version: number
  /** True when the command was already recorded and nothing was appended now. */
  readonly replayed: boolean
}

/** What the transport tells the handler about one command. */
export interface HandleOptions {
  /**
   * The transport stamped `metadata.at` with its own clock (its sender states no time: a holder, or
   * anyone who left it out). Then the command happens at that instant or, where the licence's last
   * event is stated later (a registry whose clock runs ahead, within the allowed skew), at that
   * event's instant: rule 10 never refuses a command whose sender had no say in its time.
   */
  readonly stampedAt?: boolean
}

export type CommandHandler = (
  json: unknown,
  options?: HandleOptions,
) => Promise<E.Either<HandlerError, CommandOutcome>>

export interface CommandHandlerOptions {
  readonly store: EventStore
  readonly decider: LicenceDecider
  /**
   * On a store without a write lock: attempts before a conflict is reported; each waits a random
   * while (exponential, capped), reloads the stream and decides again. Default 8.
   */
  readonly maxAttempts?: number
  /** "Now", for `recordedAt` and rule 10's bound on `at`. */
  readonly clock?: () => Date
  /** How far a command's `at` may run ahead of `clock` (rule 10), in ms; default 120000 (2 minutes). */
  readonly maxClockSkewMs?: number
  /** How many streams' folded states are kept (least recently used forgotten first); 0 keeps none. Default 10000. */
  readonly stateCacheSize?: number
  readonly newEventId?: () => string
  /** How stored events are read: the embedder's upcasters, bound once (`storedEventDecoder`). */
  readonly decoder?: StoredEventDecoder
  /**
   * SHA-256 as hex for the command hash; by default the store's (`EventStore.digest`), else
   * `@noble/hashes`. On Node, `nodeSha256Hex` from `@elicence/projections/node` is faster (about
   * 2 µs against 11 µs for a 700-byte command): the Node stores offer it.
   */
  readonly digest?: Digest
  /**
   * How long the store may go without answering a command of a licence (its read, decision and
   * append, every attempt), or any other command of that licence meanwhile, before `handle` answers
   * with a store failure, in ms; default 30000, above the adapters' own deadlines (PostgreSQL's
   * statement timeout, SQLite's busy timeout), which answer first. A command queued behind many on
   * a busy licence waits its turn while the store answers them (no command fails for contention
   * alone); a store that stops answering fails them all. A store that answers late may still have
   * appended: the same command sent again (same `commandId`) says what became of it.
   */
  readonly storeDeadlineMs?: number
}

export const defaultMaxClockSkewMs = 2 * 60 * 1000
export const defaultStoreDeadlineMs = 30_000

const isFunction = (value: unknown): boolean => typeof value === 'function'
const isWholeAtLeast = (value: unknown, least: number): boolean =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= least

/** What is wrong with the options, or undefined: each a setting of its documented kind. */
const optionsProblem = (options: CommandHandlerOptions): string | undefined => {
  const { store, decider } = options
  if (
    typeof store !== 'object' ||
    store === null ||
    !isFunction(store.readStream) ||
    !isFunction(store.appendToStream)
  )
    return 'store must be an EventStore (readStream and appendToStream at least)'
  if (store.decideAndAppend !== undefined && !isFunction(store.decideAndAppend))
    return 'store.decideAndAppend must be a function where the store has one'
  if (
    typeof decider !== 'object' ||
    decider === null ||
    !isFunction(decider.decide) ||
    !isFunction(decider.evolve) ||
    !isFunction(decider.authorise) ||
    typeof decider.rulesVersion !== 'string'
  )
    return 'decider must be a LicenceDecider (licenceDecider({ calendar }))'
  if (options.maxAttempts !== undefined && !isWholeAtLeast(options.maxAttempts, 1))
    return `maxAttempts must be a whole number of attempts, at least 1, got ${String(options.maxAttempts)}`
  const skew = options.maxClockSkewMs
  if (skew !== undefined && !(typeof skew === 'number' && Number.isFinite(skew) && skew >= 0))
    return `maxClockSkewMs must be a number of milliseconds, 0 or more, got ${String(skew)}`
  if (options.stateCacheSize !== undefined && !isWholeAtLeast(options.stateCacheSize, 0))
    return `stateCacheSize must be a whole number of streams, 0 or more, got ${String(options.stateCacheSize)}`
  const deadline = options.storeDeadlineMs
  if (deadline !== undefined && !(typeof deadline === 'number' && deadline > 0 && deadline <= 2 ** 31 - 1))
    return `storeDeadlineMs must be a number of milliseconds above 0 (at most 2^31 - 1), got ${String(deadline)}`
  for (const name of ['clock', 'newEventId', 'digest'] as const)
    if (options[name] !== undefined && !isFunction(options[name])) return `${name} must be a function`
  if (options.decoder !== undefined && !isFunction(options.decoder?.decode))
    return 'decoder must be a StoredEventDecoder (storedEventDecoder({ upcasters }))'
  return undefined
}

/** What a decision under the lock hands back without appending. */
type Unappended =
  | { readonly _tag: 'Refused'; readonly error: HandlerError }
  | { readonly _tag: 'Replayed'; readonly events: ReadonlyArray<StoredEvent>; readonly version: number }

const refusedWith = (error: HandlerError) => E.left<Unappended>({ _tag: 'Refused', error })

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * A stream's commands waiting for the store, and when the store last answered one of them. A
 * command queued behind others on a busy licence waits its turn however long the queue (DESIGN §4:
 * no command fails for contention alone): it is late only when the store has answered none of its
 * stream's commands for the deadline — a store that stopped, or a stream stuck behind a lock.
 */
interface StreamProgress {
  lastAnswer: number
  waiting: number
}

/**
 * Commands waiting for their store: one timer for them all, which runs only while some wait. A
 * timer of its own per command (`setTimeout` with a race) cost the in-memory store's handler 6 % of
 * its commands per second.
 */
interface WaitingCommand {
  readonly started: number
  readonly deadlineMs: number
  readonly progress: StreamProgress
  readonly late: () => void
}
const waiting = new Set<WaitingCommand>()
let watchdog: ReturnType<typeof setInterval> | undefined
const watchdogEveryMs = 250
const stopWhenIdle = () => {
  if (waiting.size === 0 && watchdog !== undefined) {
    clearInterval(watchdog)
    watchdog = undefined
  }
}
const settled = (entry: WaitingCommand) => {
  waiting.delete(entry)
  stopWhenIdle()
}
const watch = () => {
  const now = Date.now()
  for (const entry of waiting)
    if (Math.max(entry.started, entry.progress.lastAnswer) + entry.deadlineMs <= now) entry.late()
  stopWhenIdle()
}

/**
 * `work`'s answer, or `'late'` once `deadlineMs` has passed without it or an answer to another
 * command of its stream (`progress`), within a quarter second.
 */
const byDeadline = <A>(work: Promise<A>, deadlineMs: number, progress: StreamProgress): Promise<A | 'late'> =>
  new Promise<A | 'late'>((resolve, reject) => {
    const entry: WaitingCommand = {
      started: Date.now(),
      deadlineMs,
      progress,
      late: () => {
        settled(entry)
        resolve('late')
      },
    }
    waiting.add(entry)
    // Not unref'd: a command waiting for its store is something the process has to do, and its
    // deadline must come even where nothing else keeps the process running (a script's one command).
    // The watchdog stops with the last command it waits for.
    if (watchdog === undefined) watchdog = setInterval(watch, Math.min(watchdogEveryMs, deadlineMs))
    work.then(
      (value) => {
        progress.lastAnswer = Date.now()
        settled(entry)
        resolve(value)
      },
      (error: unknown) => {
        progress.lastAnswer = Date.now()
        settled(entry)
        reject(error)
      },
    )
  })

/**
 * The store's answer to `decideAndAppend`, or a store failure where it threw or rejected, answered
 * with what the port never answers, or did not answer within `deadlineMs`.
 */
const answered = async <A>(
  run: () => Promise<E.Either<HandlerError, A>>,
  deadlineMs: number,
  progress: StreamProgress,
): Promise<E.Either<HandlerError, A>> => {
  try {
    const answer: unknown = await byDeadline(run(), deadlineMs, progress)
    if (answer === 'late')
      return E.left(
        storeFailure(
          `the store did not answer within ${deadlineMs} ms (storeDeadlineMs), for this command or any other on its licence: the command may yet be applied, so send it again with the same commandId to learn its outcome`,
        ),
      )
    if (!isEither(answer))
      return E.left(
        storeFailure(`the store answered ${describeValue(answer)}, which is no Either of the port`),
      )
    if (E.isLeft(answer) && !isStoreError(answer.left as StoreError))
      return E.left(
        storeFailure(`the store failed with ${describeValue(answer.left)}, which is no store error`),
      )
    return answer as E.Either<HandlerError, A>
  } catch (error) {
    return E.left(storeFailure(`the store threw instead of answering: ${messageOf(error)}`, error))
  }
}

/** Whether the store's report of an append is the events decided, appended after `fromVersion`. */
const appendedAsDecided = (appended: unknown, count: number, fromVersion: number): boolean => {
  if (typeof appended !== 'object' || appended === null) return false
  const { events, version } = appended as { events?: unknown; version?: unknown }
  return (
    Array.isArray(events) &&
    events.length === count &&
    version === fromVersion + count &&
    events.every(
      (event: unknown, index) =>
        typeof event === 'object' &&
        event !== null &&
        (event as { version?: unknown }).version === fromVersion + 1 + index,
    )
  )
}

// The defaults are module functions, not closures made per handler: optimised code that called one
// handler's closure is thrown away (a deopt, "wrong call target") when the next handler's is called.
const systemClock = (): Date => new Date()
const randomEventId = (): string => crypto.randomUUID()

/**
 * A corrupt event as the decoder named it, or, where the event claims no place of its own (no
 * object, no stream id or version: the decoder then names none), at the place the stream's order
 * puts it: the handler knows which stream it read and which version comes next.
 */
const placed = (error: CorruptEvent, streamId: string, version: number): CorruptEvent =>
  error.streamId === '' || error.version < 0
    ? corruptEvent(
        error.streamId === '' ? streamId : error.streamId,
        error.version < 0 ? version : error.version,
        error.message,
      )
    : error

/**
 * The fold `since` continues: the one whose version the store read after (`offered`, the newest
 * kept when it asked), or the one the command began with where the store read after that. A burst
 * of commands on one licence otherwise each read and fold every event the others appended since the
 * burst began: 2,000 at once took four times as long per command as 1,000.
 */
const foldAfter = (since: StreamSince, offered: FoldedStream, from: FoldedStream): FoldedStream => {
  const first = since.events[0]?.version
  if (first === undefined) return since.version === offered.version ? offered : from
  return first === offered.version + 1 ? offered : from
}

/**
 * The state at `since.version`: the kept state and what came after it, or the whole stream. Every
 * event read goes through the one decoder, its links (version, prevHash) are checked from the kept
 * head, as the one stream reader checks them from the start, and its own hash against its content:
 * no decision is made on an event read changed behind the store, since what it decides is sealed
 * after it; a kept state is trusted up to its version (its events were checked when first read).
 * A module function, not a closure per handler, for the reason the defaults above are.
 */
const foldSince = (
  decider: LicenceDecider,
  decoder: StoredEventDecoder,
  digest: Digest,
  streamId: string,
  from: FoldedStream,
  since: StreamSince,
): E.Either<HandlerError, FoldedStream> => {
  const startsOver = from.version === -1 || since.version < from.version
  let state: LicenceState = startsOver ? decider.initialState : from.state
  let head = startsOver ? streamStart : from.head
  // Index loops, not `for…of`, here and below: the arrays come frozen or not, empty or not, and an
  // iterator's map check on each kind sent the JIT back to slow code (a deopt, then a recompile).
  for (let index = 0; index < since.events.length; index++) {
    const stored = since.events[index] as StoredEvent
    const decoded = decoder.decode(stored)
    if (E.isLeft(decoded)) return E.left(placed(decoded.left, streamId, head.version + 1))
    const broken = linkBreakOf(head, decoded.right)
    if (broken !== undefined) return E.left(broken)
    if (sealBreak(stored, digest) !== undefined)
      return E.left(
        corruptEvent(
          stored.streamId,
          stored.version,
          'its hash does not match its content: it was changed after it was sealed',
        ),
      )
    head = headAfter(decoded.right)
    state = decider.evolve(state, decoded.right)
  }
  return E.right({ version: since.version, state, head })
}

export const commandHandler = (options: CommandHandlerOptions): CommandHandler => {
  const problem = optionsProblem(options)
  if (problem !== undefined) throw new TypeError(`commandHandler: ${problem}`)
  const { store, decider } = options
  const storeDeadlineMs = options.storeDeadlineMs ?? defaultStoreDeadlineMs
  const clock = options.clock ?? systemClock
  const maxClockSkewMs = options.maxClockSkewMs ?? defaultMaxClockSkewMs
  const newEventId = options.newEventId ?? randomEventId
  const decoder = options.decoder ?? defaultStoredEventDecoder
  const digest = options.digest ?? store.digest ?? sha256Hex
  const cache = streamStateCache(options.stateCacheSize ?? 10_000)
  // Only of streams with commands waiting: an entry goes with the last of them.
  const progressOf = new Map<string, StreamProgress>()
  const decideAndAppend =
    store.decideAndAppend ?? optimisticDecideAndAppend(store, { maxAttempts: options.maxAttempts ?? 8 })

  return async (json, handleOptions) => {
    try {
      return await handled(json, handleOptions)
    } catch (error) {
      // Everything above answers with values; what still throws is an embedder's decider, decoder
      // or callback (a clock that throws, say), reported as the failure it is.
      return E.left(storeFailure(`the command could not be handled: ${messageOf(error)}`, error))
    }
  }

  async function handled(
    json: unknown,
    handleOptions: HandleOptions | undefined,
  ): Promise<E.Either<HandlerError, CommandOutcome>> {
    const parsed = parseCommand(json)
    if (E.isLeft(parsed)) return parsed
    const command = parsed.right
    const { commandId, actor } = command.metadata
    const stampedAt = handleOptions?.stampedAt === true
    const streamId = streamIdFor(command.data.licenceNumber)
    // `at` is left out: a transport that stamps the time may re-send the same command later.
    const commandHash = digest(canonicalJson({ type: command.type, data: command.data, actor }))
    // What the handler makes goes into every event, and a stored event must decode: a digest that
    // gives no SHA-256 is refused here, before any event could carry it.
    if (!Sha256Hex.is(commandHash))
      return E.left(
        storeFailure(`the handler's digest gave ${describeValue(commandHash)}, not 64 lowercase hex digits`),
      )
    const from = cache.get(streamId) ?? { version: -1, state: decider.initialState, head: streamStart }
    let offered = from
    let folded: FoldedStream | undefined
    let decided: FoldedStream | undefined

    const progress = progressOf.get(streamId) ?? { lastAnswer: 0, waiting: 0 }
    if (progress.waiting++ === 0) progressOf.set(streamId, progress)
    // A store that throws or rejects instead of answering with a value (an embedder's adapter, a
    // driver's bug) is a store failure like any other: `handle` answers, it never throws.
    const outcome = await answered(
      () =>
        decideAndAppend<Unappended>({
          streamId,
          // Read by the store when it reads the stream: the newest fold kept by then, so a command
          // that waited behind others on its licence reads only what came after them.
          get after() {
            const kept = cache.get(streamId)
            if (kept !== undefined && kept.version > offered.version) offered = kept
            return offered.version
          },
          commandId,
          decide: (since) => {
            decided = undefined
            folded = undefined
            const malformed = sinceProblem(since)
            if (malformed !== undefined)
              return refusedWith(storeFailure(`${streamId}: the store ${malformed}`))
            const current = foldSince(
              decider,
              decoder,
              digest,
              streamId,
              foldAfter(since, offered, from),
              since,
            )
            if (E.isLeft(current)) return refusedWith(current.left)
            folded = current.right
            // Kept now, not when this command is answered: the events it folded were checked, and a
            // store that decides many at once (one transaction, one turn) hands the next only what
            // came after them.
            cache.keep(streamId, folded)
            const { state } = current.right
            if (since.ofCommand.length > 0) {
              const mayNotAct = decider.authorise(command, state)
              if (mayNotAct !== undefined) return refusedWith(mayNotAct)
              // Handed back as the command's outcome: each is an event of the port's shape.
              for (const event of since.ofCommand) {
                const decoded = decoder.decode(event)
                if (E.isLeft(decoded)) return refusedWith(placed(decoded.left, streamId, -1))
              }
              if (since.ofCommand.some((event) => event.metadata.commandHash !== commandHash)) {
                return refusedWith(
                  licenceError(
                    'command-id-reused',
                    `command ${commandId} was already used for a different command`,
                  ),
                )
              }
              const last = since.ofCommand[since.ofCommand.length - 1]
              return E.left({
                _tag: 'Replayed',
                events: since.ofCommand,
                version: last?.version ?? since.version,
              })
            }
            // A stamped time runs on from the stream's last instant where that is later (see HandleOptions).
            const lastAt = state._tag === 'Recorded' ? state.lastAt : null
            const at =
              stampedAt && lastAt !== null && compareInstants(lastAt, command.metadata.at) > 0
                ? lastAt
                : command.metadata.at
            // The stream's last instant is an Instant: a decoded event's.
            const stated: LicenceCommand =
              at === command.metadata.at
                ? command
                : ({ ...command, metadata: { ...command.metadata, at: at as Instant } } as LicenceCommand)
            const decision = decider.decide(stated, state)
            if (E.isLeft(decision)) return refusedWith(decision.left)
            const now: unknown = clock()
            if (!(now instanceof Date) || Number.isNaN(now.getTime()))
              return refusedWith(
                storeFailure(`the handler's clock gave ${describeValue(now)}, not a valid Date`),
              )
            if (compareInstants(at, new Date(now.getTime() + maxClockSkewMs).toISOString()) > 0) {
              return refusedWith(
                licenceError(
                  'instant-in-future',
                  `the command is stated at ${at}, later than ${now.toISOString()} plus the allowed skew of ${maxClockSkewMs} ms`,
                ),
              )
            }
            const recordedAt = now.toISOString()
            const eventIds = packedMap(decision.right, () => newEventId())
            const badId = eventIds.find((id) => !Id.is(id))
            if (badId !== undefined)
              return refusedWith(
                storeFailure(
                  `the handler's newEventId gave ${describeValue(badId)}, which is no event id (an Id of DESIGN §2)`,
                ),
              )
            const events: NewEvent[] = packedMap(decision.right, (event, index) => ({
              type: event.type,
              data: event.data,
              metadata: {
                eventId: eventIds[index] as string,
                commandId,
                commandHash,
                actor,
                at,
                recordedAt,
                schemaVersion: currentSchemaVersion,
                rulesVersion: decider.rulesVersion,
              },
            }))
            let after = state
            for (let index = 0; index < events.length; index++) {
              after = decider.evolve(after, events[index] as (typeof events)[number])
            }
            decided = { version: since.version + events.length, state: after, head: current.right.head }
            return E.right(events)
          },
        }),
      storeDeadlineMs,
      progress,
    )
    if (--progress.waiting === 0) progressOf.delete(streamId)

    if (E.isLeft(outcome)) {
      cache.forget(streamId)
      return outcome
    }
    if (E.isLeft(outcome.right)) {
      if (folded !== undefined) cache.keep(streamId, folded)
      const unappended = outcome.right.left
      return unappended._tag === 'Refused'
        ? E.left(unappended.error)
        : E.right({ events: unappended.events, version: unappended.version, replayed: true })
    }
    const appended = outcome.right.right
    // The store's report is checked against the decision: a store that says it appended other
    // events (fewer, none, at other versions) has not done what the command needs.
    if (
      decided === undefined ||
      !appendedAsDecided(appended, decided.version - (folded?.version ?? 0), folded?.version ?? 0)
    ) {
      cache.forget(streamId)
      return E.left(
        storeFailure(
          `the store reported appending ${describeValue(appended)}, which is not the events decided for ${streamId}`,
        ),
      )
    }
    const last = appended.events[appended.events.length - 1]
    if (decided !== undefined && last !== undefined) {
      cache.keep(streamId, { version: appended.version, state: decided.state, head: headAfter(last) })
    }
    return E.right({ events: appended.events, version: appended.version, replayed: false })
  }
}
