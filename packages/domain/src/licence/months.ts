/**
 * Calendar-month arithmetic on day numbers, by date-fns `subMonths`, which clamps to the end of a
 * shorter month (08-31 minus 6 months is 02-28), as rule 4 asks. Day numbers are UTC midnights, so
 * the arithmetic runs in UTC whatever the machine's time zone.
 *
 * @example
 * localDateOfDay(subtractMonths(dayOfLocalDate('2026-08-31'), 6)) // '2026-02-28'
 */
import { TZDate } from '@date-fns/tz'
import { subMonths } from 'date-fns'
import { dayMs } from '../calendar/local-time.js'

export const subtractMonths = (day: number, months: number): number =>
  Math.round(subMonths(new TZDate(day * dayMs, 'UTC'), months).getTime() / dayMs)
