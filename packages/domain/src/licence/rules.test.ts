// Every rule of DESIGN §3 as a property over random histories decided by the real decider. Each
// property states the rule independently of the decider's code (an oracle), then checks every
// decision of every history against it.
import { TZDate } from '@date-fns/tz'
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import { reviewDueAt } from '../calendar/review-due.js'
import { type History, type HistoryEntry, historyArb } from '../testing/index.js'
import type { LicenceErrorCode } from './errors.js'
import type { LicenceEvent } from './events.js'
import type { LicenceState, RecordedLicence } from './state.js'

const calendar = chinaMainlandCalendar()
const runs = { numRuns: 300 }

const shanghaiDate = (instant: string): string => {
  const zoned = new TZDate(Date.parse(instant), 'Asia/Shanghai')
  return `${zoned.getFullYear()}-${String(zoned.getMonth() + 1).padStart(2, '0')}-${String(zoned.getDate()).padStart(2, '0')}`
}
const expiredAt = (state: RecordedLicence, at: string) =>
  state.licence.validUntil !== 'long-term' && shanghaiDate(at) > state.licence.validUntil
const eligible = (state: RecordedLicence) => state.licence.statuses.every((status) => 'AHI'.includes(status))
const recorded = (state: LicenceState): RecordedLicence | undefined =>
  state._tag === 'Recorded' ? state : undefined
const errorOf = (entry: HistoryEntry): LicenceErrorCode | undefined =>
  E.isLeft(entry.outcome) ? entry.outcome.left.code : undefined
const eventsOf = (entry: HistoryEntry): ReadonlyArray<LicenceEvent> =>
  E.isRight(entry.outcome) ? entry.outcome.right : []
const entriesOf = (history: History, type: string) =>
  history.entries.filter((entry) => entry.command.type === type)
/** Rule 10: stated before the stream's last event. */
const beforeHistory = (state: RecordedLicence, at: string) =>
  state.lastAt !== null && Date.parse(at) < Date.parse(state.lastAt)

/** Six calendar months back with the day clamped to the month's end (08-31 → 02-28), by hand. */
const sixMonthsBefore = (date: string): string => {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number]
  const total = year * 12 + (month - 1) - 6
  const y = Math.floor(total / 12)
  const m = (total % 12) + 1
  const lastDay = new Date(Date.UTC(y, m, 0)).getUTCDate()
  return `${y}-${String(m).padStart(2, '0')}-${String(Math.min(day, lastDay)).padStart(2, '0')}`
}

describe('rule 1: who may apply, and when', () => {
  it('accepts an application exactly when every condition holds, else refuses with the first broken one', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        for (const entry of entriesOf(history, 'ApplyForELicence')) {
          if (entry.command.type !== 'ApplyForELicence') continue
          const { data, metadata } = entry.command
          const state = recorded(entry.before)
          const expected: LicenceErrorCode | undefined =
            metadata.actor.role !== 'holder'
              ? 'forbidden'
              : state === undefined
                ? 'licence-not-found'
                : metadata.actor.id !== state.licence.holder.accountId
                  ? 'not-licence-holder'
                  : !data.faceCheck.passed
                    ? 'face-check-failed'
                    : data.declaredValidFrom !== state.licence.validFrom
                      ? 'validity-start-mismatch'
                      : !eligible(state)
                        ? 'licence-not-eligible'
                        : expiredAt(state, metadata.at)
                          ? 'licence-expired'
                          : state.application !== null
                            ? 'application-open'
                            : state.eLicence !== null
                              ? 'e-licence-active'
                              : E.isLeft(reviewDueAt(calendar, Date.parse(metadata.at)))
                                ? 'calendar-not-covered'
                                : beforeHistory(state, metadata.at)
                                  ? 'instant-before-history'
                                  : undefined
          expect(errorOf(entry)).toBe(expected)
          if (expected === undefined)
            expect(eventsOf(entry).map((event) => event.type)).toEqual(['ELicenceApplied'])
        }
      }),
      runs,
    )
  })
  it('refuses every role but the holder with forbidden, before anything else', () => {
    fc.assert(
      fc.property(historyArb(), (history) =>
        history.entries
          .filter(
            (entry) =>
              entry.command.type === 'ReviewApplication' && entry.command.metadata.actor.role === 'holder',
          )
          .every((entry) => errorOf(entry) === 'forbidden'),
      ),
      runs,
    )
  })
})

describe('rule 2: one working day of review, computed once and stored', () => {
  it('stores the due time computed from the decision time in every event that sets one', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        for (const entry of history.entries) {
          for (const event of eventsOf(entry)) {
            if (event.type !== 'ELicenceApplied' && event.type !== 'PhotoSubmitted') continue
            const expected = reviewDueAt(calendar, Date.parse(entry.command.metadata.at))
            expect(E.isRight(expected) && expected.right).toEqual({
              reviewDueAt: event.data.reviewDueAt,
              calendar: event.data.calendar,
            })
          }
        }
      }),
      runs,
    )
  })
})

describe('rule 3: no review before it is due', () => {
  it('refuses a review before reviewDueAt and never issues before it', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        for (const entry of entriesOf(history, 'ReviewApplication')) {
          const due = recorded(entry.before)?.application?.reviewDueAt
          if (entry.command.metadata.actor.role === 'holder' || due == null) continue
          if (entry.command.type !== 'ReviewApplication') continue
          if (recorded(entry.before)?.application?.applicationId !== entry.command.data.applicationId)
            continue
          const early = Date.parse(entry.command.metadata.at) < Date.parse(due)
          expect(errorOf(entry) === 'review-not-due').toBe(early)
        }
        let due: string | null = null
        for (const event of history.events) {
          if (event.type === 'ELicenceApplied' || event.type === 'PhotoSubmitted')
            due = event.data.reviewDueAt
          if (event.type === 'ELicenceIssued')
            expect(Date.parse(event.metadata.at)).toBeGreaterThanOrEqual(Date.parse(due ?? ''))
        }
      }),
      runs,
    )
  })
})

describe('rule 4: photos', () => {
  it('rejects photos older than six months, refuses future ones, and takes them only when awaited', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        for (const entry of entriesOf(history, 'SubmitPhoto')) {
          if (entry.command.type !== 'SubmitPhoto') continue
          const state = recorded(entry.before)
          const application = state?.application
          if (
            state === undefined ||
            application == null ||
            application.applicationId !== entry.command.data.applicationId
          )
            continue
          const today = shanghaiDate(entry.command.metadata.at)
          const { capturedOn, defects } = entry.command.data.photo
          const error = errorOf(entry)
          if (entry.command.metadata.actor.role !== 'holder') {
            expect(error).toBe('forbidden')
            continue
          }
          if (application.stage !== 'awaiting-photo') {
            expect(error).toBe('photo-not-requested')
            continue
          }
          if (capturedOn > today) {
            expect(error).toBe('photo-date-in-future')
            continue
          }
          const old = capturedOn < sixMonthsBefore(today)
          const rejected = old || defects.length > 0
          const uncovered =
            !rejected && E.isLeft(reviewDueAt(calendar, Date.parse(entry.command.metadata.at)))
          const [event] = eventsOf(entry)
          if (uncovered) expect(error).toBe('calendar-not-covered')
          else if (beforeHistory(state, entry.command.metadata.at))
            expect(error).toBe('instant-before-history')
          else if (rejected) {
            expect(event?.type).toBe('PhotoRejected')
            if (event?.type === 'PhotoRejected') {
              expect(event.data.reasons.includes('older-than-6-months')).toBe(old)
              for (const defect of defects) expect(event.data.reasons).toContain(defect)
            }
          } else expect(event?.type).toBe('PhotoSubmitted')
        }
        for (const entry of entriesOf(history, 'RejectPhoto')) {
          if (entry.command.type !== 'RejectPhoto') continue
          const state = recorded(entry.before)
          const application = state?.application
          if (state === undefined || application?.applicationId !== entry.command.data.applicationId) continue
          expect(errorOf(entry)).toBe(
            entry.command.metadata.actor.role !== 'reviewer'
              ? 'forbidden'
              : application.stage !== 'pending-review'
                ? 'application-not-in-review'
                : beforeHistory(state, entry.command.metadata.at)
                  ? 'instant-before-history'
                  : undefined,
          )
        }
      }),
      runs,
    )
  })
  it('issues only with a usable photo: the one on file unless rejected, or the last accepted submission', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        for (const entry of history.entries) {
          const state = recorded(entry.before)
          if (state === undefined || !eventsOf(entry).some((event) => event.type === 'ELicenceIssued'))
            continue
          expect(state.acceptedPhoto !== null || (state.licence.photoOnFile && !state.fileRejected)).toBe(
            true,
          )
        }
      }),
      runs,
    )
  })
})

describe('rule 5: at most one active e-licence and one open application', () => {
  it('never has two of either, in any history', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        let active = 0
        let open = 0
        for (const event of history.events) {
          if (event.type === 'ELicenceApplied') open++
          if (event.type === 'ELicenceIssued') {
            open--
            active++
          }
          if (event.type === 'ApplicationWithdrawn' || event.type === 'ApplicationVoided') open--
          if (event.type === 'ELicenceInvalidated') active--
          expect([0, 1]).toContain(active)
          expect([0, 1]).toContain(open)
        }
      }),
      runs,
    )
  })
  it('never has an open application beside an active e-licence', () => {
    fc.assert(
      fc.property(historyArb(), (history) =>
        history.entries.every(
          ({ after }) => after._tag === 'Unrecorded' || after.application === null || after.eLicence === null,
        ),
      ),
      runs,
    )
  })
})

describe('rule 6: an issued e-licence carries the current terms', () => {
  it('invalidates the e-licence in the same decision that changes classes, validity or authority', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        let issued: Extract<LicenceEvent, { type: 'ELicenceIssued' }> | undefined
        for (const entry of history.entries) {
          for (const event of eventsOf(entry)) {
            if (event.type === 'ELicenceIssued') issued = event
            if (event.type === 'ELicenceInvalidated') issued = undefined
          }
          const state = recorded(entry.after)
          if (state?.eLicence == null || issued === undefined) continue
          expect(issued.data.classes).toEqual(state.licence.classes)
          expect([issued.data.validFrom, issued.data.validUntil]).toEqual([
            state.licence.validFrom,
            state.licence.validUntil,
          ])
          expect(issued.data.authority.code).toBe(state.licence.authority.code)
        }
      }),
      runs,
    )
  })
  it('keeps the e-licence across a renewal that changes nothing', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        for (const entry of entriesOf(history, 'RenewLicence')) {
          const [renewed, ...rest] = eventsOf(entry)
          if (renewed?.type !== 'LicenceRenewed') continue
          const changed = renewed.data.changes.length > 0
          const before = recorded(entry.before)
          expect(rest.some((event) => event.type === 'ELicenceInvalidated')).toBe(
            changed && before?.eLicence != null,
          )
          expect(rest.some((event) => event.type === 'ApplicationVoided')).toBe(
            changed && before?.application != null,
          )
        }
      }),
      runs,
    )
  })
})

describe('rule 7: statuses', () => {
  it('invalidates on E, F, G or R, keeps the e-licence on other abnormal statuses', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        for (const entry of entriesOf(history, 'ChangeLicenceStatus')) {
          if (entry.command.type !== 'ChangeLicenceStatus' || errorOf(entry) !== undefined) continue
          const revoking = entry.command.data.statuses.some((status) => 'EFGR'.includes(status))
          const hadELicence = recorded(entry.before)?.eLicence != null
          expect(recorded(entry.after)?.eLicence != null).toBe(hadELicence && !revoking)
        }
      }),
      runs,
    )
  })
  it('voids, never issues, an application whose licence became ineligible or expired', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        for (const entry of history.entries) {
          const state = recorded(entry.before)
          const events = eventsOf(entry)
          if (state === undefined || entry.command.type !== 'ReviewApplication' || events.length === 0)
            continue
          const expected = !eligible(state)
            ? 'licence-status'
            : expiredAt(state, entry.command.metadata.at)
              ? 'licence-expired'
              : undefined
          const [event] = events
          if (expected === undefined) expect(event?.type).not.toBe('ApplicationVoided')
          else expect(event?.type === 'ApplicationVoided' && event.data.reason).toBe(expected)
        }
      }),
      runs,
    )
  })
})

describe('rule 8 and decoding: decisions are data', () => {
  it('decode ∘ encode is the identity for every event', async () => {
    const { LicenceEvent } = await import('./events.js')
    fc.assert(
      fc.property(historyArb(), (history) =>
        history.events.every((event) => {
          const { metadata: _metadata, ...plain } = event
          const decoded = LicenceEvent.decode(JSON.parse(JSON.stringify(LicenceEvent.encode(plain))))
          return E.isRight(decoded) && JSON.stringify(decoded.right) === JSON.stringify(plain)
        }),
      ),
      runs,
    )
  })
})

describe('the histories reach every part of the lifecycle', () => {
  it('issues, invalidates, voids and rejects photos across a sample of histories', () => {
    const seen = new Set<string>()
    fc.assert(
      fc.property(historyArb(), (history) => {
        for (const event of history.events)
          seen.add(event.type === 'ApplicationVoided' ? `${event.type}:${event.data.reason}` : event.type)
        for (const entry of history.entries) if (E.isLeft(entry.outcome)) seen.add(entry.outcome.left.code)
      }),
      { numRuns: 1000, seed: 42 },
    )
    for (const expected of [
      'ELicenceIssued',
      'ELicenceInvalidated',
      'ApplicationVoided:licence-renewed',
      'ApplicationVoided:licence-status',
      'ApplicationVoided:licence-expired',
      'PhotoRejected',
      'PhotoSubmitted',
      'ApplicationWithdrawn',
      'review-not-due',
      'photo-not-requested',
      'photo-date-in-future',
      'licence-expired',
      'licence-not-eligible',
      'application-open',
      'e-licence-active',
    ]) {
      expect(seen).toContain(expected)
    }
  })
})
