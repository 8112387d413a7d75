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

/** Day number of a `YYYY-MM-DD` string (assumed valid). */
export const dayOfLocalDate = (date: string): number =>
  Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / dayMs

export const localDateOfDay = (day: number): string => new Date(day * dayMs).toISOString().slice(0, 10)

export const localDateOf = (epochMs: number): string => localDateOfDay(localDayOf(epochMs))

/** 0 = Sunday … 6 = Saturday. */
export const weekdayOfDay = (day: number): number => (((day + 4) % 7) + 7) % 7

export const yearOfDay = (day: number): number => new Date(day * dayMs).getUTCFullYear()
