/**
 * The working-day calendar the CLI decides with: the State Council schedule of the `chinese-days`
 * data package, extended by `--calendar FILE` (or `$ELICENCE_CALENDAR`) with years published since
 * — a JSON year schedule, or an array of them — so a new year needs no release (DESIGN §3 rule 9).
 *
 * @example
 * // 2027.json: { "year": 2027, "holidays": ["2027-01-01", …], "workdays": ["2027-02-07", …] }
 * loadCalendar('./2027.json') // Either<string, { calendar: WorkingDayCalendar, notes: [] }>
 */
import { chinaMainlandCalendar, type WorkingDayCalendar, withYearSchedule } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { readJsonFile } from './json-file.js'

export const calendarEnvironmentVariable = 'ELICENCE_CALENDAR'

export const calendarOptionUsage = `  --calendar FILE  add published years to the State Council schedule: a JSON year schedule
                   { year, holidays, workdays } or an array of them (default: $${calendarEnvironmentVariable});
                   a year the schedule has is replaced, and stderr says so`

/** A calendar file read once: the calendar it makes, and its year schedules as the data they are. */
interface CalendarFile {
  readonly calendar: WorkingDayCalendar
  readonly schedules: ReadonlyArray<unknown>
  /**
   * What the file changes beyond adding years: a year the data package covers, replaced (a
   * correction, as in 2020 when the Spring Festival holiday was extended, or a mistake), said once.
   */
  readonly notes: ReadonlyArray<string>
}

const readCalendarFile = (file: string | undefined): E.Either<string, CalendarFile> => {
  const base = chinaMainlandCalendar()
  if (file === undefined) return E.right({ calendar: base, schedules: [], notes: [] })
  const read = readJsonFile(file, 'calendar')
  if (E.isLeft(read)) return read
  const json = read.right
  const schedules: ReadonlyArray<unknown> = Array.isArray(json) ? json : [json]
  let calendar = base
  // A year given twice would be replaced by its last schedule: which one the file meant is unknown.
  const indexOfYear = new Map<unknown, number>()
  const notes: string[] = []
  for (const [index, schedule] of schedules.entries()) {
    const at = `calendar ${file}${Array.isArray(json) ? ` [${index}]` : ''}`
    const extended = withYearSchedule(schedule)(calendar)
    if (E.isLeft(extended)) return E.left(`${at}: ${extended.left}`)
    const year = (schedule as { year: number }).year
    const earlier = indexOfYear.get(year)
    if (earlier !== undefined)
      return E.left(`${at}: the year ${year} is given twice, at [${earlier}] and [${index}]`)
    indexOfYear.set(year, index)
    if (base.coveredYears.includes(year))
      notes.push(
        `${at}: replaces the State Council schedule of ${year} in ${base.id}@${base.version}: due times in ${year} follow this file`,
      )
    calendar = extended.right
  }
  return E.right({ calendar, schedules, notes })
}

/** The calendar a file makes, and what it says beyond adding years (`CalendarFile.notes`), for stderr. */
export const loadCalendar = (
  file: string | undefined,
): E.Either<string, Pick<CalendarFile, 'calendar' | 'notes'>> => readCalendarFile(file)

/**
 * The year schedules of `file` as data, checked as `loadCalendar` checks them: what the audit
 * decides commands again with, in each of its worker threads (a calendar is not data, a schedule is).
 */
export const loadCalendarSchedules = (
  file: string | undefined,
): E.Either<string, Pick<CalendarFile, 'schedules' | 'notes'>> => readCalendarFile(file)
