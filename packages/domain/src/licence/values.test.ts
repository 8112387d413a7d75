import * as fc from 'fast-check'
import { isLeft, isRight } from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import {
  impossibleDateArb,
  invalidCommandArb,
  licenceNumberArb,
  localDateArb,
  offsetlessInstantArb,
  wrongCheckLicenceNumberArb,
} from '../testing/index.js'
import { validRecord } from '../testing/invalid-commands.js'
import { parseCommand } from './commands.js'
import {
  citizenIdCheckCharacter,
  Id,
  Instant,
  LicenceClasses,
  LicenceNumber,
  LicenceStatuses,
  LocalDate,
  Name,
  PhotoDefects,
} from './values.js'

describe('licence numbers (GB 11643, ISO 7064 MOD 11-2)', () => {
  it('accepts the design example', () => {
    expect(isRight(LicenceNumber.decode('11010519491231002X'))).toBe(true)
  })
  it('accepts every number with a correct check character', () => {
    fc.assert(fc.property(licenceNumberArb, (value) => isRight(LicenceNumber.decode(value))))
  })
  it('refuses every number with a wrong check character', () => {
    fc.assert(fc.property(wrongCheckLicenceNumberArb, (value) => isLeft(LicenceNumber.decode(value))))
  })
  it('refuses a lower-case x, wrong lengths and non-digits', () => {
    for (const value of [
      '11010519491231002x',
      '11010519491231002',
      '11010519491231002XX',
      '1101051949123100AX',
      11010519491231,
    ]) {
      expect(isLeft(LicenceNumber.decode(value))).toBe(true)
    }
  })
  it('refuses a number whose check character fits but whose date of birth is no date', () => {
    // The impossible dates (2026-02-30, 1949-13-31…) as digits 7 to 14, the check character computed.
    const impossibleBirth = fc
      .tuple(impossibleDateArb, fc.constantFrom('110105', '440103'))
      .map(([date, region]) => {
        const first17 = `${region}${date.replaceAll('-', '')}123`
        return `${first17}${citizenIdCheckCharacter(first17)}`
      })
    fc.assert(fc.property(impossibleBirth, (value) => isLeft(LicenceNumber.decode(value))))
    expect(isLeft(LicenceNumber.decode('110105194913310021'))).toBe(true)
  })
  it('refuses a licence valid from before its holder was born, recorded or renewed', () => {
    const valid = validRecord()
    const record = { ...valid, data: { ...valid.data, licenceNumber: '11010520300101001X' } }
    const refused = parseCommand(record)
    expect(isLeft(refused) && refused.left.message).toMatch(
      /validFrom 2020-01-01 is before the holder's date of birth 2030-01-01/,
    )
    const { holder: _holder, statuses: _statuses, photoOnFile: _photo, ...renewal } = record.data
    expect(isLeft(parseCommand({ ...record, type: 'RenewLicence', data: renewal }))).toBe(true)
    expect(
      isRight(
        parseCommand({
          ...record,
          data: { ...record.data, validFrom: '2030-01-01', validUntil: '2040-01-01' },
        }),
      ),
    ).toBe(true)
  })
})

describe('dates and instants', () => {
  it('accepts real calendar dates and refuses impossible ones', () => {
    fc.assert(fc.property(localDateArb(), (value) => isRight(LocalDate.decode(value))))
    fc.assert(fc.property(impossibleDateArb, (value) => isLeft(LocalDate.decode(value))))
    expect(isRight(LocalDate.decode('2024-02-29'))).toBe(true)
    expect(isLeft(LocalDate.decode('2026-02-30'))).toBe(true)
  })
  it('refuses instants without an offset and accepts them with one', () => {
    fc.assert(fc.property(offsetlessInstantArb, (value) => isLeft(Instant.decode(value))))
    fc.assert(fc.property(offsetlessInstantArb, (value) => isRight(Instant.decode(`${value}+08:00`))))
    expect(isRight(Instant.decode('2026-10-01T00:00:00Z'))).toBe(true)
    expect(isLeft(Instant.decode('2026-02-30T00:00:00Z'))).toBe(true)
    expect(isLeft(Instant.decode('2026-10-01 00:00:00Z'))).toBe(true)
  })
})

describe('real calendar dates, stated as a pattern', () => {
  // The oracle is the JavaScript calendar: a date is real when a UTC Date built from it reads back the same.
  const isRealDate = (year: number, month: number, day: number): boolean => {
    const date = new Date(0)
    date.setUTCFullYear(year, month - 1, day)
    return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  }
  it('accepts exactly the real dates of years 0000–9999, leap years included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        (year, month, day) => {
          const text = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
          expect(isRight(LocalDate.decode(text))).toBe(
            month >= 1 && month <= 12 && isRealDate(year, month, day),
          )
        },
      ),
      { numRuns: 5000 },
    )
    for (let year = 0; year <= 9999; year++) {
      const yyyy = String(year).padStart(4, '0')
      expect(isRight(LocalDate.decode(`${yyyy}-02-29`)), yyyy).toBe(isRealDate(year, 2, 29))
      expect(isRight(LocalDate.decode(`${yyyy}-02-28`)), yyyy).toBe(true)
    }
    for (const [text, real] of [
      ['2000-02-29', true],
      ['1900-02-29', false],
      ['2024-02-29', true],
      ['2100-02-29', false],
      ['0000-02-29', true],
      ['2026-12-31', true],
    ] as const)
      expect(isRight(LocalDate.decode(text))).toBe(real)
  })
})

describe('ids and names: text', () => {
  it('counts characters, not UTF-16 code units, as DESIGN §2 and JSON Schema do', () => {
    expect(isRight(Id.decode('😀'.repeat(128)))).toBe(true)
    expect(isLeft(Id.decode('😀'.repeat(129)))).toBe(true)
    expect(isRight(Name.decode('张'.repeat(128)))).toBe(true)
    expect(isLeft(Name.decode('张'.repeat(129)))).toBe(true)
  })
  it('refuses a lone surrogate and control characters, anywhere in the text', () => {
    // A grapheme is up to a few code points: ten of them stay well within 128 characters.
    const text = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 10 })
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is refused
      .filter((value) => /\S/.test(value) && !/[\u0000-\u001f\u007f-\u009f]/.test(value))
    const bad = fc.constantFrom('\ud800', '\udfff', '\u0000', '\t', '\n', '\u001b', '\u007f', '\u0085')
    fc.assert(
      fc.property(text, text, bad, (before, after, inserted) => {
        expect(isRight(Id.decode(before)) && isRight(Name.decode(before))).toBe(true)
        const spoilt = `${before}${inserted}${after}`
        expect(isLeft(Id.decode(spoilt)) && isLeft(Name.decode(spoilt))).toBe(true)
      }),
    )
    expect(isRight(Name.decode('😀 张三'))).toBe(true)
  })
})

describe('sets', () => {
  it('stores classes sorted and refuses repeated, unknown or no classes', () => {
    expect(LicenceClasses.decode(['C1', 'A1', 'B2'])).toEqual({ _tag: 'Right', right: ['A1', 'B2', 'C1'] })
    for (const value of [[], ['C1', 'C1'], ['Z'], 'C1'])
      expect(isLeft(LicenceClasses.decode(value))).toBe(true)
  })
  it('lets A stand only alone', () => {
    expect(isRight(LicenceStatuses.decode(['A']))).toBe(true)
    expect(isRight(LicenceStatuses.decode(['H', 'B']))).toBe(true)
    expect(isLeft(LicenceStatuses.decode(['A', 'H']))).toBe(true)
    expect(isLeft(LicenceStatuses.decode(['B', 'B']))).toBe(true)
  })
  it('allows a photo with no defects but not a repeated one', () => {
    expect(isRight(PhotoDefects.decode([]))).toBe(true)
    expect(isLeft(PhotoDefects.decode(['mask', 'mask']))).toBe(true)
  })
})

describe('parseCommand', () => {
  it('refuses every invalid command, naming the failing path', () => {
    fc.assert(
      fc.property(invalidCommandArb, ({ json, path }) => {
        const parsed = parseCommand(json)
        if (isRight(parsed)) return false
        expect(parsed.left.code).toBe('invalid-command')
        return (
          parsed.left.issues?.some((issue) => issue.path === path || issue.path.startsWith(`${path}.`)) ===
          true
        )
      }),
    )
  })
  it('lists every failing path, not only the first', () => {
    const parsed = parseCommand({
      type: 'ApplyForELicence',
      data: {
        licenceNumber: '110105194912310021',
        applicationId: '',
        declaredValidFrom: '2026-02-30',
        faceCheck: {},
      },
      metadata: { commandId: 'x', at: '2026-01-01T00:00:00', actor: { role: 'holder', id: 'a' } },
    })
    expect(isLeft(parsed) && parsed.left.issues?.map((issue) => issue.path)).toEqual([
      'data.licenceNumber',
      'data.applicationId',
      'data.declaredValidFrom',
      'data.faceCheck.passed',
      'metadata.commandId',
      'metadata.at',
    ])
  })
  it('refuses what is not a command object at all', () => {
    for (const value of [null, 42, 'RecordLicence', [], {}]) expect(isLeft(parseCommand(value))).toBe(true)
  })
})

describe('a refusal names the value it was given', () => {
  it('a number past what a double holds (1e400 in JSON) is named as such, not as the null of its JSON', () => {
    const command = JSON.parse(
      JSON.stringify(validRecord()).replace('"photoOnFile":true', '"photoOnFile":1e400'),
    )
    const parsed = parseCommand(command)
    expect(isLeft(parsed) && parsed.left.message).toMatch(
      /data\.photoOnFile: expected boolean, got a number too large for a double \(read as Infinity\)/,
    )
  })
})
