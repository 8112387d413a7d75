/** `decide` for the photo's commands: the reviewer's rejection and the holder's submission. */

import * as E from 'fp-ts/lib/Either.js'
import type { WorkingDayCalendar } from '../calendar/calendar.js'
import { dayOfLocalDate, localDayOf } from '../calendar/local-time.js'
import { reviewDueAt } from '../calendar/review-due.js'
import type { RejectPhoto, SubmitPhoto } from './commands.js'
import { type Decision, openApplication, recorded, refuse } from './decision-checks.js'
import { subtractMonths } from './months.js'
import type { LicenceState } from './state.js'
import type { PhotoDefect } from './values.js'
import { sortDefects } from './values.js'

export const decideRejectPhoto = (command: RejectPhoto, state: LicenceState): Decision => {
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

export const decideSubmitPhoto = (
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
