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
import {
  concurrencyConflict,
  type DecideAndAppend,
  type DecideAndAppendRequest,
  type EventStore,
  eventsAfter,
  isConcurrencyConflict,
  type LockedDecision,
  type StoreError,
  type StreamSince,
  storeFailure,
} from './port.js'

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
      const read = await store.readStream(streamId)
      if (E.isLeft(read)) return read
      const { events: stream, version } = read.right
      const decided = callDecide(request, {
        version,
        events: eventsAfter(stream, after),
        ofCommand: stream.filter((event) => event.metadata.commandId === commandId),
      })
      if (E.isLeft(decided)) return decided
      if (E.isLeft(decided.right)) return E.right(decided.right)
      const appended = await store.appendToStream(
        streamId,
        version === -1 ? 'no-stream' : version,
        decided.right.right,
      )
      if (E.isRight(appended)) return E.right(E.right(appended.right))
      if (!isConcurrencyConflict(appended.left)) return appended
      conflict = appended.left
    }
    return E.left({
      ...conflict,
      message: `stream ${streamId} kept changing: gave up after ${attempts} attempts (last expected ${String(conflict.expected)}, found ${conflict.actual})`,
    })
  }
