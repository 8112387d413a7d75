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
import { canonicalJson } from '../integrity/canonical-json.js'
import { sha256Hex } from '../integrity/sha256.js'
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

const weekdayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

/**
 * What makes a year's schedule not one the State Council could have published: a date of another
 * year, a date both a holiday and a make-up working day, or a make-up working day (调休) that is a
 * weekday — already a working day, so most likely a mistyped date whose weekend stays off.
 */
const scheduleProblem = (schedule: YearSchedule): string | undefined => {
  const stray = [...schedule.holidays, ...schedule.workdays].find(
    (date) => Number(date.slice(0, 4)) !== schedule.year,
  )
  if (stray !== undefined) return `${stray} is not in ${schedule.year}`
  // 元旦, 春节, 国庆 … every year of the State Council's has some: a year without is a file's mistake,
  // and would make New Year's Day a working day with no fallback flagged.
  if (schedule.holidays.length === 0)
    return `the year ${schedule.year} has no holiday: a State Council schedule always has some (元旦, 春节, 国庆节 …)`
  const holidays = new Set(schedule.holidays)
  const both = schedule.workdays.find((date) => holidays.has(date))
  if (both !== undefined) return `${both} is both a holiday and a make-up working day`
  const weekday = schedule.workdays.find((date) => isWeekday(dayOfLocalDate(date)))
  if (weekday !== undefined)
    return `${weekday} is a ${weekdayNames[weekdayOfDay(dayOfLocalDate(weekday))]}, a working day anyway: make-up working days (调休) are weekend days`
  return undefined
}

/**
 * The first 8 hex digits of the SHA-256 of a year's dates, sorted and without repeats: two files for
 * one year with other dates give calendars of other versions, so an event's `calendar.version`
 * names the data that decided it, not only the year.
 */
const scheduleDigest = (schedule: YearSchedule): string =>
  sha256Hex(
    canonicalJson({
      year: schedule.year,
      holidays: [...new Set(schedule.holidays)].sort(),
      workdays: [...new Set(schedule.workdays)].sort(),
    }),
  ).slice(0, 8)

/**
 * Adds (or replaces) one year's schedule, e.g. when the State Council publishes next year's in
 * November. The new calendar's version names the added year and a digest of its dates, so events
 * say which data decided them: `chinese-days@1.5.7+2027#1a2b3c4d`.
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
    const problem = scheduleProblem(schedule)
    if (problem !== undefined) return E.left(problem)
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
    const extended = calendarFrom(
      calendar.id,
      `${calendar.version}+${schedule.year}#${scheduleDigest(schedule)}`,
      data,
      base.fallback,
    )
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
