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

const computed = (day: number, months: number): number =>
  Math.round(subMonths(new TZDate(day * dayMs, 'UTC'), months).getTime() / dayMs)

/**
 * The answers already computed, by day and months: a photo's age is asked of the day every photo
 * is submitted (and of every submission an auditor decides again), and date-fns with a TZDate costs
 * microseconds where a lookup costs nanoseconds. Days cluster around today, so the map stays small;
 * it is cleared, not grown, past a bound.
 */
const answers = new Map<number, number>()
const maxAnswers = 4096

export const subtractMonths = (day: number, months: number): number => {
  // Exact for integer days and 0 ≤ months < 1024 (the rules ask 6); anything else is computed.
  if (!Number.isInteger(day) || !Number.isInteger(months) || months < 0 || months >= 1024)
    return computed(day, months)
  const key = day * 1024 + months
  const known = answers.get(key)
  if (known !== undefined) return known
  if (answers.size >= maxAnswers) answers.clear()
  const answer = computed(day, months)
  answers.set(key, answer)
  return answer
}
