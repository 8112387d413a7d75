import { TZDate } from '@date-fns/tz'
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { dayOfLocalDate, localDateOf, localDateOfDay, localTimeOfDayMs, weekdayOfDay } from './local-time.js'

describe('Asia/Shanghai local time', () => {
  it('agrees with the IANA zone (via @date-fns/tz) for every instant since 1992', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('1992-01-01T00:00:00Z'), max: Date.parse('2100-01-01T00:00:00Z') }),
        (ms) => {
          const zoned = new TZDate(ms, 'Asia/Shanghai')
          const expected = `${zoned.getFullYear()}-${String(zoned.getMonth() + 1).padStart(2, '0')}-${String(zoned.getDate()).padStart(2, '0')}`
          expect(localDateOf(ms)).toBe(expected)
          expect(localTimeOfDayMs(ms)).toBe(
            ((zoned.getHours() * 60 + zoned.getMinutes()) * 60 + zoned.getSeconds()) * 1000 +
              zoned.getMilliseconds(),
          )
        },
      ),
      { numRuns: 300 },
    )
  })
  it('sees an evening in UTC as the next day in Shanghai', () => {
    expect(localDateOf(Date.parse('2026-09-30T16:00:00Z'))).toBe('2026-10-01')
    expect(localDateOf(Date.parse('2026-09-30T15:59:59.999Z'))).toBe('2026-09-30')
  })
  it('round-trips day numbers and knows the weekday', () => {
    expect(localDateOfDay(dayOfLocalDate('2026-11-26'))).toBe('2026-11-26')
    expect(weekdayOfDay(dayOfLocalDate('2026-11-26'))).toBe(4)
    expect(weekdayOfDay(dayOfLocalDate('1969-12-28'))).toBe(0)
  })
})
