/** `decide` for the application's own commands: apply, review, withdraw (DESIGN §3, rule 1 onwards). */

import * as E from 'fp-ts/lib/Either.js'
import type { WorkingDayCalendar } from '../calendar/calendar.js'
import { reviewDueAt } from '../calendar/review-due.js'
import type { ApplyForELicence, ReviewApplication, WithdrawApplication } from './commands.js'
import { type Decision, openApplication, recorded, refuse } from './decision-checks.js'
import { eLicenceIdFor } from './e-licence-id.js'
import { isEligibleToApply, isExpiredAt } from './rules.js'
import type { LicenceState } from './state.js'

export const decideApply = (
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

export const decideReview = (command: ReviewApplication, state: LicenceState): Decision => {
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

export const decideWithdraw = (command: WithdrawApplication, state: LicenceState): Decision => {
  const { data, metadata } = command
  const found = recorded(state, data.licenceNumber)
  if (E.isLeft(found)) return found
  const application = openApplication(found.right, data.applicationId)
  if (E.isLeft(application)) return application
  return E.right([
    { type: 'ApplicationWithdrawn', data: { applicationId: data.applicationId, withdrawnAt: metadata.at } },
  ])
}
