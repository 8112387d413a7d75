/**
 * Working-day calendars (DESIGN §3 rules 2 and 9). The China mainland calendar follows the State
 * Council schedule — public holidays off, make-up working days (调休) on — from the `chinese-days`
 * data package, and knows which years that data covers. A date outside them is never guessed: the
 * decision is refused with `calendar-not-covered`, unless the embedder opted into the weekday
 * fallback, which every event it affects then records. A newly published year is added as data.
 *
 * @example
 * const calendar = pipe(
 *   chinaMainlandCalendar(),
 *   withYearSchedule({ year: 2027, holidays: ['2027-01-01', …], workdays: ['2027-02-07', …] }),
 * ) // Either<string, WorkingDayCalendar>
 */

import chineseDays from 'chinese-days/dist/chinese-days.json' with { type: 'json' }
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { validationIssues } from '../licence/commands.js'
import { LocalDate } from '../licence/values.js'
import { dayOfLocalDate, weekdayOfDay, yearOfDay } from './local-time.js'

export interface WorkingDayAnswer {
  readonly working: boolean
  /** True when the day is outside the data and the weekday fallback answered. */
  readonly fallback: boolean
}

export interface WorkingDayCalendar {
  readonly id: string
  readonly version: string
  readonly coveredYears: ReadonlyArray<number>
  /** Whether a local day (day number) is a working day; undefined when the calendar does not know. */
  readonly workingDay: (day: number) => WorkingDayAnswer | undefined
}

/** A year of the State Council schedule: its holidays and its make-up working days. */
export const YearSchedule = t.exact(
  t.type({ year: t.Int, holidays: t.readonlyArray(LocalDate), workdays: t.readonlyArray(LocalDate) }),
  'YearSchedule',
)
export type YearSchedule = t.TypeOf<typeof YearSchedule>

interface ScheduleData {
  readonly years: ReadonlySet<number>
  readonly holidays: ReadonlySet<number>
  readonly workdays: ReadonlySet<number>
}

const isWeekday = (day: number): boolean => {
  const weekday = weekdayOfDay(day)
  return weekday !== 0 && weekday !== 6
}

const calendarFrom = (
  id: string,
  version: string,
  data: ScheduleData,
  fallback: boolean,
): WorkingDayCalendar => {
  const known: WorkingDayAnswer[] = [
    { working: false, fallback: false },
    { working: true, fallback: false },
  ]
  const guessed: WorkingDayAnswer[] = [
    { working: false, fallback: true },
    { working: true, fallback: true },
  ]
  const coveredYears = [...data.years].sort((a, b) => a - b)
  return {
    id,
    version,
    coveredYears,
    workingDay: (day) => {
      const working = data.workdays.has(day) || (isWeekday(day) && !data.holidays.has(day))
      if (data.years.has(yearOfDay(day))) return known[working ? 1 : 0]
      return fallback ? guessed[isWeekday(day) ? 1 : 0] : undefined
    },
  }
}

const chineseDaysData = chineseDays as { readonly holidays: object; readonly workdays: object }

const scheduleFromPackage = (): ScheduleData => {
  const holidays = Object.keys(chineseDaysData.holidays)
  const workdays = Object.keys(chineseDaysData.workdays)
  return {
    // A year counts as covered when the package lists its holidays: every year has some.
    years: new Set(holidays.map((date) => Number(date.slice(0, 4)))),
    holidays: new Set(holidays.map(dayOfLocalDate)),
    workdays: new Set(workdays.map(dayOfLocalDate)),
  }
}

let packageSchedule: ScheduleData | undefined
const schedules = new WeakMap<WorkingDayCalendar, { data: ScheduleData; fallback: boolean }>()

export const chinaMainlandCalendarId = 'cn-state-council'
/** The data package and version the calendar reads; recorded with every `reviewDueAt`. */
export const chinaMainlandDataVersion = 'chinese-days@1.5.7'

export interface ChinaMainlandCalendarOptions {
  /** Outside the covered years, treat Monday–Friday as working days instead of refusing. */
  readonly weekdayFallback?: boolean
}

export const chinaMainlandCalendar = (options: ChinaMainlandCalendarOptions = {}): WorkingDayCalendar => {
  packageSchedule ??= scheduleFromPackage()
  const fallback = options.weekdayFallback === true
  const calendar = calendarFrom(chinaMainlandCalendarId, chinaMainlandDataVersion, packageSchedule, fallback)
  schedules.set(calendar, { data: packageSchedule, fallback })
  return calendar
}

/**
 * Adds (or replaces) one year's schedule, e.g. when the State Council publishes next year's in
 * November. The new calendar's version names the added year, so events say which data decided them.
 */
export const withYearSchedule =
  (input: unknown) =>
  (calendar: WorkingDayCalendar): E.Either<string, WorkingDayCalendar> => {
    const base = schedules.get(calendar)
    if (base === undefined) return E.left('only calendars made by chinaMainlandCalendar() can be extended')
    const decoded = YearSchedule.decode(input)
    if (E.isLeft(decoded)) {
      return E.left(
        validationIssues(decoded.left)
          .map((issue) => `${issue.path}: ${issue.message}`)
          .join('; '),
      )
    }
    const schedule = decoded.right
    const stray = [...schedule.holidays, ...schedule.workdays].find(
      (date) => Number(date.slice(0, 4)) !== schedule.year,
    )
    if (stray !== undefined) return E.left(`${stray} is not in ${schedule.year}`)
    const inYear = (day: number) => yearOfDay(day) === schedule.year
    const data: ScheduleData = {
      years: new Set([...base.data.years, schedule.year]),
      holidays: new Set([
        ...[...base.data.holidays].filter((day) => !inYear(day)),
        ...schedule.holidays.map(dayOfLocalDate),
      ]),
      workdays: new Set([
        ...[...base.data.workdays].filter((day) => !inYear(day)),
        ...schedule.workdays.map(dayOfLocalDate),
      ]),
    }
    const extended = calendarFrom(calendar.id, `${calendar.version}+${schedule.year}`, data, base.fallback)
    schedules.set(extended, { data, fallback: base.fallback })
    return E.right(extended)
  }

/** A calendar of plain weekdays for every year, for embedders outside mainland China and for tests. */
export const weekdayCalendar = (): WorkingDayCalendar => ({
  id: 'weekdays',
  version: '1',
  coveredYears: [],
  workingDay: (day) => ({ working: isWeekday(day), fallback: false }),
})
