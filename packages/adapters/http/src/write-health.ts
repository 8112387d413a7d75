/**
 * What `/healthz` knows of the store's writes: the outcome of the last append the service tried, kept
 * by wrapping the store the command handler writes through. A service whose every write fails with
 * "database or disk is full" is not ready, however well its reads go.
 *
 * @example
 * const watched = watchWrites(store)
 * commandHandler({ store: watched.store, decider })
 * watched.lastFailure() // undefined, or { message, at } of the last append that failed
 */
import {
  type DecideAndAppendRequest,
  type EventStore,
  isStoreFailure,
  type StoreError,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'

export interface WriteFailure {
  readonly message: string
  /** ISO-8601 instant of the failure. */
  readonly at: string
}

export interface WatchedWrites {
  readonly store: EventStore
  /** The last append's failure, cleared by the next append that succeeds. */
  readonly lastFailure: () => WriteFailure | undefined
  /** How many writes went through so far (a decision that appended nothing counts too): a change says the store may have moved. */
  readonly writes: () => number
}

export const watchWrites = (store: EventStore, clock: () => Date): WatchedWrites => {
  let failure: WriteFailure | undefined
  let writes = 0
  // A conflict or a corrupt event says nothing of whether the store can write; a failure does.
  const failed = (error: StoreError) => {
    if (isStoreFailure(error)) failure = { message: error.message, at: clock().toISOString() }
  }
  const { decideAndAppend } = store
  return {
    store: {
      ...store,
      appendToStream: async (streamId, expected, events) => {
        const appended = await store.appendToStream(streamId, expected, events)
        writes++
        if (E.isRight(appended)) failure = undefined
        else failed(appended.left)
        return appended
      },
      // The handler writes through this one where the store has it; a decision that appended
      // nothing (a refusal) says nothing of the store either.
      ...(decideAndAppend === undefined
        ? {}
        : {
            decideAndAppend: async <R>(request: DecideAndAppendRequest<R>) => {
              const outcome = await decideAndAppend(request)
              writes++
              if (E.isLeft(outcome)) failed(outcome.left)
              else if (E.isRight(outcome.right)) failure = undefined
              return outcome
            },
          }),
    },
    lastFailure: () => failure,
    writes: () => writes,
  }
}
