import { TZDate } from '@date-fns/tz'
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  dayOfLocalDate,
  instantMs,
  localDateOf,
  localDateOfDay,
  localTimeOfDayMs,
  weekdayOfDay,
} from './local-time.js'

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

describe('instantMs', () => {
  /** Text in the shape of `toISOString`'s form, with any digits and now and then another character. */
  const nearlyIso = fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 17, maxLength: 17 }),
      fc.option(fc.tuple(fc.nat({ max: 23 }), fc.string({ unit: 'binary', maxLength: 1 }))),
    )
    .map(([digits, edit]) => {
      const d = digits.join('')
      const text = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(8, 10)}:${d.slice(10, 12)}:${d.slice(12, 14)}.${d.slice(14, 17)}Z`
      return edit === null ? text : `${text.slice(0, edit[0])}${edit[1]}${text.slice(edit[0] + 1)}`
    })
  const isoOfInstant = fc
    .integer({ min: Date.parse('0000-01-01T00:00:00Z'), max: Date.parse('9999-12-31T23:59:59.999Z') })
    .map((ms) => new Date(ms).toISOString())

  it('is Date.parse of any text', () => {
    fc.assert(
      fc.property(fc.oneof(nearlyIso, isoOfInstant, fc.string({ maxLength: 30 })), (text) => {
        expect(Object.is(instantMs(text), Date.parse(text))).toBe(true)
      }),
      { numRuns: 5000 },
    )
  })

  it('is Date.parse of texts read again and in turn (the last few are kept)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(nearlyIso, isoOfInstant), { minLength: 1, maxLength: 12 }), (texts) => {
        for (const text of [...texts, ...texts.toReversed(), ...texts, ...texts.map((text) => `${text}`)])
          expect(Object.is(instantMs(text), Date.parse(text))).toBe(true)
      }),
      { numRuns: 1000 },
    )
  })

  it('reads the edges of the calendar and of the day as Date.parse does', () => {
    for (const text of [
      '2024-02-29T23:59:59.999Z',
      '2023-02-29T00:00:00.000Z',
      '2100-02-29T00:00:00.000Z',
      '2000-02-29T00:00:00.000Z',
      '2026-04-31T00:00:00.000Z',
      '2026-12-31T24:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-00-10T00:00:00.000Z',
      '0099-01-01T00:00:00.000Z',
      '0100-01-01T00:00:00.000Z',
      '2026-03-04T10:48:60.000Z',
      '2026-03-04T10:48:00.000+08:00',
      '2026-03-04T10:48:00Z',
    ])
      expect([text, instantMs(text)]).toEqual([text, Date.parse(text)])
  })
})
