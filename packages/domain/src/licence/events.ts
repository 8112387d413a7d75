/**
 * The events of DESIGN §3 as io-ts codecs. Event data is plain JSON (instants are ISO-8601 strings),
 * so `encode` is the identity and `decode ∘ encode` is too; stored events are decoded with
 * `decodeEvent` on every read.
 *
 * @example
 * decodeEvent({ type: 'ApplicationWithdrawn', data: { applicationId: 'app-1', withdrawnAt: '2026-10-01T01:00:00.000Z' } })
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { Photo, validationIssues } from './commands.js'
import { decodeUnchanged, exactType, oneOf } from './rule-codecs.js'
import {
  Authority,
  CalendarRecord,
  Changes,
  Holder,
  Id,
  Instant,
  LicenceClasses,
  LicenceNumber,
  LicenceStatuses,
  LocalDate,
  RejectionReasons,
  ValidUntil,
} from './values.js'

const event = <T extends string, D extends t.Props>(type: T, data: D) =>
  exactType({ type: t.literal(type), data: exactType(data) }, type)

export const LicenceRecorded = event('LicenceRecorded', {
  licenceNumber: LicenceNumber,
  holder: Holder,
  classes: LicenceClasses,
  validFrom: LocalDate,
  validUntil: ValidUntil,
  authority: Authority,
  statuses: LicenceStatuses,
  photoOnFile: t.boolean,
})

export const ELicenceApplied = event('ELicenceApplied', {
  applicationId: Id,
  declaredValidFrom: LocalDate,
  appliedAt: Instant,
  reviewDueAt: Instant,
  calendar: CalendarRecord,
})

export const photoRejectionSources = ['review', 'reviewer', 'submission'] as const
export const PhotoRejected = event('PhotoRejected', {
  applicationId: Id,
  reasons: RejectionReasons,
  /** The submitted photo that was rejected; null for the photo on file. */
  photoId: t.union([Id, t.null]),
  source: oneOf(photoRejectionSources),
  rejectedAt: Instant,
})

export const PhotoSubmitted = event('PhotoSubmitted', {
  applicationId: Id,
  photo: Photo,
  submittedAt: Instant,
  reviewDueAt: Instant,
  calendar: CalendarRecord,
})

export const ELicenceIssued = event('ELicenceIssued', {
  applicationId: Id,
  eLicenceId: Id,
  classes: LicenceClasses,
  validFrom: LocalDate,
  validUntil: ValidUntil,
  authority: Authority,
  issuedAt: Instant,
})

export const ApplicationWithdrawn = event('ApplicationWithdrawn', { applicationId: Id, withdrawnAt: Instant })

export const LicenceRenewed = event('LicenceRenewed', {
  classes: LicenceClasses,
  validFrom: LocalDate,
  validUntil: ValidUntil,
  authority: Authority,
  changes: Changes,
  renewedAt: Instant,
})

export const invalidationReasons = ['renewal', 'licence-revoked'] as const
export type InvalidationReason = (typeof invalidationReasons)[number]
export const ELicenceInvalidated = event('ELicenceInvalidated', {
  eLicenceId: Id,
  reason: oneOf(invalidationReasons),
  changes: Changes,
  invalidatedAt: Instant,
})

export const voidReasons = ['licence-renewed', 'licence-status', 'licence-expired'] as const
export type VoidReason = (typeof voidReasons)[number]
export const ApplicationVoided = event('ApplicationVoided', {
  applicationId: Id,
  reason: oneOf(voidReasons),
  voidedAt: Instant,
})

export const LicenceStatusChanged = event('LicenceStatusChanged', {
  statuses: LicenceStatuses,
  previous: LicenceStatuses,
  changedAt: Instant,
})

export const eventCodecs = {
  LicenceRecorded,
  ELicenceApplied,
  PhotoRejected,
  PhotoSubmitted,
  ELicenceIssued,
  ApplicationWithdrawn,
  LicenceRenewed,
  ELicenceInvalidated,
  ApplicationVoided,
  LicenceStatusChanged,
} as const

export type EventType = keyof typeof eventCodecs
export const eventTypes = Object.keys(eventCodecs) as ReadonlyArray<EventType>

export type LicenceRecorded = t.TypeOf<typeof LicenceRecorded>
export type ELicenceApplied = t.TypeOf<typeof ELicenceApplied>
export type PhotoRejected = t.TypeOf<typeof PhotoRejected>
export type PhotoSubmitted = t.TypeOf<typeof PhotoSubmitted>
export type ELicenceIssued = t.TypeOf<typeof ELicenceIssued>
export type ApplicationWithdrawn = t.TypeOf<typeof ApplicationWithdrawn>
export type LicenceRenewed = t.TypeOf<typeof LicenceRenewed>
export type ELicenceInvalidated = t.TypeOf<typeof ELicenceInvalidated>
export type ApplicationVoided = t.TypeOf<typeof ApplicationVoided>
export type LicenceStatusChanged = t.TypeOf<typeof LicenceStatusChanged>

export type LicenceEvent =
  | LicenceRecorded
  | ELicenceApplied
  | PhotoRejected
  | PhotoSubmitted
  | ELicenceIssued
  | ApplicationWithdrawn
  | LicenceRenewed
  | ELicenceInvalidated
  | ApplicationVoided
  | LicenceStatusChanged

export const LicenceEvent = t.union(
  [
    LicenceRecorded,
    ELicenceApplied,
    PhotoRejected,
    PhotoSubmitted,
    ELicenceIssued,
    ApplicationWithdrawn,
    LicenceRenewed,
    ELicenceInvalidated,
    ApplicationVoided,
    LicenceStatusChanged,
  ],
  'LicenceEvent',
)

export const isEventType = (value: unknown): value is EventType =>
  typeof value === 'string' && Object.hasOwn(eventCodecs, value)

/** Decodes `{ type, data }` with the codec its type names; the error says which paths failed. */
export const decodeEvent = (input: {
  readonly type: unknown
  readonly data: unknown
}): E.Either<string, LicenceEvent> => {
  if (!isEventType(input.type)) return E.left(`unknown event type ${JSON.stringify(input.type)}`)
  const codec: t.Type<LicenceEvent, unknown, unknown> = eventCodecs[input.type] as never
  return pipe(
    decodeUnchanged(codec, { type: input.type, data: input.data }),
    E.mapLeft((errors) =>
      validationIssues(errors)
        .map((issue) => `${issue.path}: ${issue.message}`)
        .join('; '),
    ),
  )
}

export const encodeEvent = (value: LicenceEvent): { readonly type: string; readonly data: unknown } =>
  LicenceEvent.encode(value)
