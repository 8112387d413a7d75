/**
 * The e-licence view of DESIGN §5: what one licence and its e-licence look like after its stream's
 * events, plus where the view stands in the stream (version, global position, chain hash) so an
 * auditor can prove it is complete up to there. It follows the domain's `evolve`: an event that does
 * not fit changes nothing but the position it reached, so folding never fails.
 *
 * @example
 * const view = foldView(eLicenceView, decodedEvents) // ELicenceView | null (null: nothing recorded)
 * view?.state // 'issued'
 */
import {
  type Authority,
  type ChangeKind,
  type DecodedStoredEvent,
  evolve,
  type Holder,
  type InvalidationReason,
  initialState,
  type LicenceClass,
  type LicenceStatus,
  type PhotoDefect,
  type ValidUntil,
} from '@elicence/domain'
import { absurd } from 'fp-ts/lib/function.js'
import type { View } from './view.js'

export const eLicenceStates = ['none', 'pending-review', 'awaiting-photo', 'issued', 'invalidated'] as const
export type ELicenceState = (typeof eLicenceStates)[number]

export interface PhotoRejectionRecord {
  readonly applicationId: string
  readonly reasons: ReadonlyArray<PhotoDefect>
  /** The rejected submission, or null for the photo on file. */
  readonly photoId: string | null
  readonly source: 'review' | 'reviewer' | 'submission'
  readonly at: string
}

export interface InvalidationRecord {
  readonly eLicenceId: string
  readonly reason: InvalidationReason
  readonly changes: ReadonlyArray<ChangeKind>
  readonly at: string
}

export interface ELicenceView {
  readonly streamId: string
  readonly licenceNumber: string
  readonly holder: Holder
  readonly classes: ReadonlyArray<LicenceClass>
  readonly validFrom: string
  readonly validUntil: ValidUntil
  readonly authority: Authority
  readonly statuses: ReadonlyArray<LicenceStatus>
  readonly photoOnFile: boolean
  readonly state: ELicenceState
  /** The active e-licence, else the last one issued (invalidated since), else null. */
  readonly eLicenceId: string | null
  readonly issuedAt: string | null
  readonly issuedCount: number
  /** The open application, else null. */
  readonly applicationId: string | null
  readonly appliedAt: string | null
  /** Null while no application is open and while a photo is awaited. */
  readonly reviewDueAt: string | null
  /** Rejections of the open (or last) application's photos, oldest first. */
  readonly photoRejections: ReadonlyArray<PhotoRejectionRecord>
  readonly lastInvalidation: InvalidationRecord | null
  /** Stream version of the last event applied. */
  readonly version: number
  /** Global position of the last event applied. */
  readonly position: number
  /** Chain hash of the last event applied: the stream is proven complete up to `version` by it. */
  readonly hash: string
  /** Business time (`metadata.at`) of the last event applied. */
  readonly updatedAt: string
}

/** Null until the licence is recorded. */
export type ELicenceViewState = ELicenceView | null

const withoutApplication = (view: ELicenceView): ELicenceView => ({
  ...view,
  state: view.state === 'issued' ? 'issued' : view.lastInvalidation === null ? 'none' : 'invalidated',
  applicationId: null,
  appliedAt: null,
  reviewDueAt: null,
})

const evolveRecorded = (view: ELicenceView, event: DecodedStoredEvent): ELicenceView => {
  switch (event.type) {
    case 'LicenceRecorded':
      return view
    case 'ELicenceApplied':
      return {
        ...view,
        state: 'pending-review',
        applicationId: event.data.applicationId,
        appliedAt: event.data.appliedAt,
        reviewDueAt: event.data.reviewDueAt,
        photoRejections: [],
      }
    case 'PhotoRejected':
      if (view.applicationId === null) return view
      return {
        ...view,
        state: 'awaiting-photo',
        reviewDueAt: null,
        photoRejections: [
          ...view.photoRejections,
          {
            applicationId: event.data.applicationId,
            reasons: event.data.reasons,
            photoId: event.data.photoId,
            source: event.data.source,
            at: event.data.rejectedAt,
          },
        ],
      }
    case 'PhotoSubmitted':
      if (view.applicationId === null) return view
      return { ...view, state: 'pending-review', reviewDueAt: event.data.reviewDueAt }
    case 'ELicenceIssued':
      return {
        ...view,
        state: 'issued',
        eLicenceId: event.data.eLicenceId,
        issuedAt: event.data.issuedAt,
        issuedCount: view.issuedCount + 1,
        applicationId: null,
        appliedAt: null,
        reviewDueAt: null,
      }
    case 'ApplicationWithdrawn':
    case 'ApplicationVoided':
      return withoutApplication(view)
    case 'LicenceRenewed':
      return {
        ...view,
        classes: event.data.classes,
        validFrom: event.data.validFrom,
        validUntil: event.data.validUntil,
        authority: event.data.authority,
      }
    case 'ELicenceInvalidated':
      return {
        ...view,
        state: view.applicationId === null ? 'invalidated' : view.state,
        lastInvalidation: {
          eLicenceId: event.data.eLicenceId,
          reason: event.data.reason,
          changes: event.data.changes,
          at: event.data.invalidatedAt,
        },
      }
    case 'LicenceStatusChanged':
      return { ...view, statuses: event.data.statuses }
    default:
      return absurd(event)
  }
}

/** The licence's terms as recorded are the domain's own: its `evolve` from nothing gives them. */
const recordedView = (event: DecodedStoredEvent): ELicenceViewState => {
  const recorded = evolve(initialState, event)
  if (recorded._tag === 'Unrecorded') return null
  return {
    streamId: event.streamId,
    ...recorded.licence,
    state: 'none',
    eLicenceId: null,
    issuedAt: null,
    issuedCount: 0,
    applicationId: null,
    appliedAt: null,
    reviewDueAt: null,
    photoRejections: [],
    lastInvalidation: null,
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
  if (state === null) return recordedView(event)
  const next = evolveRecorded(state, event)
  // `next` is always a fresh object or `state` itself; only the latter must not be mutated.
  const position = {
    version: event.version,
    position: event.position,
    hash: event.metadata.hash,
    updatedAt: event.metadata.at,
  }
  return next === state ? { ...state, ...position } : Object.assign(next, position)
}

/** The e-licence view of one licence stream; fold it over that stream's decoded events. */
export const eLicenceView: View<ELicenceViewState, DecodedStoredEvent> = {
  initialState: null,
  evolve: evolveELicenceView,
}
