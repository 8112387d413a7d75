/**
 * Read models held in memory and fed one event at a time: for embedders who keep no read-model store,
 * for the auditor's rebuild and for benchmarks. It applies events through the same `applyEvent` as
 * the runner, without recording document changes. Memory holds one view per licence.
 *
 * @example
 * const replay = replayReadModels()
 * for await (const event of decodedEvents) replay.apply(event) // Either<CorruptEvent, void>
 * replay.reviewQueue({ dueBy: now })
 */
import { type CorruptEvent, type DecodedStoredEvent, streamIdFor } from '@elicence/domain'
import type * as E from 'fp-ts/lib/Either.js'
import type { ELicenceViewState } from '../views/e-licence.js'
import {
  orderReviewQueue,
  type ReviewQueueEntry,
  type ReviewQueueOptions,
  reviewQueueEntryOf,
} from '../views/review-queue.js'
import { emptyStatistics, type Statistics } from '../views/statistics.js'
import { type Verification, verifyAt } from '../views/verification.js'
import { applyEvent, workingSet } from './apply.js'
import { type Checkpoint, initialCheckpoint } from './port.js'

export interface ReplayedReadModels {
  readonly apply: (event: DecodedStoredEvent) => E.Either<CorruptEvent, void>
  readonly view: (licenceNumber: string) => ELicenceViewState
  readonly verification: (licenceNumber: string, at: string) => Verification
  readonly reviewQueue: (options?: ReviewQueueOptions) => ReadonlyArray<ReviewQueueEntry>
  readonly statistics: () => Statistics
  readonly checkpoint: () => Checkpoint
  /** The views by stream id, as they stand now (a live map: copy it to keep a snapshot). */
  readonly views: () => ReadonlyMap<string, ELicenceViewState>
}

export const replayReadModels = (): ReplayedReadModels => {
  const working = workingSet(initialCheckpoint, emptyStatistics, new Map(), false)
  return {
    apply: (event) => applyEvent(working, event),
    view: (licenceNumber) => working.views.get(streamIdFor(licenceNumber)) ?? null,
    verification: (licenceNumber, at) => verifyAt(working.views.get(streamIdFor(licenceNumber)) ?? null, at),
    reviewQueue: (queueOptions = {}) =>
      orderReviewQueue(
        [...working.views.values()].flatMap((view) => {
          const entry = reviewQueueEntryOf(view)
          return entry === null ? [] : [entry]
        }),
        queueOptions,
      ),
    statistics: () => working.statistics,
    checkpoint: () => working.checkpoint,
    views: () => working.views,
  }
}
