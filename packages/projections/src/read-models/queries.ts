/**
 * Queries over stored read models, for transports and embedders: a licence's view, its verification
 * at an instant, the review queue, the statistics and the checkpoint. (A licence's audit timeline is
 * `auditTimelineView` folded over its stream: the event store already holds it in order.) They read
 * what the runner committed, so they are as fresh as its last batch (see `checkpoint`).
 *
 * @example
 * const queries = readModelQueries(readModels)
 * await queries.verification('11010519491231002X', new Date().toISOString()) // Either<StoreError, Verification>
 */
import { concurrencyConflict, type StoreError, streamIdFor } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import type { StoredReadModels } from '../audit/compare-stored.js'
import type { ELicenceView, ELicenceViewState } from '../views/e-licence.js'
import type { ReviewQueueEntry, ReviewQueueOptions } from '../views/review-queue.js'
import { emptyStatistics, type Statistics } from '../views/statistics.js'
import { type Verification, verifyAt } from '../views/verification.js'
import { collections, statisticsKey } from './apply.js'
import { type Checkpoint, checkpointStreamId, type ReadModelStore } from './port.js'
import { defaultProjection } from './runner.js'

export interface ReadModelQueries {
  readonly view: (licenceNumber: string) => Promise<E.Either<StoreError, ELicenceViewState>>
  readonly verification: (licenceNumber: string, at: string) => Promise<E.Either<StoreError, Verification>>
  readonly reviewQueue: (
    options?: ReviewQueueOptions,
  ) => Promise<E.Either<StoreError, ReadonlyArray<ReviewQueueEntry>>>
  readonly statistics: () => Promise<E.Either<StoreError, Statistics>>
  readonly checkpoint: () => Promise<E.Either<StoreError, Checkpoint>>
  /** Every stored e-licence view, in stream id order (for auditors comparing them with a rebuild). */
  readonly views: () => Promise<E.Either<StoreError, ReadonlyArray<ELicenceView>>>
  /** Checkpoint, views and statistics together, as `auditHistory` takes them in `storedViews`. */
  readonly storedReadModels: () => Promise<E.Either<StoreError, StoredReadModels>>
}

export const readModelQueries = (
  readModels: ReadModelStore,
  projection: string = defaultProjection,
): ReadModelQueries => {
  // Documents are only ever written by `applyEvent`, so they have the shapes it wrote.
  const view = async (licenceNumber: string): Promise<E.Either<StoreError, ELicenceViewState>> => {
    const streamId = streamIdFor(licenceNumber)
    const loaded = await readModels.load(projection, collections.eLicence, [streamId])
    return E.isLeft(loaded)
      ? loaded
      : E.right((loaded.right.get(streamId) as ELicenceView | undefined) ?? null)
  }
  const views = async (): Promise<E.Either<StoreError, ReadonlyArray<ELicenceView>>> => {
    const listed = await readModels.list(projection, collections.eLicence)
    return E.isLeft(listed) ? listed : E.right(listed.right.map((row) => row.doc as ELicenceView))
  }
  const statistics = async (): Promise<E.Either<StoreError, Statistics>> => {
    const loaded = await readModels.load(projection, collections.statistics, [statisticsKey])
    return E.isLeft(loaded)
      ? loaded
      : E.right((loaded.right.get(statisticsKey) as Statistics | undefined) ?? emptyStatistics)
  }
  return {
    view,
    verification: async (licenceNumber, at) => {
      const found = await view(licenceNumber)
      return E.isLeft(found) ? found : E.right(verifyAt(found.right, at))
    },
    reviewQueue: async (options = {}) => {
      const dueByMs = options.dueBy === undefined ? undefined : Date.parse(options.dueBy)
      if (dueByMs !== undefined && !Number.isFinite(dueByMs)) return E.right([])
      const listed = await readModels.list(projection, collections.reviewQueue, {
        orderBy: 'sort-key',
        // Sort keys start with the due time in UTC ISO form; '\uffff' sorts after the stream id that follows.
        ...(dueByMs === undefined ? {} : { maxSortKey: `${new Date(dueByMs).toISOString()} \uffff` }),
        ...(options.limit === undefined ? {} : { limit: options.limit }),
      })
      return E.isLeft(listed) ? listed : E.right(listed.right.map((row) => row.doc as ReviewQueueEntry))
    },
    statistics,
    checkpoint: () => readModels.loadCheckpoint(projection),
    views,
    storedReadModels: async () => {
      // Reads are separate queries: a runner committing between them would mix two checkpoints. Every
      // commit moves the checkpoint, so an unchanged checkpoint around the reads proves one snapshot.
      for (let attempt = 1; ; attempt++) {
        const before = await readModels.loadCheckpoint(projection)
        if (E.isLeft(before)) return before
        const storedViews = await views()
        if (E.isLeft(storedViews)) return storedViews
        const storedStatistics = await statistics()
        if (E.isLeft(storedStatistics)) return storedStatistics
        const after = await readModels.loadCheckpoint(projection)
        if (E.isLeft(after)) return after
        if (after.right.position === before.right.position) {
          return E.right({
            checkpoint: before.right,
            views: storedViews.right,
            statistics: storedStatistics.right,
          })
        }
        if (attempt === 5) {
          return E.left(
            concurrencyConflict(checkpointStreamId(projection), before.right.position, after.right.position),
          )
        }
      }
    },
  }
}
