/**
 * io-ts codecs for the values of DESIGN §2. Codecs are the single source of truth: every type here
 * is `t.TypeOf` of its codec, and every input crosses one before it reaches a decision.
 *
 * @example
 * import { isRight } from 'fp-ts/lib/Either.js'
 * isRight(LicenceNumber.decode('11010519491231002X')) // true
 * isRight(LicenceNumber.decode('110105194912310021')) // false: wrong check character
 */
import * as t from 'io-ts'

const brandedString = <B extends { readonly [K in N]: symbol }, N extends string>(
  name: N,
  isValid: (value: string) => boolean,
) => t.brand(t.string, (value): value is t.Branded<string, B> => isValid(value), name)

// ── licence numbers (GB 11643 citizen ID, ISO 7064 MOD 11-2 check character) ─────────────────────

const idWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const
const idCheckCharacters = '10X98765432'

/** The check character GB 11643 assigns to the first 17 digits. */
export const citizenIdCheckCharacter = (first17: string): string => {
  let sum = 0
  for (let index = 0; index < 17; index++) sum += (first17.charCodeAt(index) - 48) * (idWeights[index] ?? 0)
  return idCheckCharacters.charAt(sum % 11)
}

const citizenIdPattern = /^\d{17}[\dX]$/
export const isCitizenIdNumber = (value: string): boolean =>
  citizenIdPattern.test(value) && citizenIdCheckCharacter(value) === value.charAt(17)

export interface LicenceNumberBrand {
  readonly LicenceNumber: unique symbol
}
export const LicenceNumber = brandedString<LicenceNumberBrand, 'LicenceNumber'>(
  'LicenceNumber',
  isCitizenIdNumber,
)
export type LicenceNumber = t.TypeOf<typeof LicenceNumber>

// ── dates and instants ─────────────────────────────────────────────────────────────────────────────

const localDatePattern = /^(\d{4})-(\d{2})-(\d{2})$/

const daysInMonth = (year: number, month: number): number =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31

export const isLocalDate = (value: string): boolean => {
  const match = localDatePattern.exec(value)
  if (match === null) return false
  const year = Number(match[1])
  const month = Number(match[2])
  const day = Number(match[3])
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
}

export interface LocalDateBrand {
  readonly LocalDate: unique symbol
}
/** `YYYY-MM-DD`, a real calendar date. */
export const LocalDate = brandedString<LocalDateBrand, 'LocalDate'>('LocalDate', isLocalDate)
export type LocalDate = t.TypeOf<typeof LocalDate>

const instantPattern =
  /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,9})?)?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/

export const isInstant = (value: string): boolean => {
  const match = instantPattern.exec(value)
  return match !== null && isLocalDate(match[1] ?? '') && Number.isFinite(Date.parse(value))
}

export interface InstantBrand {
  readonly Instant: unique symbol
}
/** ISO-8601 instant with an explicit offset or `Z`: a time without one is ambiguous and refused. */
export const Instant = brandedString<InstantBrand, 'Instant'>('Instant', isInstant)
export type Instant = t.TypeOf<typeof Instant>

// ── identifiers ───────────────────────────────────────────────────────────────────────────────────

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export interface UuidBrand {
  readonly Uuid: unique symbol
}
export const Uuid = brandedString<UuidBrand, 'Uuid'>('Uuid', (value) => uuidPattern.test(value))
export type Uuid = t.TypeOf<typeof Uuid>

export interface IdBrand {
  readonly Id: unique symbol
}
/** applicationId, photo id, accountId and the like: non-empty, at most 128 characters. */
export const Id = brandedString<IdBrand, 'Id'>('Id', (value) => value.length > 0 && value.length <= 128)
export type Id = t.TypeOf<typeof Id>

export interface NameBrand {
  readonly Name: unique symbol
}
/** A person's or an authority's name: non-blank, at most 128 characters. */
export const Name = brandedString<NameBrand, 'Name'>(
  'Name',
  (value) => value.trim().length > 0 && value.length <= 128,
)
export type Name = t.TypeOf<typeof Name>

// ── sets ──────────────────────────────────────────────────────────────────────────────────────────

const keysOf = <K extends string>(members: ReadonlyArray<K>): { [P in K]: null } =>
  Object.fromEntries(members.map((member) => [member, null])) as { [P in K]: null }

/**
 * A set carried as a JSON array. A repeated member is invalid input (DESIGN §3); decoding returns the
 * members in their canonical order, so equal sets are equal arrays.
 */
const setOf = <K extends string>(
  name: string,
  members: ReadonlyArray<K>,
  options: { readonly nonEmpty: boolean; readonly check?: (set: ReadonlyArray<K>) => string | undefined },
): t.Type<ReadonlyArray<K>, ReadonlyArray<K>, unknown> => {
  const member = t.keyof(keysOf(members), members.join(' | '))
  const array = t.readonlyArray(member)
  const rank = new Map(members.map((value, index) => [value, index]))
  return new t.Type<ReadonlyArray<K>, ReadonlyArray<K>, unknown>(
    name,
    (input): input is ReadonlyArray<K> => array.is(input),
    (input, context) => {
      const decoded = array.validate(input, context)
      if (decoded._tag === 'Left') return decoded
      const values = decoded.right
      if (options.nonEmpty && values.length === 0)
        return t.failure(input, context, `${name} must not be empty`)
      if (new Set(values).size !== values.length)
        return t.failure(input, context, `${name} has a repeated member`)
      const sorted = [...values].sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0))
      const problem = options.check?.(sorted)
      return problem === undefined ? t.success(sorted) : t.failure(input, context, problem)
    },
    (values) => values,
  )
}

export const licenceClasses = [
  'A1',
  'A2',
  'A3',
  'B1',
  'B2',
  'C1',
  'C2',
  'C3',
  'C4',
  'C5',
  'C6',
  'D',
  'E',
  'F',
  'M',
  'N',
  'P',
] as const
export type LicenceClass = (typeof licenceClasses)[number]
/** 准驾车型: a non-empty set of classes, stored sorted. */
export const LicenceClasses = setOf<LicenceClass>('LicenceClasses', licenceClasses, { nonEmpty: true })

export const licenceStatuses = [
  'A',
  'B',
  'C',
  'D',
  'E',
  'F',
  'G',
  'H',
  'I',
  'J',
  'K',
  'L',
  'M',
  'N',
  'P',
  'R',
  'S',
  'T',
  'U',
] as const
export type LicenceStatus = (typeof licenceStatuses)[number]
/** 驾驶证状态 (GA 581.5): non-empty, and `A` (normal) only stands alone. */
export const LicenceStatuses = setOf<LicenceStatus>('LicenceStatuses', licenceStatuses, {
  nonEmpty: true,
  check: (set) => (set.includes('A') && set.length > 1 ? 'status A (normal) only stands alone' : undefined),
})

export const photoDefects = [
  'no-photo-on-file',
  'older-than-6-months',
  'background-not-white',
  'uneven-lighting',
  'posture',
  'light-clothing',
  'headwear',
  'hair-covers-face-or-ears',
  'heavy-makeup',
  'uniform',
  'mask',
  'sunglasses',
  'scarf',
  'accessories',
  'revealing-clothing',
  'exaggerated-pose',
  'hand-gesture',
  'eyes-closed',
  'prohibited-content',
  'digitally-altered',
] as const
export type PhotoDefect = (typeof photoDefects)[number]
/** Defects found on a photo; may be empty (a good photo). */
export const PhotoDefects = setOf<PhotoDefect>('PhotoDefects', photoDefects, { nonEmpty: false })
/** Reasons a photo is rejected: at least one. */
export const RejectionReasons = setOf<PhotoDefect>('RejectionReasons', photoDefects, { nonEmpty: true })

/** Rejection reasons in their canonical order (a set built in code, not decoded). */
export const sortDefects = (defects: Iterable<PhotoDefect>): ReadonlyArray<PhotoDefect> => {
  const set = new Set(defects)
  return photoDefects.filter((defect) => set.has(defect))
}

// ── composite values ──────────────────────────────────────────────────────────────────────────────

export const ValidUntil = t.union([LocalDate, t.literal('long-term')], 'ValidUntil')
export type ValidUntil = t.TypeOf<typeof ValidUntil>

export const Authority = t.exact(t.type({ code: Name, name: Name }), 'Authority')
export type Authority = t.TypeOf<typeof Authority>

export const Holder = t.exact(t.type({ accountId: Id, name: Name }), 'Holder')
export type Holder = t.TypeOf<typeof Holder>

export const actorRoles = ['holder', 'registry', 'reviewer', 'system', 'verifier', 'auditor'] as const
export type ActorRole = (typeof actorRoles)[number]
export const ActorRole = t.keyof(keysOf(actorRoles), actorRoles.join(' | '))
export const Actor = t.exact(t.type({ role: ActorRole, id: Id }), 'Actor')
export type Actor = t.TypeOf<typeof Actor>

export const changeKinds = ['class', 'expiry', 'authority'] as const
export type ChangeKind = (typeof changeKinds)[number]
export const Changes = setOf<ChangeKind>('Changes', changeKinds, { nonEmpty: false })

/** Which calendar computed a `reviewDueAt` (rule 9). */
export const CalendarRecord = t.exact(
  t.type({ id: t.string, version: t.string, fallback: t.boolean }),
  'CalendarRecord',
)
export type CalendarRecord = t.TypeOf<typeof CalendarRecord>
