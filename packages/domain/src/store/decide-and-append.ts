/**
 * The two ways a decision reaches a store (DESIGN §4 "Concurrency"): a store with a write lock
 * offers `decideAndAppend` and calls the caller's `decide` under it (`callDecide` is how every such
 * store calls it); for one without, `optimisticDecideAndAppend` gives the same contract from
 * `readStream` and `appendToStream` alone: read, decide, append with the expected version and, when
 * another writer got there first, wait a random while and decide again, a bounded number of times.
 * The wait is "full jitter" exponential back-off: retries that came at once (the writers that lost
 * one race) spread out instead of colliding again, which retries without a wait measurably did.
 *
 * @example
 * const run = store.decideAndAppend ?? optimisticDecideAndAppend(store, { maxAttempts: 8 })
 * const outcome = await run({ streamId, after: -1, commandId, decide: (since) => E.right(events) })
 */
import * as E from 'fp-ts/lib/Either.js'
import { describeValue } from '../licence/commands.js'
import {
  type AppendResult,
  concurrencyConflict,
  type DecideAndAppend,
  type DecideAndAppendRequest,
  type EventStore,
  eventsAfter,
  isConcurrencyConflict,
  type LockedDecision,
  type StoreError,
  type StreamRead,
  type StreamSince,
  storeFailure,
} from './port.js'

/** Whether a store's answer is an Either at all: an embedder's adapter may answer anything. */
export const isEither = (value: unknown): value is E.Either<unknown, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  (((value as { _tag?: unknown })._tag === 'Left' && 'left' in value) ||
    ((value as { _tag?: unknown })._tag === 'Right' && 'right' in value))

const commandIdOf = (event: unknown): unknown =>
  (event as { metadata?: { commandId?: unknown } } | null)?.metadata?.commandId

/**
 * What is wrong with `readStream`'s answer as the port states it — an Either of `{ events, version }`,
 * `version` the last event's (-1 for none) — or undefined. A read that contradicts itself is the
 * store's failure, not another writer's: retried, it would end as a made-up concurrency conflict.
 * The events themselves are the decoder's to judge, by stream and version.
 */
export const streamReadProblem = (answer: unknown): string | undefined => {
  if (!isEither(answer)) return `answered ${describeValue(answer)}, which is no Either of the port`
  if (E.isLeft(answer)) return undefined
  const read = answer.right as { events?: unknown; version?: unknown } | null
  if (typeof read !== 'object' || read === null || !Array.isArray(read.events))
    return 'answered no { events, version }'
  const { events, version } = read as { events: ReadonlyArray<unknown>; version: unknown }
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < -1)
    return `answered version ${String(version)}, which is no stream version (an integer from -1)`
  if (events.length === 0)
    return version === -1
      ? undefined
      : `answered no events and version ${version}: a stream without events is at -1`
  const lastVersion = (events[events.length - 1] as { version?: unknown } | null)?.version
  return typeof lastVersion === 'number' && lastVersion !== version
    ? `answered version ${version} with its last event at version ${lastVersion}`
    : undefined
}

/**
 * What is wrong with the `since` a store hands to `decide` (`StreamSince`), or undefined: a store
 * with a write lock builds it itself, and an embedder's may build it wrong.
 */
export const sinceProblem = (since: unknown): string | undefined => {
  if (typeof since !== 'object' || since === null)
    return `gave decide ${describeValue(since)}, no { version, events, ofCommand }`
  const { version, events, ofCommand } = since as Partial<Record<keyof StreamSince, unknown>>
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < -1)
    return `gave decide version ${describeValue(version)}, which is no stream version (an integer from -1)`
  if (!Array.isArray(events) || !Array.isArray(ofCommand))
    return "gave decide no arrays of events and of the command's events"
  return undefined
}

/** `request.decide`, with a throw (a broken caller) turned into a `store-failure`: nothing is appended. */
export const callDecide = <R>(
  request: DecideAndAppendRequest<R>,
  since: StreamSince,
): E.Either<StoreError, LockedDecision<R>> => {
  try {
    return E.right(request.decide(since))
  } catch (cause) {
    return E.left(storeFailure(`the decision on ${request.streamId} failed: ${String(cause)}`, cause))
  }
}

export interface OptimisticOptions {
  /** Decisions before a conflict is reported (at least 1). */
  readonly maxAttempts: number
  /** The longest wait before a retry, in ms (default 200). */
  readonly maxBackoffMs?: number
  /** The first retry's longest wait, in ms, doubled for each later one (default 2). */
  readonly baseBackoffMs?: number
  /** How a wait is taken; tests pass one that records the waits. */
  readonly sleep?: (ms: number) => Promise<void>
  /** A number in [0, 1): where in its window a wait falls. */
  readonly random?: () => number
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** The longest wait before retry `retry` (from 1): base × 2^(retry − 1), capped. */
export const backoffWindowMs = (retry: number, baseMs: number, maxMs: number): number =>
  Math.min(maxMs, baseMs * 2 ** Math.min(30, retry - 1))

export const optimisticDecideAndAppend =
  (store: EventStore, options: OptimisticOptions): DecideAndAppend =>
  async (request) => {
    const { streamId, after, commandId } = request
    const maxBackoffMs = options.maxBackoffMs ?? 200
    const baseBackoffMs = options.baseBackoffMs ?? 2
    const sleep = options.sleep ?? sleepFor
    const random = options.random ?? Math.random
    let conflict = concurrencyConflict(streamId, 'any', -1)
    // At least one attempt, whatever was configured (0, a fraction, NaN): never a conflict made up
    // without a read or an append.
    const attempts = Math.max(1, Math.floor(options.maxAttempts) || 1)
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(random() * backoffWindowMs(attempt - 1, baseBackoffMs, maxBackoffMs))
      const read: unknown = await store.readStream(streamId)
      const problem = streamReadProblem(read)
      if (problem !== undefined) return E.left(storeFailure(`${streamId}: the store's readStream ${problem}`))
      const answer = read as E.Either<StoreError, StreamRead>
      if (E.isLeft(answer)) return answer
      const { events: stream, version } = answer.right
      const decided = callDecide(request, {
        version,
        events: eventsAfter(stream, after),
        // An event of another shape is not skipped here but decoded, and named, by the caller.
        ofCommand: stream.filter((event) => commandIdOf(event) === commandId),
      })
      if (E.isLeft(decided)) return decided
      if (E.isLeft(decided.right)) return E.right(decided.right)
      const appended: unknown = await store.appendToStream(
        streamId,
        version === -1 ? 'no-stream' : version,
        decided.right.right,
      )
      if (!isEither(appended))
        return E.left(
          storeFailure(
            `${streamId}: the store's appendToStream answered ${describeValue(appended)}, which is no Either of the port`,
          ),
        )
      const result = appended as E.Either<StoreError, AppendResult>
      if (E.isRight(result)) return E.right(E.right(result.right))
      if (!isConcurrencyConflict(result.left)) return result
      conflict = result.left
    }
    return E.left({
      ...conflict,
      message: `stream ${streamId} kept changing: gave up after ${attempts} attempts (last expected ${String(conflict.expected)}, found ${conflict.actual})`,
    })
  }
