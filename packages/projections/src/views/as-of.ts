/**
 * As-of: a licence's view at a past instant, on either time axis.
 * - `business`: events whose `metadata.at` (when it happened, as the command said) is at or before
 *   the instant — "what was true then, as we know it now".
 * - `record`: events whose `metadata.recordedAt` (when the store took them) is at or before the
 *   instant — "what the system showed then", so a late-recorded correction does not rewrite it.
 * Events keep their stream order either way; filtering never reorders.
 *
 * @example
 * const view = pipe(eLicenceAsOf(events, '2026-10-01T00:00:00+08:00', 'record'), E.getOrElse(() => null))
 * await readLicenceView(store, '11010519491231002X', { asOf: '2026-10-01T00:00:00Z' })
 */
import {
  compareInstants,
  type DecodedStoredEvent,
  type EventStore,
  readDecodedStream,
  type StoredEventDecoder,
  type StoreError,
  streamIdFor,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { type ELicenceViewState, eLicenceView } from './e-licence.js'
import type { View } from './view.js'

export const timeAxes = ['business', 'record'] as const
export type TimeAxis = (typeof timeAxes)[number]

export interface InvalidInstant {
  readonly code: 'invalid-instant'
  readonly message: string
}

const invalidInstant = (instant: string): InvalidInstant => ({
  code: 'invalid-instant',
  message: `${JSON.stringify(instant)} is not an ISO-8601 instant`,
})

/**
 * Whether an event belongs to the history known at `instant` on an axis: compared to the last digit
 * of their fractions, as rule 10 orders instants (milliseconds alone put an event of .0005 at .000).
 */
export const happenedBy = (event: DecodedStoredEvent, instant: string, axis: TimeAxis): boolean =>
  compareInstants(axis === 'business' ? event.metadata.at : event.metadata.recordedAt, instant) <= 0

/** Folds a view over the events known at an instant. */
export const asOf = <S>(
  view: View<S, DecodedStoredEvent>,
  events: Iterable<DecodedStoredEvent>,
  instant: string,
  axis: TimeAxis = 'business',
): E.Either<InvalidInstant, S> => {
  if (!Number.isFinite(Date.parse(instant))) return E.left(invalidInstant(instant))
  let state = view.initialState
  for (const event of events) if (happenedBy(event, instant, axis)) state = view.evolve(state, event)
  return E.right(state)
}

export const eLicenceAsOf = (
  events: Iterable<DecodedStoredEvent>,
  instant: string,
  axis: TimeAxis = 'business',
): E.Either<InvalidInstant, ELicenceViewState> => asOf(eLicenceView, events, instant, axis)

export interface ReadLicenceViewOptions {
  /** Omit for the current view. */
  readonly asOf?: string
  readonly axis?: TimeAxis
  /** How stored events are read: the embedder's upcasters, bound once (`storedEventDecoder`). */
  readonly decoder?: StoredEventDecoder
}

/** Decodes one licence's stream from the store and folds its view, optionally as of an instant. */
export const readLicenceEvents = async (
  store: Pick<EventStore, 'readStream'>,
  licenceNumber: string,
  decoder?: StoredEventDecoder,
): Promise<E.Either<StoreError, ReadonlyArray<DecodedStoredEvent>>> => {
  const read = await readDecodedStream(store, streamIdFor(licenceNumber), decoder)
  return E.isLeft(read) ? read : E.right(read.right.events)
}

/** The view of one licence read straight from the event store; null when nothing is recorded. */
export const readLicenceView = async (
  store: Pick<EventStore, 'readStream'>,
  licenceNumber: string,
  options: ReadLicenceViewOptions = {},
): Promise<E.Either<StoreError | InvalidInstant, ELicenceViewState>> => {
  const events = await readLicenceEvents(store, licenceNumber, options.decoder)
  if (E.isLeft(events)) return events
  return options.asOf === undefined
    ? E.right(events.right.reduce(eLicenceView.evolve, eLicenceView.initialState))
    : eLicenceAsOf(events.right, options.asOf, options.axis)
}
