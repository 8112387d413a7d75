import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { chinaMainlandCalendar, type WorkingDayCalendar, withYearSchedule } from './calendar.js'
import { dayOfLocalDate, localDayOf, localTimeOfDayMs } from './local-time.js'
import { reviewDueAt } from './review-due.js'

const calendar = chinaMainlandCalendar()
const due = (at: string, using: WorkingDayCalendar = calendar) => reviewDueAt(using, Date.parse(at))
const dueAt = (at: string, using?: WorkingDayCalendar) => {
  const result = due(at, using)
  if (E.isLeft(result)) throw new Error(result.left.message)
  return result.right.reviewDueAt
}
const isWorking = (date: string) => calendar.workingDay(dayOfLocalDate(date))?.working

describe('the State Council schedule', () => {
  it('has holidays off, make-up days on and covers its years explicitly', () => {
    expect(isWorking('2026-10-01')).toBe(false) // National Day
    expect(isWorking('2026-10-08')).toBe(true) // Thursday after the holiday
    expect(isWorking('2026-10-10')).toBe(true) // Saturday make-up day (调休)
    expect(isWorking('2026-09-20')).toBe(true) // Sunday make-up day
    expect(isWorking('2026-11-28')).toBe(false) // an ordinary Saturday
    expect(calendar.coveredYears[0]).toBe(2004)
    expect(calendar.coveredYears.at(-1)).toBe(2026)
    expect(calendar.workingDay(dayOfLocalDate('2027-01-04'))).toBeUndefined()
  })
})

describe('one working day of review (rule 2)', () => {
  it('counts from the submission time on a working day to the same time the next working day', () => {
    expect(dueAt('2026-11-26T09:30:00+08:00')).toBe('2026-11-27T01:30:00.000Z')
    expect(dueAt('2026-11-27T09:30:00+08:00')).toBe('2026-11-30T01:30:00.000Z') // Friday → Monday
  })
  it('skips the National Day holiday', () => {
    expect(dueAt('2026-09-30T10:00:00+08:00')).toBe('2026-10-08T02:00:00.000Z')
  })
  it('counts a make-up working day as a working day', () => {
    expect(dueAt('2026-09-19T15:00:00+08:00')).toBe('2026-09-20T16:00:00.000Z') // Sat → Sun(调休) → due Mon 00:00
    expect(dueAt('2026-09-20T10:00:00+08:00')).toBe('2026-09-21T02:00:00.000Z') // on the make-up Sunday itself
    expect(dueAt('2026-10-09T18:00:00+08:00')).toBe('2026-10-10T10:00:00.000Z') // Friday → Saturday make-up day
  })
  it('counts a non-working-day submission from 00:00 of the next working day', () => {
    expect(dueAt('2026-11-28T15:00:00+08:00')).toBe('2026-11-30T16:00:00.000Z') // Sat → Mon → due Tue 00:00
  })
  it('uses Shanghai time: an evening in UTC that is already the holiday there', () => {
    // 2026-09-30T17:00Z is 01:00 on 1 October in Shanghai: a holiday, so counted from 8 October.
    expect(dueAt('2026-09-30T17:00:00Z')).toBe('2026-10-08T16:00:00.000Z')
  })
  it('holds for every instant the calendar covers', () => {
    fc.assert(
      fc.property(
        fc.integer({
          min: Date.parse('2004-01-01T00:00:00+08:00'),
          max: Date.parse('2026-12-20T00:00:00+08:00'),
        }),
        (at) => {
          const result = reviewDueAt(calendar, at)
          if (E.isLeft(result)) return false
          const dueMs = Date.parse(result.right.reviewDueAt)
          const from = localDayOf(at)
          const to = localDayOf(dueMs)
          const between = Array.from({ length: Math.max(0, to - from - 1) }, (_, i) => from + 1 + i).filter(
            (day) => calendar.workingDay(day)?.working,
          ).length
          expect(dueMs).toBeGreaterThan(at)
          expect(calendar.workingDay(to)?.working).toBe(true)
          expect(result.right.calendar).toEqual({
            id: 'cn-state-council',
            version: 'chinese-days@1.5.7',
            fallback: false,
          })
          if (calendar.workingDay(from)?.working) {
            expect(localTimeOfDayMs(dueMs)).toBe(localTimeOfDayMs(at))
            expect(between).toBe(0)
          } else {
            expect(localTimeOfDayMs(dueMs)).toBe(0)
            expect(between).toBe(1)
          }
          return true
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('coverage (rule 9)', () => {
  it('refuses a date outside the data instead of guessing', () => {
    const result = due('2027-01-05T10:00:00+08:00')
    expect(E.isLeft(result) && result.left.code).toBe('calendar-not-covered')
    // The last day of 2026 is covered, but the next working day is not.
    const yearEnd = due('2026-12-31T10:00:00+08:00')
    expect(E.isLeft(yearEnd) && yearEnd.left.message).toMatch(/2027-01-01/)
  })
  it('answers by weekdays when the embedder opts in, and says so', () => {
    const result = due('2027-01-06T10:00:00+08:00', chinaMainlandCalendar({ weekdayFallback: true }))
    expect(result).toEqual(
      E.right({
        reviewDueAt: '2027-01-07T02:00:00.000Z',
        calendar: { id: 'cn-state-council', version: 'chinese-days@1.5.7', fallback: true },
      }),
    )
  })
  it('refuses any instant outside the covered years', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2027-01-01T00:00:00+08:00'), max: Date.parse('2099-01-01T00:00:00Z') }),
        (at) => {
          const result = reviewDueAt(calendar, at)
          return E.isLeft(result) && result.left.code === 'calendar-not-covered'
        },
      ),
    )
  })
  it('takes a newly published year as data, without a release', () => {
    const extended = pipe(
      calendar,
      withYearSchedule({ year: 2027, holidays: ['2027-01-01', '2027-01-02', '2027-01-03'], workdays: [] }),
    )
    if (E.isLeft(extended)) throw new Error(extended.left)
    expect(extended.right.coveredYears.at(-1)).toBe(2027)
    expect(due('2026-12-31T10:00:00+08:00', extended.right)).toEqual(
      E.right({
        reviewDueAt: '2027-01-04T02:00:00.000Z',
        calendar: { id: 'cn-state-council', version: 'chinese-days@1.5.7+2027#4c6074d2', fallback: false },
      }),
    )
  })
  it('refuses schedule data that is not a year of dates', () => {
    expect(
      E.isLeft(pipe(calendar, withYearSchedule({ year: 2027, holidays: ['2028-01-01'], workdays: [] }))),
    ).toBe(true)
    expect(
      E.isLeft(pipe(calendar, withYearSchedule({ year: 2027, holidays: ['2027-02-30'], workdays: [] }))),
    ).toBe(true)
    expect(E.isLeft(pipe(calendar, withYearSchedule({ year: '2027' })))).toBe(true)
  })
  it('refuses a schedule that contradicts itself or the week, saying which date', () => {
    const refused = (holidays: ReadonlyArray<string>, workdays: ReadonlyArray<string>) =>
      pipe(calendar, withYearSchedule({ year: 2027, holidays, workdays }))
    expect(refused(['2027-02-06'], ['2027-02-06'])).toEqual(
      E.left('2027-02-06 is both a holiday and a make-up working day'),
    )
    // 2027-02-09 is a Tuesday: a working day already, most likely a mistyped Saturday or Sunday.
    expect(refused(['2027-01-01'], ['2027-02-09'])).toEqual(
      E.left('2027-02-09 is a Tuesday, a working day anyway: make-up working days (调休) are weekend days'),
    )
    // A year of no holiday is no State Council schedule: New Year's Day would be a working day.
    expect(refused([], [])).toEqual(
      E.left('the year 2027 has no holiday: a State Council schedule always has some (元旦, 春节, 国庆节 …)'),
    )
    expect(E.isRight(refused(['2027-02-08'], ['2027-02-06', '2027-02-07']))).toBe(true)
  })
  it('names the data in the version: two schedules of one year are two versions, one schedule one', () => {
    const version = (holidays: ReadonlyArray<string>) =>
      pipe(
        calendar,
        withYearSchedule({ year: 2027, holidays, workdays: [] }),
        E.map((extended) => extended.version),
      )
    expect(version(['2027-01-01'])).not.toEqual(version(['2027-01-01', '2027-01-02']))
    // The same dates in another order, or one written twice, are the same data.
    expect(version(['2027-01-02', '2027-01-01'])).toEqual(version(['2027-01-01', '2027-01-02', '2027-01-01']))
    expect(version(['2027-01-01'])).toEqual(
      E.right(expect.stringMatching(/^chinese-days@1\.5\.7\+2027#[0-9a-f]{8}$/)),
    )
  })
})
