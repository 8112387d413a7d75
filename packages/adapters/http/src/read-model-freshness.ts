/**
 * Keeps the review queue's read model caught up in the background and tells how fresh an answer
 * is. After a restart the read model may be far behind the store (45,600 events took 6.8 s to
 * apply), and a request that waited for all of it would hang that long. So:
 * - the catch-up runs in the background, started when the server is ready and by any request that
 *   finds the read model behind; one at a time, and stopped between batches when the server closes;
 * - a request finds the store's head and the read model's checkpoint; when the read model is at most
 *   `inlineCatchUpLimit` positions behind (the usual case: a few new events), it waits for the
 *   catch-up, so a reviewer sees what was accepted before they asked; further behind, it answers
 *   at once from the last checkpoint and says how far behind that is.
 *
 * Positions, not events: a store's positions may have gaps (PostgreSQL sequences), so `behind`
 * is an upper bound on the events not yet applied. A store without `headPosition` gives no head:
 * then every request waits for the catch-up, as before.
 *
 * @example
 * const freshness = readModelFreshness({ store, runner, readModels, log })
 * const answer = await freshness.current() // Either<StoreError, { position, head, behind }>
 */
import type { EventStore, StoreError } from '@elicence/domain'
import type { ProjectionRunner, ReadModelQueries } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'

export interface Freshness {
  /** The global position the read model is complete up to. */
  readonly position: number
  /** The store's head position when the request was answered; null when the store cannot tell. */
  readonly head: number | null
  /** `head - position`, at most; 0 when caught up; null when the store cannot tell. */
  readonly behind: number | null
}

export interface ReadModelFreshness {
  /** Catches up first when close enough, else starts catching up and answers at once. */
  readonly current: () => Promise<E.Either<StoreError, Freshness>>
  /** Starts catching up in the background, unless it already is. */
  readonly start: () => void
  /**
   * Stops after the batch in flight; resolves when the background catch-up has ended, or after
   * `stopGraceMs` when its batch is stuck on a store that does not answer.
   */
  readonly stop: () => Promise<void>
}

export const defaultInlineCatchUpLimit = 500

/**
 * How long closing waits for a batch in flight. A store that stopped answering would otherwise hold
 * the server's shutdown for good; a batch abandoned here commits or fails on its own, in one
 * transaction either way, so the read model is never left half-written.
 */
const stopGraceMs = 2_000

export const readModelFreshness = (options: {
  readonly store: Pick<EventStore, 'headPosition'>
  readonly runner: ProjectionRunner
  readonly queries: Pick<ReadModelQueries, 'checkpoint'>
  readonly inlineCatchUpLimit?: number
  readonly onError: (error: StoreError) => void
}): ReadModelFreshness => {
  const inlineLimit = options.inlineCatchUpLimit ?? defaultInlineCatchUpLimit
  let stopped = false
  let background: Promise<void> | undefined

  const start = () => {
    if (stopped || background !== undefined) return
    background = (async () => {
      while (!stopped) {
        const stepped = await options.runner.step()
        if (E.isLeft(stepped)) {
          options.onError(stepped.left)
          return
        }
        // Nothing new, or another runner committed first: the next request looks again.
        if (stepped.right.applied === 0) return
      }
    })().finally(() => {
      background = undefined
    })
  }

  // Catch-ups a request waits for run one after another, and after the background one: concurrent
  // ones would only race for the same checkpoint.
  let previous: Promise<unknown> = Promise.resolve()
  const catchUpInline = () => {
    const next = previous.then(async () => {
      await background
      return options.runner.catchUp()
    })
    previous = next.catch(() => undefined)
    return next
  }

  const current = async (): Promise<E.Either<StoreError, Freshness>> => {
    const headed = options.store.headPosition === undefined ? undefined : await options.store.headPosition()
    if (headed !== undefined && E.isLeft(headed)) return headed
    const head = headed?.right ?? null
    if (head !== null) {
      const checkpoint = await options.queries.checkpoint()
      if (E.isLeft(checkpoint)) return checkpoint
      const behind = Math.max(0, head - checkpoint.right.position)
      if (behind > inlineLimit) {
        start()
        return E.right({ position: checkpoint.right.position, head, behind })
      }
    }
    const caughtUp = await catchUpInline()
    if (E.isLeft(caughtUp)) return caughtUp
    const position = caughtUp.right.position
    return E.right({
      position,
      head: head === null ? null : Math.max(head, position),
      behind: head === null ? null : Math.max(0, head - position),
    })
  }

  return {
    current,
    start,
    stop: async () => {
      stopped = true
      if (background === undefined) return
      let timer: NodeJS.Timeout | undefined
      await Promise.race([background, new Promise((resolve) => (timer = setTimeout(resolve, stopGraceMs)))])
      clearTimeout(timer)
    },
  }
}
