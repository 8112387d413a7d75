// The seed's story as given/when/then examples: apply in 交管12123, wait one working day, take a
// photo when none is on file, see the e-licence voided by a renewal that changes it.
import { describe, it } from 'vitest'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import { deciderSpecification } from '../testing/index.js'
import { licenceDecider } from './decider.js'

const spec = deciderSpecification(licenceDecider({ calendar: chinaMainlandCalendar() }))

const licenceNumber = '11010519491231002X'
const cantonAuthority = { code: '粤A', name: '广东省广州市公安局交通警察支队' }
const terms = {
  classes: ['C1'],
  validFrom: '2020-03-15',
  validUntil: '2026-03-15',
  authority: cantonAuthority,
}
let sequence = 0
const metadata = (role: string, id: string, at: string) => ({
  commandId: `00000000-0000-4000-8000-${(++sequence).toString(16).padStart(12, '0')}`,
  at,
  actor: { role, id },
})
const asHolder = (at: string) => metadata('holder', 'acct-zhang', at)
const asSystem = (at: string) => metadata('system', 'review-job', at)
const asRegistry = (at: string) => metadata('registry', 'gz-registry', at)

const recorded = (overrides: Record<string, unknown> = {}) => ({
  type: 'LicenceRecorded',
  data: {
    licenceNumber,
    holder: { accountId: 'acct-zhang', name: '张三' },
    ...terms,
    validUntil: '2032-03-15',
    statuses: ['A'],
    photoOnFile: true,
    ...overrides,
  },
})
const calendarRecord = { id: 'cn-state-council', version: 'chinese-days@1.5.7', fallback: false }
const applied = (at: string, reviewDueAt: string) => ({
  type: 'ELicenceApplied',
  data: {
    applicationId: 'app-1',
    declaredValidFrom: '2020-03-15',
    appliedAt: at,
    reviewDueAt,
    calendar: calendarRecord,
  },
})
const apply = (at: string, data: Record<string, unknown> = {}) => ({
  type: 'ApplyForELicence',
  data: {
    licenceNumber,
    applicationId: 'app-1',
    declaredValidFrom: '2020-03-15',
    faceCheck: { passed: true },
    ...data,
  },
  metadata: asHolder(at),
})
const review = (at: string) => ({
  type: 'ReviewApplication',
  data: { licenceNumber, applicationId: 'app-1' },
  metadata: asSystem(at),
})
const issued = (at: string, n = 1, overrides: Record<string, unknown> = {}) => ({
  type: 'ELicenceIssued',
  data: {
    applicationId: 'app-1',
    eLicenceId: `EL-${licenceNumber}-${n}`,
    ...terms,
    validUntil: '2032-03-15',
    authority: cantonAuthority,
    issuedAt: at,
    ...overrides,
  },
})
const submitPhoto = (at: string, capturedOn: string, defects: string[] = []) => ({
  type: 'SubmitPhoto',
  data: { licenceNumber, applicationId: 'app-1', photo: { id: 'photo-1', capturedOn, defects } },
  metadata: asHolder(at),
})
const renew = (at: string, data: Record<string, unknown>) => ({
  type: 'RenewLicence',
  data: { licenceNumber, ...terms, validUntil: '2032-03-15', ...data },
  metadata: asRegistry(at),
})

describe('applying for the e-licence', () => {
  it('given a recorded licence, when the holder applies with a passed face check, then the review is due one working day later', () => {
    spec
      .given([recorded()])
      .when(apply('2026-11-26T09:30:00+08:00'))
      .thenEmits([applied('2026-11-26T09:30:00+08:00', '2026-11-27T01:30:00.000Z')] as never)
  })
  it('given an application on the eve of National Day, then the review is due after the holiday week', () => {
    spec
      .given([recorded()])
      .when(apply('2026-09-30T10:00:00+08:00'))
      .thenEmits([applied('2026-09-30T10:00:00+08:00', '2026-10-08T02:00:00.000Z')] as never)
  })
  it('given an application on a Saturday, then it counts from Monday 00:00 and is due Tuesday 00:00', () => {
    spec
      .given([recorded()])
      .when(apply('2026-11-28T15:00:00+08:00'))
      .thenEmits([applied('2026-11-28T15:00:00+08:00', '2026-11-30T16:00:00.000Z')] as never)
  })
  it('given an application on a Friday evening, then the Saturday make-up working day (调休) is the review day', () => {
    spec
      .given([recorded()])
      .when(apply('2026-10-09T18:00:00+08:00'))
      .thenEmits([applied('2026-10-09T18:00:00+08:00', '2026-10-10T10:00:00.000Z')] as never)
  })
  it('given an application at 17:00 UTC on 30 September, already 1 October in Shanghai, then the holiday counts', () => {
    spec
      .given([recorded()])
      .when(apply('2026-09-30T17:00:00Z'))
      .thenEmits([applied('2026-09-30T17:00:00Z', '2026-10-08T16:00:00.000Z')] as never)
  })
  it('when the declared validity start is not the licence’s, then it is refused', () => {
    spec
      .given([recorded()])
      .when(apply('2026-11-26T09:30:00+08:00', { declaredValidFrom: '2020-03-16' }))
      .thenFails('validity-start-mismatch')
  })
  it('when the face check fails, then it is refused before the date is compared', () => {
    spec
      .given([recorded()])
      .when(
        apply('2026-11-26T09:30:00+08:00', { faceCheck: { passed: false }, declaredValidFrom: '2020-03-16' }),
      )
      .thenFails('face-check-failed')
  })
  it('when someone else’s account applies, then it is refused', () => {
    spec
      .given([recorded()])
      .when({
        ...apply('2026-11-26T09:30:00+08:00'),
        metadata: metadata('holder', 'acct-li', '2026-11-26T09:30:00+08:00'),
      })
      .thenFails('not-licence-holder')
  })
  it('given a licence marked 逾期未换证 (M), when the holder applies, then it is not eligible', () => {
    spec
      .given([recorded({ statuses: ['M'] })])
      .when(apply('2026-11-26T09:30:00+08:00'))
      .thenFails('licence-not-eligible')
  })
  it('given an expired licence, when the holder applies the day after validUntil (Shanghai time), then it is refused', () => {
    spec
      .given([recorded({ validUntil: '2026-11-25' })])
      .when(apply('2026-11-25T16:00:00Z'))
      .thenFails('licence-expired')
  })
  it('given no licence, when anyone applies, then the licence is not found', () => {
    spec.given([]).when(apply('2026-11-26T09:30:00+08:00')).thenFails('licence-not-found')
  })
  it('when the application needs a day the calendar does not have, then it is refused, not guessed', () => {
    spec.given([recorded()]).when(apply('2026-12-31T10:00:00+08:00')).thenFails('calendar-not-covered')
  })
})

describe('the review', () => {
  const history = [recorded(), applied('2026-09-30T10:00:00+08:00', '2026-10-08T02:00:00.000Z')]
  it('when the review runs before it is due, then it is refused', () => {
    spec.given(history).when(review('2026-10-08T09:59:59+08:00')).thenFails('review-not-due')
  })
  it('given a photo on file, when the review runs on time, then the e-licence is issued with the licence’s terms', () => {
    spec
      .given(history)
      .when(review('2026-10-08T10:00:00+08:00'))
      .thenEmits([issued('2026-10-08T10:00:00+08:00')] as never)
  })
  it('given no photo on file, when the review runs, then a photo is asked for', () => {
    spec
      .given([recorded({ photoOnFile: false }), history[1]] as never)
      .when(review('2026-10-08T10:00:00+08:00'))
      .thenEmits([
        {
          type: 'PhotoRejected',
          data: {
            applicationId: 'app-1',
            reasons: ['no-photo-on-file'],
            photoId: null,
            source: 'review',
            rejectedAt: '2026-10-08T10:00:00+08:00',
          },
        },
      ] as never)
  })
  it('given the licence expired while under review, then the application is voided, never issued', () => {
    spec
      .given([
        recorded({ validUntil: '2026-10-01' }),
        applied('2026-09-30T10:00:00+08:00', '2026-10-08T02:00:00.000Z'),
      ])
      .when(review('2026-10-08T10:00:00+08:00'))
      .thenEmits([
        {
          type: 'ApplicationVoided',
          data: { applicationId: 'app-1', reason: 'licence-expired', voidedAt: '2026-10-08T10:00:00+08:00' },
        },
      ] as never)
  })
})

describe('the photo', () => {
  const awaiting = [
    recorded({ photoOnFile: false }),
    applied('2026-11-02T10:00:00+08:00', '2026-11-03T02:00:00.000Z'),
    {
      type: 'PhotoRejected',
      data: {
        applicationId: 'app-1',
        reasons: ['no-photo-on-file'],
        photoId: null,
        source: 'review',
        rejectedAt: '2026-11-03T10:00:00+08:00',
      },
    },
  ]
  it('when a good recent photo is submitted, then the review clock starts again', () => {
    spec
      .given(awaiting as never)
      .when(submitPhoto('2026-11-26T20:00:00+08:00', '2026-11-20'))
      .thenEmits([
        {
          type: 'PhotoSubmitted',
          data: {
            applicationId: 'app-1',
            photo: { id: 'photo-1', capturedOn: '2026-11-20', defects: [] },
            submittedAt: '2026-11-26T20:00:00+08:00',
            reviewDueAt: '2026-11-27T12:00:00.000Z',
            calendar: calendarRecord,
          },
        },
      ] as never)
  })
  it('when the photo is older than six months (clamped to the month’s end), then it is rejected', () => {
    // Six months before 2026-08-31 is 2026-02-28: a photo of 02-27 is too old, one of 02-28 is not.
    const late = [
      recorded({ photoOnFile: false }),
      applied('2026-08-03T10:00:00+08:00', '2026-08-04T02:00:00.000Z'),
      // Rejected at the review of 08-04: business time only runs forwards on a stream (rule 10).
      { ...awaiting[2], data: { ...awaiting[2]?.data, rejectedAt: '2026-08-04T10:00:00+08:00' } },
    ] as never
    spec
      .given(late)
      .when(submitPhoto('2026-08-31T10:00:00+08:00', '2026-02-27', ['sunglasses']))
      .thenEmits([
        {
          type: 'PhotoRejected',
          data: {
            applicationId: 'app-1',
            reasons: ['older-than-6-months', 'sunglasses'],
            photoId: 'photo-1',
            source: 'submission',
            rejectedAt: '2026-08-31T10:00:00+08:00',
          },
        },
      ] as never)
    spec
      .given(late)
      .when(submitPhoto('2026-08-31T10:00:00+08:00', '2026-02-28'))
      .thenEmits([
        {
          type: 'PhotoSubmitted',
          data: {
            applicationId: 'app-1',
            photo: { id: 'photo-1', capturedOn: '2026-02-28', defects: [] },
            submittedAt: '2026-08-31T10:00:00+08:00',
            reviewDueAt: '2026-09-01T02:00:00.000Z',
            calendar: calendarRecord,
          },
        },
      ] as never)
  })
  it('when the photo is dated tomorrow, then it is refused', () => {
    spec
      .given(awaiting as never)
      .when(submitPhoto('2026-11-26T20:00:00+08:00', '2026-11-27'))
      .thenFails('photo-date-in-future')
  })
  it('when no photo was asked for, then a submission is refused', () => {
    spec
      .given(awaiting.slice(0, 2))
      .when(submitPhoto('2026-11-26T20:00:00+08:00', '2026-11-20'))
      .thenFails('photo-not-requested')
  })
})

describe('renewing the licence', () => {
  const active = [
    recorded(),
    applied('2026-09-30T10:00:00+08:00', '2026-10-08T02:00:00.000Z'),
    issued('2026-10-08T10:00:00+08:00'),
  ]
  it('given an active e-licence, when a renewal adds a class, then the e-licence is invalidated in the same decision', () => {
    spec
      .given(active as never)
      .when(renew('2026-11-26T10:00:00+08:00', { classes: ['C1', 'D'] }))
      .thenEmits([
        {
          type: 'LicenceRenewed',
          data: {
            classes: ['C1', 'D'],
            validFrom: '2020-03-15',
            validUntil: '2032-03-15',
            authority: cantonAuthority,
            changes: ['class'],
            renewedAt: '2026-11-26T10:00:00+08:00',
          },
        },
        {
          type: 'ELicenceInvalidated',
          data: {
            eLicenceId: `EL-${licenceNumber}-1`,
            reason: 'renewal',
            changes: ['class'],
            invalidatedAt: '2026-11-26T10:00:00+08:00',
          },
        },
      ] as never)
  })
  it('given an active e-licence, when a lost card is replaced with the same terms, then the e-licence stays', () => {
    spec
      .given(active as never)
      .when(renew('2026-11-26T10:00:00+08:00', {}))
      .thenEmits([
        {
          type: 'LicenceRenewed',
          data: {
            classes: ['C1'],
            validFrom: '2020-03-15',
            validUntil: '2032-03-15',
            authority: cantonAuthority,
            changes: [],
            renewedAt: '2026-11-26T10:00:00+08:00',
          },
        },
      ] as never)
  })
  it('given an open application, when a renewal moves the licence to Beijing with a new validity, then the application is voided', () => {
    const beijing = { code: '京A', name: '北京市公安局公安交通管理局' }
    spec
      .given(active.slice(0, 2))
      .when(
        renew('2026-10-05T10:00:00+08:00', {
          validFrom: '2026-10-05',
          validUntil: 'long-term',
          authority: beijing,
        }),
      )
      .thenEmits([
        {
          type: 'LicenceRenewed',
          data: {
            classes: ['C1'],
            validFrom: '2026-10-05',
            validUntil: 'long-term',
            authority: beijing,
            changes: ['expiry', 'authority'],
            renewedAt: '2026-10-05T10:00:00+08:00',
          },
        },
        {
          type: 'ApplicationVoided',
          data: { applicationId: 'app-1', reason: 'licence-renewed', voidedAt: '2026-10-05T10:00:00+08:00' },
        },
      ] as never)
  })
  it('given a renewal that invalidated it, when the holder applies again, then a second e-licence can be issued', () => {
    const renewed = [
      ...active,
      {
        type: 'LicenceRenewed',
        data: {
          ...terms,
          classes: ['C1', 'D'],
          validUntil: '2032-03-15',
          changes: ['class'],
          renewedAt: '2026-11-02T10:00:00+08:00',
        },
      },
      {
        type: 'ELicenceInvalidated',
        data: {
          eLicenceId: `EL-${licenceNumber}-1`,
          reason: 'renewal',
          changes: ['class'],
          invalidatedAt: '2026-11-02T10:00:00+08:00',
        },
      },
      applied('2026-11-02T11:00:00+08:00', '2026-11-03T03:00:00.000Z'),
    ]
    spec
      .given(renewed)
      .when(review('2026-11-03T11:00:00+08:00'))
      .thenEmits([issued('2026-11-03T11:00:00+08:00', 2, { classes: ['C1', 'D'] })] as never)
  })
})

describe('licence statuses', () => {
  const active = [
    recorded(),
    applied('2026-09-30T10:00:00+08:00', '2026-10-08T02:00:00.000Z'),
    issued('2026-10-08T10:00:00+08:00'),
  ]
  it('when the licence is revoked (吊销, F), then the e-licence is invalidated', () => {
    spec
      .given(active as never)
      .when({
        type: 'ChangeLicenceStatus',
        data: { licenceNumber, statuses: ['F'] },
        metadata: asRegistry('2026-11-26T10:00:00+08:00'),
      })
      .thenEmits([
        {
          type: 'LicenceStatusChanged',
          data: { statuses: ['F'], previous: ['A'], changedAt: '2026-11-26T10:00:00+08:00' },
        },
        {
          type: 'ELicenceInvalidated',
          data: {
            eLicenceId: `EL-${licenceNumber}-1`,
            reason: 'licence-revoked',
            changes: [],
            invalidatedAt: '2026-11-26T10:00:00+08:00',
          },
        },
      ] as never)
  })
  it('when the licence is over the points limit (超分, B), then the e-licence stays (shown abnormal)', () => {
    spec
      .given(active as never)
      .when({
        type: 'ChangeLicenceStatus',
        data: { licenceNumber, statuses: ['B'] },
        metadata: asRegistry('2026-11-26T10:00:00+08:00'),
      })
      .thenEmits([
        {
          type: 'LicenceStatusChanged',
          data: { statuses: ['B'], previous: ['A'], changedAt: '2026-11-26T10:00:00+08:00' },
        },
      ] as never)
  })
  it('when a verifier tries to change anything, then it is forbidden', () => {
    spec
      .given(active as never)
      .when({
        type: 'ChangeLicenceStatus',
        data: { licenceNumber, statuses: ['B'] },
        metadata: metadata('verifier', 'police-1', '2026-11-26T10:00:00+08:00'),
      })
      .thenFails('forbidden')
  })
})
