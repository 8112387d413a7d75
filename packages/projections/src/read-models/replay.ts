/**
 * Read models held in memory and fed one event at a time: for embedders who keep no read-model store,
 * for the auditor's rebuild and for benchmarks. It applies events through the same `applyEvent` as
 * the runner, without recording document changes. Memory holds one view per licence (plus, when
 * asked, every timeline entry — that grows with the history).
 *
 * @example
 * const replay = replayReadModels()
 * for await (const event of decodedEvents) replay.apply(event) // Either<CorruptEvent, void>
 * replay.reviewQueue({ dueBy: now })
 */
import { type CorruptEvent, type DecodedStoredEvent, streamIdFor } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import type { ELicenceViewState } from '../views/e-licence.js'
import {
  orderReviewQueue,
  type ReviewQueueEntry,
  type ReviewQueueOptions,
  reviewQueueEntryOf,
} from '../views/review-queue.js'
import { emptyStatistics, type Statistics } from '../views/statistics.js'
import { type AuditTimeline, type TimelineEntry, timelineEntryOf } from '../views/timeline.js'
import { type Verification, verifyAt } from '../views/verification.js'
import { applyEvent, workingSet } from './apply.js'
import { type Checkpoint, initialCheckpoint } from './port.js'

export interface ReplayOptions {
  /** Keep every licence's audit timeline (memory grows with the history). Default false. */
  readonly timelines?: boolean
}

export interface ReplayedReadModels {
  readonly apply: (event: DecodedStoredEvent) => E.Either<CorruptEvent, void>
  readonly view: (licenceNumber: string) => ELicenceViewState
  readonly verification: (licenceNumber: string, at: string) => Verification
  readonly timeline: (licenceNumber: string) => AuditTimeline
  readonly reviewQueue: (options?: ReviewQueueOptions) => ReadonlyArray<ReviewQueueEntry>
  readonly statistics: () => Statistics
  readonly checkpoint: () => Checkpoint
  /** The views by stream id, as they stand now (a live map: copy it to keep a snapshot). */
  readonly views: () => ReadonlyMap<string, ELicenceViewState>
}

export const replayReadModels = (options: ReplayOptions = {}): ReplayedReadModels => {
  const working = workingSet(initialCheckpoint, emptyStatistics, new Map(), false)
  const timelines = new Map<string, TimelineEntry[]>()
  return {
    apply: (event) => {
      const applied = applyEvent(working, event)
      if (E.isRight(applied) && options.timelines === true) {
        const timeline = timelines.get(event.streamId)
        if (timeline === undefined) timelines.set(event.streamId, [timelineEntryOf(event)])
        else timeline.push(timelineEntryOf(event))
      }
      return applied
    },
    view: (licenceNumber) => working.views.get(streamIdFor(licenceNumber)) ?? null,
    verification: (licenceNumber, at) => verifyAt(working.views.get(streamIdFor(licenceNumber)) ?? null, at),
    timeline: (licenceNumber) => [...(timelines.get(streamIdFor(licenceNumber)) ?? [])],
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
