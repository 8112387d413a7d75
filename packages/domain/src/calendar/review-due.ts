/**
 * Rule 2: one working day of review, counted in Asia/Shanghai local time.
 * - submitted at local time T on a working day → due at T on the next working day;
 * - submitted on a non-working day → counted from 00:00 of the next working day, so due at 00:00 of
 *   the working day after that.
 *
 * @example
 * reviewDueAt(chinaMainlandCalendar(), Date.parse('2026-09-30T10:00:00+08:00'))
 * // Right({ reviewDueAt: '2026-10-09T02:00:00.000Z', … }): the National Day holiday is skipped
 */
import * as E from 'fp-ts/lib/Either.js'
import { type LicenceError, licenceError } from '../licence/errors.js'
import type { CalendarRecord, Instant } from '../licence/values.js'
import type { WorkingDayCalendar } from './calendar.js'
import { instantOfLocal, localDateOfDay, localDayOf, localTimeOfDayMs } from './local-time.js'

export interface ReviewDue {
  readonly reviewDueAt: Instant
  readonly calendar: CalendarRecord
}

/** Longer than any run of days off the State Council has ever scheduled (9 days). */
const maxDaysOff = 31

export const reviewDueAt = (
  calendar: WorkingDayCalendar,
  submittedAtMs: number,
): E.Either<LicenceError, ReviewDue> => {
  let fallback = false
  let missing: number | undefined
  const isWorking = (day: number): boolean | undefined => {
    const answer = calendar.workingDay(day)
    if (answer === undefined) {
      missing = day
      return undefined
    }
    fallback ||= answer.fallback
    return answer.working
  }
  const nextWorkingDay = (after: number): number | undefined => {
    for (let day = after + 1; day <= after + maxDaysOff; day++) {
      const working = isWorking(day)
      if (working === undefined) return undefined
      if (working) return day
    }
    return undefined
  }

  const today = localDayOf(submittedAtMs)
  const workingToday = isWorking(today)
  let dueMs: number | undefined
  if (workingToday === true) {
    const next = nextWorkingDay(today)
    if (next !== undefined) dueMs = instantOfLocal(next, localTimeOfDayMs(submittedAtMs))
  } else if (workingToday === false) {
    const first = nextWorkingDay(today)
    const second = first === undefined ? undefined : nextWorkingDay(first)
    if (second !== undefined) dueMs = instantOfLocal(second, 0)
  }
  if (dueMs === undefined) {
    const date = missing === undefined ? localDateOfDay(today) : localDateOfDay(missing)
    return E.left(
      licenceError(
        'calendar-not-covered',
        missing === undefined
          ? `calendar ${calendar.id}@${calendar.version} finds no working day within ${maxDaysOff} days of ${date}`
          : `calendar ${calendar.id}@${calendar.version} has no schedule for ${date} (covers ${describeYears(calendar.coveredYears)})`,
      ),
    )
  }
  return E.right({
    // toISOString always writes an instant with `Z`: the brand holds by construction.
    reviewDueAt: new Date(dueMs).toISOString() as Instant,
    calendar: { id: calendar.id, version: calendar.version, fallback },
  })
}

const describeYears = (years: ReadonlyArray<number>): string =>
  years.length === 0 ? 'no years' : `${years[0]}–${years[years.length - 1]}`
