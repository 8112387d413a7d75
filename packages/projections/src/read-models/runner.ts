/**
 * The projection runner of DESIGN §5: reads the event store's global order from its checkpoint,
 * decodes and applies each page, and commits the read models with the new checkpoint in one
 * transaction. It catches up, then follows by polling until stopped. A stored event that does not
 * decode or does not continue its stream's chain stops it with a `corrupt-event` error: it is never
 * skipped; while following, other failures (a busy database) are retried a few times. Another
 * runner of the same projection committing first (seen as a moved checkpoint after its reads, or as
 * a `concurrency-conflict` on the checkpoint at the commit) only makes this one re-read from the
 * new checkpoint: runners may share a read-model store, in one process or several.
 *
 * @example
 * const runner = projectionRunner({ events: store, readModels: sqliteReadModelStore({ path }) })
 * await runner.catchUp()               // Either<StoreError, Checkpoint>
 * const following = runner.follow()    // polls for new events
 * await following.stop()
 */
import {
  defaultStoredEventDecoder,
  type EventStore,
  isConcurrencyConflict,
  isCorruptEvent,
  readDecodedPage,
  type StoredEventDecoder,
  type StoreError,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import type { ELicenceViewState } from '../views/e-licence.js'
import { emptyStatistics, type Statistics } from '../views/statistics.js'
import { applyEvent, collections, statisticsKey, workingSet } from './apply.js'
import type { Checkpoint, ReadModelStore } from './port.js'

export const defaultProjection = 'elicence'

export interface ProjectionRunnerOptions {
  readonly events: Pick<EventStore, 'readAll'>
  readonly readModels: ReadModelStore
  /** Name of the projection: its checkpoint and documents live under it. */
  readonly projection?: string
  /** Events read and committed per transaction. */
  readonly batchSize?: number
  readonly pollIntervalMs?: number
  /** How stored events are read: the embedder's upcasters, bound once (`storedEventDecoder`). */
  readonly decoder?: StoredEventDecoder
  readonly onBatch?: (progress: { readonly applied: number; readonly checkpoint: Checkpoint }) => void
  /**
   * While following: store failures in a row that are retried (after the poll interval) before the
   * runner stops; default 5. A corrupt event always stops it at once.
   */
  readonly maxConsecutiveFailures?: number
  /** Told of every failure while following, retried or not (for logs). */
  readonly onError?: (error: StoreError) => void
}

export interface StepResult {
  readonly applied: number
  readonly checkpoint: Checkpoint
}

export interface FollowingRunner {
  /** Stops after the batch in flight, if any; resolves with the outcome of the run. */
  readonly stop: () => Promise<E.Either<StoreError, Checkpoint>>
  /** Settles when the runner stops, by `stop()` or on an error. */
  readonly done: Promise<E.Either<StoreError, Checkpoint>>
}

export interface ProjectionRunner {
  /** Applies at most one batch. */
  readonly step: () => Promise<E.Either<StoreError, StepResult>>
  /** Applies batches until the store has nothing newer. */
  readonly catchUp: () => Promise<E.Either<StoreError, Checkpoint>>
  /** Catches up, then polls for new events until stopped. */
  readonly follow: () => FollowingRunner
}

export const projectionRunner = (options: ProjectionRunnerOptions): ProjectionRunner => {
  const { events, readModels } = options
  const projection = options.projection ?? defaultProjection
  const batchSize = options.batchSize ?? 500
  const pollIntervalMs = options.pollIntervalMs ?? 250
  const decoder = options.decoder ?? defaultStoredEventDecoder

  const step = async (): Promise<E.Either<StoreError, StepResult>> => {
    const checkpoint = await readModels.loadCheckpoint(projection)
    if (E.isLeft(checkpoint)) return checkpoint
    const decoded = await readDecodedPage(
      events,
      { after: checkpoint.right.position, limit: batchSize },
      decoder,
    )
    if (E.isLeft(decoded)) return decoded
    if (decoded.right.events.length === 0) return E.right({ applied: 0, checkpoint: checkpoint.right })

    const streamIds = [...new Set(decoded.right.events.map((event) => event.streamId))]
    const loadedViews = await readModels.load(projection, collections.eLicence, streamIds)
    if (E.isLeft(loadedViews)) return loadedViews
    const loadedStatistics = await readModels.load(projection, collections.statistics, [statisticsKey])
    if (E.isLeft(loadedStatistics)) return loadedStatistics
    // The checkpoint, the events and the documents are separate reads: another runner of this
    // projection (another process, or another reader in this one) that committed between them left
    // documents ahead of the checkpoint read first, and applying the page to them would look like a
    // stream whose versions skip. A commit moves the checkpoint forwards with its documents, so an
    // unchanged checkpoint read after the documents says they are the ones it names; a moved one
    // is the other runner's page, and this one re-reads from there, as after a conflict.
    const since = await readModels.loadCheckpoint(projection)
    if (E.isLeft(since)) return since
    if (since.right.position !== checkpoint.right.position)
      return E.right({ applied: 0, checkpoint: since.right })
    // Documents are only ever written by `applyEvent`, so they have the shapes it wrote.
    const views = new Map(loadedViews.right as ReadonlyMap<string, ELicenceViewState>)
    const statistics =
      (loadedStatistics.right.get(statisticsKey) as Statistics | undefined) ?? emptyStatistics

    const working = workingSet(checkpoint.right, statistics, views)
    for (const event of decoded.right.events) {
      const applied = applyEvent(working, event)
      if (E.isLeft(applied)) return applied
    }
    const committed = await readModels.commit(projection, [...(working.changes?.values() ?? [])], {
      expected: checkpoint.right.position,
      next: working.checkpoint,
    })
    if (E.isLeft(committed)) {
      // Someone else applied this page first: nothing was written, so re-read from their checkpoint.
      return isConcurrencyConflict(committed.left)
        ? E.right({ applied: 0, checkpoint: checkpoint.right })
        : committed
    }
    const result = { applied: decoded.right.events.length, checkpoint: working.checkpoint }
    options.onBatch?.(result)
    return E.right(result)
  }

  const catchUp = async (): Promise<E.Either<StoreError, Checkpoint>> => {
    for (;;) {
      const stepped = await step()
      if (E.isLeft(stepped)) return stepped
      if (stepped.right.applied === 0) {
        // A conflict also reports 0 applied; only an empty read means caught up.
        const latest = await readModels.loadCheckpoint(projection)
        if (E.isLeft(latest)) return latest
        const next = await events.readAll({ after: latest.right.position, limit: 1 })
        if (E.isLeft(next)) return next
        if (next.right.events.length === 0) return E.right(latest.right)
      }
    }
  }

  const follow = (): FollowingRunner => {
    let stopped = false
    let wake: (() => void) | undefined
    const pause = () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs)
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    const done = (async (): Promise<E.Either<StoreError, Checkpoint>> => {
      let last: Checkpoint | undefined
      let failures = 0
      while (!stopped) {
        const stepped = await step()
        if (E.isLeft(stepped)) {
          options.onError?.(stepped.left)
          // A busy or briefly unreachable database heals; a corrupt event never does.
          failures++
          if (isCorruptEvent(stepped.left) || failures > (options.maxConsecutiveFailures ?? 5)) return stepped
          if (!stopped) await pause()
          continue
        }
        failures = 0
        last = stepped.right.checkpoint
        if (stepped.right.applied === 0 && !stopped) await pause()
      }
      if (last !== undefined) return E.right(last)
      return readModels.loadCheckpoint(projection)
    })()
    return {
      done,
      stop: () => {
        stopped = true
        wake?.()
        return done
      },
    }
  }

  return { step, catchUp, follow }
}
