/**
 * fast-check arbitraries for the values of DESIGN §2: valid ones, and invalid ones that a codec must
 * refuse. Embedders reuse them in their own property tests.
 *
 * @example
 * fc.assert(fc.property(licenceNumberArb, (number) => isRight(LicenceNumber.decode(number))))
 */
import * as fc from 'fast-check'
import type {
  Authority,
  Holder,
  LicenceClass,
  LicenceNumber,
  LicenceStatus,
  LocalDate,
  PhotoDefect,
} from '../licence/values.js'
import { citizenIdCheckCharacter, licenceClasses, licenceStatuses, photoDefects } from '../licence/values.js'

const digits = (length: number) =>
  fc
    .array(fc.integer({ min: 0, max: 9 }), { minLength: length, maxLength: length })
    .map((values) => values.join(''))

/** Valid 18-character citizen ID numbers (region, birth date, sequence, MOD 11-2 check character). */
export const licenceNumberArb: fc.Arbitrary<LicenceNumber> = fc
  .tuple(
    digits(6),
    fc.date({
      // Born before every date `localDateArb` gives by default (from 2000): a licence valid from
      // any of them is one its holder could hold.
      min: new Date('1940-01-01T00:00:00Z'),
      max: new Date('1999-12-31T00:00:00Z'),
      noInvalidDate: true,
    }),
    digits(3),
  )
  .map(([region, birth, sequence]) => {
    const first17 = `${region}${birth.toISOString().slice(0, 10).replaceAll('-', '')}${sequence}`
    return `${first17}${citizenIdCheckCharacter(first17)}` as LicenceNumber
  })

/** 18-character numbers whose check character is wrong. */
export const wrongCheckLicenceNumberArb: fc.Arbitrary<string> = fc
  .tuple(licenceNumberArb, fc.constantFrom(...'0123456789X'))
  .filter(([number, check]) => number.charAt(17) !== check)
  .map(([number, check]) => `${number.slice(0, 17)}${check}`)

const dayMs = 86_400_000

export const localDateArb = (min = '2000-01-01', max = '2040-12-31'): fc.Arbitrary<LocalDate> =>
  fc
    .integer({ min: Date.parse(`${min}T00:00:00Z`) / dayMs, max: Date.parse(`${max}T00:00:00Z`) / dayMs })
    .map((day) => new Date(day * dayMs).toISOString().slice(0, 10) as LocalDate)

/** Strings shaped like dates that are not real dates (2026-02-30, month 13, day 00). */
export const impossibleDateArb: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 2000, max: 2040 }).map((year) => `${year}-02-30`),
  fc.integer({ min: 2000, max: 2040 }).map((year) => `${year}-13-01`),
  fc.integer({ min: 2000, max: 2040 }).map((year) => `${year}-04-31`),
  fc.integer({ min: 2000, max: 2040 }).map((year) => `${year}-01-00`),
  fc
    .integer({ min: 2001, max: 2099 })
    .filter((year) => year % 4 !== 0)
    .map((year) => `${year}-02-29`),
)

const offsets = ['Z', '+08:00', '+00:00', '-05:00', '+05:30', '-11:00', '+14:00'] as const
const offsetMinutes = (offset: string): number =>
  offset === 'Z'
    ? 0
    : (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)))

/**
 * Formats an instant with a given offset, e.g. `2026-10-01T08:00:00.000+08:00`. For local times in
 * the years 0000 to 9999, as an `Instant` is written; others have no such form.
 */
export const formatInstant = (epochMs: number, offset: (typeof offsets)[number] = 'Z'): string => {
  if (offset === 'Z') return new Date(epochMs).toISOString()
  const shifted = new Date(epochMs + offsetMinutes(offset) * 60_000).toISOString()
  return `${shifted.slice(0, 23)}${offset}`
}

/** Instants (ISO-8601 with an offset or Z) between two epoch milliseconds, within the years 0000 to 9999. */
export const instantArb = (minMs: number, maxMs: number): fc.Arbitrary<string> =>
  fc
    .tuple(fc.integer({ min: minMs, max: maxMs }), fc.constantFrom(...offsets))
    .map(([ms, offset]) => formatInstant(ms, offset))

/** Date-times without an offset, which are ambiguous and must be refused. */
export const offsetlessInstantArb: fc.Arbitrary<string> = fc
  .integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2040-01-01T00:00:00Z') })
  .map((ms) => new Date(ms).toISOString().slice(0, 19))

const subsetOf = <T>(members: ReadonlyArray<T>, minLength: number) => fc.subarray([...members], { minLength })

export const classesArb: fc.Arbitrary<ReadonlyArray<LicenceClass>> = subsetOf(licenceClasses, 1).map(
  (values) => values.slice(0, 3),
)
export const abnormalStatusesArb: fc.Arbitrary<ReadonlyArray<LicenceStatus>> = subsetOf(
  licenceStatuses.filter((status) => status !== 'A'),
  1,
).map((values) => values.slice(0, 3))
export const statusesArb: fc.Arbitrary<ReadonlyArray<LicenceStatus>> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(['A'] as ReadonlyArray<LicenceStatus>) },
  // One status alone: each letter's own rule is then the only one at play.
  {
    weight: 2,
    arbitrary: fc.constantFrom(...licenceStatuses).map((status): ReadonlyArray<LicenceStatus> => [status]),
  },
  { weight: 1, arbitrary: abnormalStatusesArb },
)
export const defectsArb: fc.Arbitrary<ReadonlyArray<PhotoDefect>> = fc.oneof(
  { weight: 3, arbitrary: fc.constant([] as ReadonlyArray<PhotoDefect>) },
  {
    weight: 2,
    arbitrary: subsetOf(
      photoDefects.filter((defect) => defect !== 'older-than-6-months'),
      1,
    ).map((v) => v.slice(0, 3)),
  },
)

export const authorities: ReadonlyArray<Authority> = [
  { code: '粤A', name: '广东省广州市公安局交通警察支队' } as Authority,
  { code: '京A', name: '北京市公安局公安交通管理局' } as Authority,
  { code: '沪A', name: '上海市公安局交通警察总队' } as Authority,
]
export const authorityArb: fc.Arbitrary<Authority> = fc.constantFrom(...authorities)

export const holderArb: fc.Arbitrary<Holder> = fc
  .tuple(fc.stringMatching(/^acct-[a-z0-9]{1,12}$/), fc.constantFrom('张三', '李四', '王小明', 'Chen Jing'))
  .map(([accountId, name]) => ({ accountId, name }) as Holder)
