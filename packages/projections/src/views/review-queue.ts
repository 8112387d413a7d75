/**
 * The review queue of DESIGN §5: open applications, those awaiting review first ordered by
 * `reviewDueAt`, then those awaiting a new photo (they have no due time until one is accepted).
 * An entry is a pure function of the licence's e-licence view, so the queue can never disagree with
 * the views it is built from.
 *
 * @example
 * const queue = foldView(reviewQueueView, decodedEvents)
 * reviewQueueOf(queue, { dueBy: '2026-10-09T10:00:00+08:00' }) // entries a reviewer may decide now
 */
import { asString, Count, type DecodedStoredEvent, Id, Instant, LicenceNumber, oneOf } from '@elicence/domain'
import * as t from 'io-ts'
import { type ELicenceViewState, evolveELicenceView } from './e-licence.js'
import { maskName } from './verification.js'
import type { View } from './view.js'

export const ReviewQueueEntry = t.readonly(
  t.exact(
    t.type({
      streamId: t.string,
      licenceNumber: asString(LicenceNumber),
      /** Masked, like a verification's. */
      holderName: t.string,
      applicationId: asString(Id),
      stage: oneOf(['pending-review', 'awaiting-photo']),
      appliedAt: asString(Instant),
      /** Null while a photo is awaited. */
      reviewDueAt: t.union([asString(Instant), t.null]),
      photoRejections: Count,
    }),
  ),
  'ReviewQueueEntry',
)
export type ReviewQueueEntry = t.TypeOf<typeof ReviewQueueEntry>

/** The queue entry a licence's view implies, or null when it has no open application. */
export const reviewQueueEntryOf = (view: ELicenceViewState): ReviewQueueEntry | null => {
  if (view === null || view.applicationId === null || view.appliedAt === null) return null
  if (view.state !== 'pending-review' && view.state !== 'awaiting-photo') return null
  return {
    streamId: view.streamId,
    licenceNumber: view.licenceNumber,
    holderName: maskName(view.holder.name),
    applicationId: view.applicationId,
    stage: view.state,
    appliedAt: view.appliedAt,
    reviewDueAt: view.reviewDueAt,
    photoRejections: view.photoRejections.length,
  }
}

/**
 * A key that sorts entries as the queue lists them, in byte order: due time in UTC ISO form (which
 * sorts as time does), then the stream; entries awaiting a photo after every due one.
 */
export const reviewQueueSortKey = (entry: ReviewQueueEntry): string =>
  entry.reviewDueAt === null
    ? `~${entry.streamId}`
    : `${new Date(entry.reviewDueAt).toISOString()} ${entry.streamId}`

export interface ReviewQueueOptions {
  /** Only entries due at or before this instant. */
  readonly dueBy?: string
  readonly limit?: number
}

/** Orders and filters entries as the queue lists them. */
export const orderReviewQueue = (
  entries: Iterable<ReviewQueueEntry>,
  options: ReviewQueueOptions = {},
): ReadonlyArray<ReviewQueueEntry> => {
  const dueByMs = options.dueBy === undefined ? undefined : Date.parse(options.dueBy)
  const listed = [...entries]
    .filter(
      (entry) =>
        dueByMs === undefined || (entry.reviewDueAt !== null && Date.parse(entry.reviewDueAt) <= dueByMs),
    )
    .map((entry) => ({ entry, key: reviewQueueSortKey(entry) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ entry }) => entry)
  return options.limit === undefined ? listed : listed.slice(0, options.limit)
}

/** The queue over every licence: each licence's view, from which its entry follows. */
export interface ReviewQueueState {
  readonly views: ReadonlyMap<string, ELicenceViewState>
}

/**
 * The review queue as a view over all licences' events. It copies the map of views on every event,
 * which suits embedders with small histories; the projection runner keeps one entry per licence.
 */
export const reviewQueueView: View<ReviewQueueState, DecodedStoredEvent> = {
  initialState: { views: new Map() },
  evolve: (state, event) => {
    const views = new Map(state.views)
    views.set(event.streamId, evolveELicenceView(state.views.get(event.streamId) ?? null, event))
    return { views }
  },
}

export const reviewQueueOf = (
  state: ReviewQueueState,
  options: ReviewQueueOptions = {},
): ReadonlyArray<ReviewQueueEntry> =>
  orderReviewQueue(
    [...state.views.values()].flatMap((view) => {
      const entry = reviewQueueEntryOf(view)
      return entry === null ? [] : [entry]
    }),
    options,
  )
