/**
 * The e-licence view of DESIGN §5: what one licence and its e-licence look like after its stream's
 * events, plus where the view stands in the stream (version, global position, chain hash) so an
 * auditor can prove it is complete up to there. It is derived from the domain (fmodel's view): the
 * licence, the application, the active e-licence, the count issued and the last invalidation are
 * the domain's state, moved by the domain's `evolve` and nothing else; the view adds only what that
 * state does not hold — the photo rejections of the application, the last issued e-licence after
 * it is invalidated, and the stream position. An event that does not fit changes nothing but the
 * position it reached, so folding never fails.
 *
 * @example
 * const view = foldView(eLicenceView, decodedEvents) // ELicenceView | null (null: nothing recorded)
 * view?.state // 'issued'
 */
import {
  asString,
  type CalendarRecord,
  Changes,
  Count,
  type DecodedStoredEvent,
  evolve,
  Id,
  Instant,
  initialState,
  invalidationReasons,
  LicenceRecorded,
  oneOf,
  photoRejectionSources,
  type RecordedLicence,
  RejectionReasons,
  Sha256Hex,
} from '@elicence/domain'
import * as t from 'io-ts'
import type { View } from './view.js'

export const eLicenceStates = ['none', 'pending-review', 'awaiting-photo', 'issued', 'invalidated'] as const
export type ELicenceState = (typeof eLicenceStates)[number]

// The read model's codecs are the source of its types and of its JSON Schema (the HTTP document).
// Fields the domain's state brands (the licence record, the ids it hands back to `evolve`) keep
// their brands; the others are plain strings in TypeScript but carry the checks, and so the
// schema, of the value.
const instant = asString(Instant)
const nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null])

export const PhotoRejectionRecord = t.readonly(
  t.exact(
    t.type({
      applicationId: asString(Id),
      reasons: RejectionReasons,
      /** The rejected submission, or null for the photo on file. */
      photoId: nullable(asString(Id)),
      source: oneOf(photoRejectionSources),
      at: instant,
    }),
  ),
  'PhotoRejectionRecord',
)
export type PhotoRejectionRecord = t.TypeOf<typeof PhotoRejectionRecord>

export const InvalidationRecord = t.readonly(
  t.exact(
    t.type({
      eLicenceId: Id,
      reason: oneOf(invalidationReasons),
      changes: Changes,
      at: instant,
    }),
  ),
  'InvalidationRecord',
)
export type InvalidationRecord = t.TypeOf<typeof InvalidationRecord>

export const ELicenceView = t.readonly(
  t.exact(
    t.type({
      streamId: t.string,
      // The domain's licence record (`LicenceRecord`): the fields of the event that records it.
      ...LicenceRecorded.type.props.data.type.props,
      state: oneOf(eLicenceStates),
      /** The active e-licence, else the last one issued (invalidated since), else null. */
      eLicenceId: nullable(Id),
      issuedAt: nullable(instant),
      issuedCount: Count,
      /** The open application, else null. */
      applicationId: nullable(Id),
      appliedAt: nullable(instant),
      /** Null while no application is open and while a photo is awaited. */
      reviewDueAt: nullable(instant),
      /** Rejections of the open (or last) application's photos, oldest first. */
      photoRejections: t.readonlyArray(PhotoRejectionRecord),
      lastInvalidation: nullable(InvalidationRecord),
      /** Stream version of the last event applied. */
      version: Count,
      /** Global position of the last event applied. */
      position: Count,
      /** Chain hash of the last event applied: the stream is proven complete up to `version` by it. */
      hash: asString(Sha256Hex),
      /** Business time (`metadata.at`) of the last event applied. */
      updatedAt: instant,
    }),
  ),
  'ELicenceView',
)
export type ELicenceView = t.TypeOf<typeof ELicenceView>

/** Null until the licence is recorded. */
export type ELicenceViewState = ELicenceView | null

// The fields of a view's domain state that steer decisions but never a view — which photo is
// usable, the open application's calendar, the active e-licence's application — are not kept in
// the view. `evolve` copies them or sets them from the event; no field it computes that the view
// reads depends on them, so these stand-ins cannot show in any view.
const unknownCalendar: CalendarRecord = { id: '', version: '', fallback: false }

/**
 * The domain state a view stands for (a view loaded from a read-model store carries no other). The
 * application is open at its stage; the e-licence is active while the view says issued.
 */
const licenceStateOf = (view: ELicenceView): RecordedLicence => ({
  _tag: 'Recorded',
  licence: {
    licenceNumber: view.licenceNumber,
    holder: view.holder,
    classes: view.classes,
    validFrom: view.validFrom,
    validUntil: view.validUntil,
    authority: view.authority,
    statuses: view.statuses,
    photoOnFile: view.photoOnFile,
  },
  application:
    view.applicationId === null || (view.state !== 'pending-review' && view.state !== 'awaiting-photo')
      ? null
      : {
          applicationId: view.applicationId,
          stage: view.state,
          appliedAt: view.appliedAt ?? '',
          reviewDueAt: view.reviewDueAt,
          calendar: unknownCalendar,
        },
  eLicence:
    view.state === 'issued' && view.eLicenceId !== null
      ? { eLicenceId: view.eLicenceId, applicationId: view.eLicenceId, issuedAt: view.issuedAt ?? '' }
      : null,
  issuedCount: view.issuedCount,
  fileRejected: false,
  acceptedPhoto: null,
  lastInvalidation: view.lastInvalidation,
  // The view's last update is the stream's last event, whose `at` evolve records here anyway.
  lastAt: view.updatedAt,
})

const stateOf = (licence: RecordedLicence): ELicenceState => {
  if (licence.application !== null) return licence.application.stage
  if (licence.eLicence !== null) return 'issued'
  return licence.lastInvalidation === null ? 'none' : 'invalidated'
}

/** What only the view keeps: an application's photo rejections, listed from its application on. */
const photoRejectionsAfter = (
  view: ELicenceView | null,
  event: DecodedStoredEvent,
): ReadonlyArray<PhotoRejectionRecord> => {
  if (view === null || event.type === 'ELicenceApplied') return []
  if (event.type !== 'PhotoRejected' || view.applicationId === null) return view.photoRejections
  const { applicationId, reasons, photoId, source, rejectedAt } = event.data
  return [...view.photoRejections, { applicationId, reasons, photoId, source, at: rejectedAt }]
}

/** The view of a domain state after `event`, given the view before it (null: nothing recorded). */
const viewOf = (
  licence: RecordedLicence,
  before: ELicenceView | null,
  event: DecodedStoredEvent,
): ELicenceView => {
  const { application, eLicence } = licence
  return {
    streamId: event.streamId,
    licenceNumber: licence.licence.licenceNumber,
    holder: licence.licence.holder,
    classes: licence.licence.classes,
    validFrom: licence.licence.validFrom,
    validUntil: licence.licence.validUntil,
    authority: licence.licence.authority,
    statuses: licence.licence.statuses,
    photoOnFile: licence.licence.photoOnFile,
    state: stateOf(licence),
    eLicenceId: eLicence?.eLicenceId ?? before?.eLicenceId ?? null,
    issuedAt: eLicence?.issuedAt ?? before?.issuedAt ?? null,
    issuedCount: licence.issuedCount,
    applicationId: application?.applicationId ?? null,
    appliedAt: application?.appliedAt ?? null,
    reviewDueAt: application?.reviewDueAt ?? null,
    photoRejections: photoRejectionsAfter(before, event),
    lastInvalidation: licence.lastInvalidation,
    version: event.version,
    position: event.position,
    hash: event.metadata.hash,
    updatedAt: event.metadata.at,
  }
}

export const evolveELicenceView = (
  state: ELicenceViewState,
  event: DecodedStoredEvent,
): ELicenceViewState => {
  const licence = evolve(state === null ? initialState : licenceStateOf(state), event)
  return licence._tag === 'Unrecorded' ? null : viewOf(licence, state, event)
}

/** The e-licence view of one licence stream; fold it over that stream's decoded events. */
export const eLicenceView: View<ELicenceViewState, DecodedStoredEvent> = {
  initialState: null,
  evolve: evolveELicenceView,
}
