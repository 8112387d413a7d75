/**
 * `decide`: the rules of DESIGN §3 as a pure function of a decoded command and the folded state.
 * No clock (now is `command.metadata.at`), no random, no I/O; every refusal is a `LicenceError` in
 * `Left`, so `decide` is total (rule 8). Checks run in the order DESIGN §3 fixes: `forbidden`,
 * `licence-not-found`, then rule 1's conditions in their listed order, then the calendar, then
 * `instant-before-history` (rule 10), which so only refuses a command that would otherwise apply.
 * Who may act (`authorise`: the role, the licence, its holder) is one function, so the handler can
 * ask it first of a command whose id it has seen: a sender who may not act on a licence learns
 * that, never that an id was used there.
 *
 * @example
 * const { decide, evolve, initialState } = licenceDecider({ calendar: chinaMainlandCalendar() })
 * decide(command, events.reduce(evolve, initialState)) // Either<LicenceError, ReadonlyArray<LicenceEvent>>
 */

import * as E from 'fp-ts/lib/Either.js'
import { absurd } from 'fp-ts/lib/function.js'
import type { WorkingDayCalendar } from '../calendar/calendar.js'
import { dayOfLocalDate, localDayOf } from '../calendar/local-time.js'
import { reviewDueAt } from '../calendar/review-due.js'
import type {
  ApplyForELicence,
  ChangeLicenceStatus,
  LicenceCommand,
  RecordLicence,
  RejectPhoto,
  RenewLicence,
  ReviewApplication,
  SubmitPhoto,
  WithdrawApplication,
} from './commands.js'
import { eLicenceIdFor } from './e-licence-id.js'
import { type LicenceError, licenceError } from './errors.js'
import type { LicenceEvent } from './events.js'
import { subtractMonths } from './months.js'
import { commandRoles } from './roles.js'
import { changesBetween, isEligibleToApply, isExpiredAt, isRevoking } from './rules.js'
import type { LicenceState, OpenApplication, RecordedLicence } from './state.js'
import type { PhotoDefect } from './values.js'
import { sortDefects } from './values.js'

export type Decision = E.Either<LicenceError, ReadonlyArray<LicenceEvent>>

const refuse = (code: LicenceError['code'], message: string): Decision => E.left(licenceError(code, message))

const recorded = (state: LicenceState, licenceNumber: string): E.Either<LicenceError, RecordedLicence> =>
  state._tag === 'Recorded'
    ? E.right(state)
    : E.left(licenceError('licence-not-found', `no licence ${licenceNumber} is recorded`))

const openApplication = (
  state: RecordedLicence,
  applicationId: string,
): E.Either<LicenceError, OpenApplication> => {
  if (state.application === null) {
    return E.left(
      licenceError('no-open-application', `licence ${state.licence.licenceNumber} has no open application`),
    )
  }
  if (state.application.applicationId !== applicationId) {
    return E.left(
      licenceError(
        'application-mismatch',
        `the open application is ${state.application.applicationId}, not ${applicationId}`,
      ),
    )
  }
  return E.right(state.application)
}

const notHolder = (state: RecordedLicence, actorId: string): LicenceError | undefined =>
  state.licence.holder.accountId === actorId
    ? undefined
    : licenceError(
        'not-licence-holder',
        `account ${actorId} does not hold licence ${state.licence.licenceNumber}`,
      )

const decideRecord = (command: RecordLicence, state: LicenceState): Decision =>
  state._tag === 'Recorded'
    ? refuse('licence-already-recorded', `licence ${command.data.licenceNumber} is already recorded`)
    : E.right([{ type: 'LicenceRecorded', data: command.data }])

const decideApply = (
  command: ApplyForELicence,
  state: LicenceState,
  calendar: WorkingDayCalendar,
): Decision => {
  const { data, metadata } = command
  const found = recorded(state, data.licenceNumber)
  if (E.isLeft(found)) return found
  const licence = found.right
  if (!data.faceCheck.passed) return refuse('face-check-failed', 'the face check did not pass')
  if (data.declaredValidFrom !== licence.licence.validFrom) {
    return refuse(
      'validity-start-mismatch',
      `the declared validity start ${data.declaredValidFrom} is not the licence's`,
    )
  }
  if (!isEligibleToApply(licence.licence.statuses)) {
    return refuse(
      'licence-not-eligible',
      `licence statuses ${licence.licence.statuses.join('')} do not allow an application`,
    )
  }
  const atMs = Date.parse(metadata.at)
  if (isExpiredAt(licence.licence.validUntil, atMs)) {
    return refuse('licence-expired', `the licence expired after ${licence.licence.validUntil}`)
  }
  if (licence.application !== null) {
    return refuse('application-open', `application ${licence.application.applicationId} is still open`)
  }
  if (licence.eLicence !== null) {
    return refuse('e-licence-active', `e-licence ${licence.eLicence.eLicenceId} is active`)
  }
  const due = reviewDueAt(calendar, atMs)
  if (E.isLeft(due)) return due
  return E.right([
    {
      type: 'ELicenceApplied',
      data: {
        applicationId: data.applicationId,
        declaredValidFrom: data.declaredValidFrom,
        appliedAt: metadata.at,
        reviewDueAt: due.right.reviewDueAt,
        calendar: due.right.calendar,
      },
    },
  ])
}

const decideReview = (command: ReviewApplication, state: LicenceState): Decision => {
  const { data, metadata } = command
  const found = recorded(state, data.licenceNumber)
  if (E.isLeft(found)) return found
  const licence = found.right
  const application = openApplication(licence, data.applicationId)
  if (E.isLeft(application)) return application
  if (application.right.reviewDueAt === null) {
    return refuse('application-not-in-review', `application ${data.applicationId} awaits a photo`)
  }
  const atMs = Date.parse(metadata.at)
  if (atMs < Date.parse(application.right.reviewDueAt)) {
    return refuse(
      'review-not-due',
      `the review of ${data.applicationId} is due at ${application.right.reviewDueAt}`,
    )
  }
  const voided = (reason: 'licence-status' | 'licence-expired'): Decision =>
    E.right([
      {
        type: 'ApplicationVoided',
        data: { applicationId: data.applicationId, reason, voidedAt: metadata.at },
      },
    ])
  if (!isEligibleToApply(licence.licence.statuses)) return voided('licence-status')
  if (isExpiredAt(licence.licence.validUntil, atMs)) return voided('licence-expired')
  const photoUsable = licence.acceptedPhoto !== null || (licence.licence.photoOnFile && !licence.fileRejected)
  if (!photoUsable) {
    return E.right([
      {
        type: 'PhotoRejected',
        data: {
          applicationId: data.applicationId,
          reasons: ['no-photo-on-file'],
          photoId: null,
          source: 'review',
          rejectedAt: metadata.at,
        },
      },
    ])
  }
  const { classes, validFrom, validUntil, authority, licenceNumber } = licence.licence
  return E.right([
    {
      type: 'ELicenceIssued',
      data: {
        applicationId: data.applicationId,
        eLicenceId: eLicenceIdFor(licenceNumber, licence.issuedCount),
        classes,
        validFrom,
        validUntil,
        authority,
        issuedAt: metadata.at,
      },
    },
  ])
}

const decideRejectPhoto = (command: RejectPhoto, state: LicenceState): Decision => {
  const { data, metadata } = command
  const found = recorded(state, data.licenceNumber)
  if (E.isLeft(found)) return found
  const application = openApplication(found.right, data.applicationId)
  if (E.isLeft(application)) return application
  if (application.right.stage !== 'pending-review') {
    return refuse(
      'application-not-in-review',
      `application ${data.applicationId} awaits a photo, not a review`,
    )
  }
  return E.right([
    {
      type: 'PhotoRejected',
      data: {
        applicationId: data.applicationId,
        reasons: data.reasons,
        photoId: found.right.acceptedPhoto?.id ?? null,
        source: 'reviewer',
        rejectedAt: metadata.at,
      },
    },
  ])
}

const decideSubmitPhoto = (
  command: SubmitPhoto,
  state: LicenceState,
  calendar: WorkingDayCalendar,
): Decision => {
  const { data, metadata } = command
  const found = recorded(state, data.licenceNumber)
  if (E.isLeft(found)) return found
  const application = openApplication(found.right, data.applicationId)
  if (E.isLeft(application)) return application
  if (application.right.stage !== 'awaiting-photo') {
    return refuse('photo-not-requested', `application ${data.applicationId} is not awaiting a photo`)
  }
  const atMs = Date.parse(metadata.at)
  const today = localDayOf(atMs)
  const captured = dayOfLocalDate(data.photo.capturedOn)
  if (captured > today) {
    return refuse('photo-date-in-future', `the photo was captured on ${data.photo.capturedOn}, after today`)
  }
  const reasons: PhotoDefect[] = [...data.photo.defects]
  if (captured < subtractMonths(today, 6)) reasons.push('older-than-6-months')
  if (reasons.length > 0) {
    return E.right([
      {
        type: 'PhotoRejected',
        data: {
          applicationId: data.applicationId,
          reasons: sortDefects(reasons),
          photoId: data.photo.id,
          source: 'submission',
          rejectedAt: metadata.at,
        },
      },
    ])
  }
  const due = reviewDueAt(calendar, atMs)
  if (E.isLeft(due)) return due
  return E.right([
    {
      type: 'PhotoSubmitted',
      data: {
        applicationId: data.applicationId,
        photo: data.photo,
        submittedAt: metadata.at,
        reviewDueAt: due.right.reviewDueAt,
        calendar: due.right.calendar,
      },
    },
  ])
}

const decideWithdraw = (command: WithdrawApplication, state: LicenceState): Decision => {
  const { data, metadata } = command
  const found = recorded(state, data.licenceNumber)
  if (E.isLeft(found)) return found
  const application = openApplication(found.right, data.applicationId)
  if (E.isLeft(application)) return application
  return E.right([
    { type: 'ApplicationWithdrawn', data: { applicationId: data.applicationId, withdrawnAt: metadata.at } },
  ])
}

const decideRenew = (command: RenewLicence, state: LicenceState): Decision => {
  const { data, metadata } = command
  const found = recorded(state, data.licenceNumber)
  if (E.isLeft(found)) return found
  const licence = found.right
  const changes = changesBetween(licence.licence, data)
  const events: LicenceEvent[] = [
    {
      type: 'LicenceRenewed',
      data: {
        classes: data.classes,
        validFrom: data.validFrom,
        validUntil: data.validUntil,
        authority: data.authority,
        changes,
        renewedAt: metadata.at,
      },
    },
  ]
  if (changes.length > 0 && licence.eLicence !== null) {
    events.push({
      type: 'ELicenceInvalidated',
      data: {
        eLicenceId: licence.eLicence.eLicenceId,
        reason: 'renewal',
        changes,
        invalidatedAt: metadata.at,
      },
    })
  }
  if (changes.length > 0 && licence.application !== null) {
    events.push({
      type: 'ApplicationVoided',
      data: {
        applicationId: licence.application.applicationId,
        reason: 'licence-renewed',
        voidedAt: metadata.at,
      },
    })
  }
  return E.right(events)
}

const decideChangeStatus = (command: ChangeLicenceStatus, state: LicenceState): Decision => {
  const { data, metadata } = command
  const found = recorded(state, data.licenceNumber)
  if (E.isLeft(found)) return found
  const licence = found.right
  const previous = licence.licence.statuses
  if (
    previous.length === data.statuses.length &&
    previous.every((status, index) => status === data.statuses[index])
  ) {
    return refuse(
      'statuses-unchanged',
      `licence ${data.licenceNumber} already has statuses ${previous.join('')}`,
    )
  }
  const events: LicenceEvent[] = [
    { type: 'LicenceStatusChanged', data: { statuses: data.statuses, previous, changedAt: metadata.at } },
  ]
  if (licence.eLicence !== null && isRevoking(data.statuses)) {
    events.push({
      type: 'ELicenceInvalidated',
      data: {
        eLicenceId: licence.eLicence.eLicenceId,
        reason: 'licence-revoked',
        changes: [],
        invalidatedAt: metadata.at,
      },
    })
  }
  if (licence.application !== null && !isEligibleToApply(data.statuses)) {
    events.push({
      type: 'ApplicationVoided',
      data: {
        applicationId: licence.application.applicationId,
        reason: 'licence-status',
        voidedAt: metadata.at,
      },
    })
  }
  return E.right(events)
}

/**
 * Whether the command's actor may act on this licence at all: the role (`forbidden`), then a licence
 * to act on (`licence-not-found`, except for recording one), then, for the holder's commands, the
 * holder (`not-licence-holder`). `undefined` when it may; the first refusal of `decide` otherwise.
 */
export const authorise = (command: LicenceCommand, state: LicenceState): LicenceError | undefined => {
  const roles = commandRoles[command.type]
  if (roles === undefined)
    return licenceError('invalid-command', `unknown command type ${String(command.type)}`)
  const { actor } = command.metadata
  if (!roles.includes(actor.role)) return licenceError('forbidden', `a ${actor.role} may not ${command.type}`)
  if (command.type === 'RecordLicence') return undefined
  if (state._tag !== 'Recorded') {
    return licenceError('licence-not-found', `no licence ${command.data.licenceNumber} is recorded`)
  }
  return roles.length === 1 && roles[0] === 'holder' ? notHolder(state, actor.id) : undefined
}

/** Rule 10: a command stated earlier than the stream's last event would rewrite its past. */
const beforeHistory = (command: LicenceCommand, state: LicenceState): LicenceError | undefined =>
  state._tag === 'Recorded' &&
  state.lastAt !== null &&
  Date.parse(command.metadata.at) < Date.parse(state.lastAt)
    ? licenceError(
        'instant-before-history',
        `the command is stated at ${command.metadata.at}, before the licence's last event at ${state.lastAt}`,
      )
    : undefined

const decideCommand = (
  command: LicenceCommand,
  state: LicenceState,
  calendar: WorkingDayCalendar,
): Decision => {
  switch (command.type) {
    case 'RecordLicence':
      return decideRecord(command, state)
    case 'ApplyForELicence':
      return decideApply(command, state, calendar)
    case 'ReviewApplication':
      return decideReview(command, state)
    case 'RejectPhoto':
      return decideRejectPhoto(command, state)
    case 'SubmitPhoto':
      return decideSubmitPhoto(command, state, calendar)
    case 'WithdrawApplication':
      return decideWithdraw(command, state)
    case 'RenewLicence':
      return decideRenew(command, state)
    case 'ChangeLicenceStatus':
      return decideChangeStatus(command, state)
    default:
      return absurd(command)
  }
}

/** `decide` for one calendar. */
export const decideWith =
  (calendar: WorkingDayCalendar) =>
  (command: LicenceCommand, state: LicenceState): Decision => {
    const refused = authorise(command, state)
    if (refused !== undefined) return E.left(refused)
    const decision = decideCommand(command, state, calendar)
    if (E.isLeft(decision)) return decision
    const rewritesHistory = beforeHistory(command, state)
    return rewritesHistory === undefined ? decision : E.left(rewritesHistory)
  }
