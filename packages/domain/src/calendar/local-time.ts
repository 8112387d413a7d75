/**
 * Local dates in Asia/Shanghai as day numbers (days since 1970-01-01), the unit the calendar and the
 * decider count in.
 *
 * China has kept UTC+08:00 without daylight saving since 1991, so the local date of an instant is a
 * fixed-offset computation; `local-time.test.ts` checks it against @date-fns/tz's Asia/Shanghai for
 * every instant from 1992 on. Doing it by arithmetic keeps `decide` at millions of calls a second.
 *
 * @example
 * localDateOf(Date.parse('2026-09-30T17:00:00Z')) // '2026-10-01': already National Day in Shanghai
 */
export const dayMs = 86_400_000
export const shanghaiOffsetMs = 8 * 3_600_000

/** Day number of the Asia/Shanghai local date at an instant (epoch milliseconds). */
export const localDayOf = (epochMs: number): number => Math.floor((epochMs + shanghaiOffsetMs) / dayMs)

/** Milliseconds since local midnight at an instant. */
export const localTimeOfDayMs = (epochMs: number): number =>
  epochMs + shanghaiOffsetMs - localDayOf(epochMs) * dayMs

/** The instant at which a local day starts, plus `timeOfDayMs`. */
export const instantOfLocal = (day: number, timeOfDayMs: number): number =>
  day * dayMs + timeOfDayMs - shanghaiOffsetMs

// `toISOString`'s form: a digit where this has a 0, the same character elsewhere.
const isoForm = '0000-00-00T00:00:00.000Z'
const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const isLeapYear = (year: number): boolean => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
const digitAt = (text: string, at: number): number => text.charCodeAt(at) - 0x30
const numberAt = (text: string, at: number, digits: number): number => {
  let value = 0
  for (let offset = 0; offset < digits; offset++) value = value * 10 + digitAt(text, at + offset)
  return value
}

// The instants read last and their values: the decider and the auditor's rules read the same few
// instants of an event several times over (its `at` and `recordedAt`, the stream's last `at`).
const recentSize = 4
const recentInstants: Array<string | undefined> = new Array(recentSize).fill(undefined)
const recentValues = new Float64Array(recentSize)
let recentNext = 0

/**
 * `Date.parse(instant)`, read by arithmetic where the text has the form `toISOString` writes
 * (`2026-03-04T10:48:00.000Z`: every instant the service records), and by `Date.parse` otherwise
 * (another offset, no fraction, a day that does not exist, a year below 100, which `Date.UTC` would
 * take for 19xx). The auditor reads a few instants of every event it replays, and `Date.parse`
 * costs three times this; the last four read are answered from memory.
 */
export const instantMs = (instant: string): number => {
  for (let slot = 0; slot < recentSize; slot++)
    if (recentInstants[slot] === instant) return recentValues[slot] as number
  const value = parsedInstantMs(instant)
  recentInstants[recentNext] = instant
  recentValues[recentNext] = value
  recentNext = (recentNext + 1) % recentSize
  return value
}

const parsedInstantMs = (instant: string): number => {
  if (instant.length !== isoForm.length) return Date.parse(instant)
  for (let at = 0; at < isoForm.length; at++) {
    const code = instant.charCodeAt(at)
    const form = isoForm.charCodeAt(at)
    if (form === 0x30 ? !(code >= 0x30 && code <= 0x39) : code !== form) return Date.parse(instant)
  }
  const year = numberAt(instant, 0, 4)
  const month = numberAt(instant, 5, 2)
  const day = numberAt(instant, 8, 2)
  const hour = numberAt(instant, 11, 2)
  const minute = numberAt(instant, 14, 2)
  const second = numberAt(instant, 17, 2)
  const days = month === 2 && isLeapYear(year) ? 29 : monthDays[month - 1]
  if (year < 100 || days === undefined || day < 1 || day > days || hour > 23 || minute > 59 || second > 59)
    return Date.parse(instant)
  return Date.UTC(year, month - 1, day, hour, minute, second, numberAt(instant, 20, 3))
}

/** Day number of a `YYYY-MM-DD` string (assumed valid). */
/** The digits of an instant's fraction after its milliseconds, which `instantMs` drops ('' for none). */
const subMillisecondDigits = (instant: string): string => {
  const point = instant.indexOf('.')
  if (point < 0) return ''
  let end = point + 1
  while (end < instant.length && instant.charCodeAt(end) >= 0x30 && instant.charCodeAt(end) <= 0x39) end++
  // Trailing zeros say nothing: .1230 is .123. Without them, digit strings order as the fractions do.
  let last = end
  while (last > point + 4 && instant.charCodeAt(last - 1) === 0x30) last--
  return instant.slice(point + 4, last)
}

/**
 * Orders two instants exactly, to the last digit of their fractions (an instant may carry up to
 * nine): negative, zero or positive as `a` is before, at or after `b`. Milliseconds alone would let
 * `…05.123999999Z` be followed by `…05.123000001Z` as if time had stood still.
 */
export const compareInstants = (a: string, b: string): number => {
  const byMs = instantMs(a) - instantMs(b)
  if (byMs !== 0 || Number.isNaN(byMs)) return byMs
  const fractionA = subMillisecondDigits(a)
  const fractionB = subMillisecondDigits(b)
  return fractionA < fractionB ? -1 : fractionA > fractionB ? 1 : 0
}

export const dayOfLocalDate = (date: string): number =>
  Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / dayMs

export const localDateOfDay = (day: number): string => new Date(day * dayMs).toISOString().slice(0, 10)

export const localDateOf = (epochMs: number): string => localDateOfDay(localDayOf(epochMs))

/** 0 = Sunday … 6 = Saturday. */
export const weekdayOfDay = (day: number): number => (((day + 4) % 7) + 7) % 7

export const yearOfDay = (day: number): number => new Date(day * dayMs).getUTCFullYear()
