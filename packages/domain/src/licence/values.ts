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
import { describeCodec } from './json-schema.js'
import { brandedString, exactType, oneOf, plain, setOf } from './rule-codecs.js'

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

/** The holder's date of birth a citizen ID number states (GB 11643: digits 7 to 14), as `YYYY-MM-DD`. */
export const birthDateOf = (licenceNumber: string): string =>
  `${licenceNumber.slice(6, 10)}-${licenceNumber.slice(10, 12)}-${licenceNumber.slice(12, 14)}`

export interface LicenceNumberBrand {
  readonly LicenceNumber: unique symbol
}
export const LicenceNumber = brandedString<LicenceNumberBrand, 'LicenceNumber'>('LicenceNumber', {
  pattern: citizenIdPattern,
  check: {
    // A number whose check character fits but whose birth date is no date (1949-13-31) is no
    // citizen ID: the credential would certify a birth date that does not exist.
    isValid: (value) =>
      citizenIdCheckCharacter(value) === value.charAt(17) && isLocalDate(birthDateOf(value)),
    beyondSchema:
      'The server also verifies the check character (ISO 7064 MOD 11-2 over the first 17 digits) and that digits 7 to 14 are a real date of birth (YYYYMMDD), which a JSON Schema pattern cannot express.',
  },
  description:
    'The holder’s 18-character citizen ID number (GB 11643: region, date of birth, sequence, check character), `X` upper case.',
  examples: ['11010519491231002X'],
})
export type LicenceNumber = t.TypeOf<typeof LicenceNumber>
export const isCitizenIdNumber = (value: string): boolean => LicenceNumber.is(value)

// ── dates and instants ─────────────────────────────────────────────────────────────────────────────

// A real calendar date as a pattern, so JSON Schema states it too: months of 31 and of 30 days, a
// February of 28, and 29 February in leap years (divisible by 4, centuries only when by 400).
const anyYear = '\\d{4}'
const dayOfMonth = `(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))`
const leapYear = '(?:\\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)'
const localDateSource = `(?:${anyYear}-${dayOfMonth}|${leapYear}-02-29)`
const localDatePattern = new RegExp(`^${localDateSource}$`)

export const isLocalDate = (value: string): boolean => localDatePattern.test(value)

export interface LocalDateBrand {
  readonly LocalDate: unique symbol
}
/** `YYYY-MM-DD`, a real calendar date. */
export const LocalDate = brandedString<LocalDateBrand, 'LocalDate'>('LocalDate', {
  pattern: localDatePattern,
  format: 'date',
  description: '`YYYY-MM-DD`, a real calendar date (2026-02-30 is refused).',
  examples: ['2020-03-15'],
})
export type LocalDate = t.TypeOf<typeof LocalDate>

const instantPattern = new RegExp(
  `^${localDateSource}T(?:[01]\\d|2[0-3]):[0-5]\\d(?::[0-5]\\d(?:\\.\\d{1,9})?)?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)$`,
)

// Every string of this pattern is one `Date.parse` reads (years 0000–9999): the pattern says it all.
export const isInstant = (value: string): boolean => instantPattern.test(value)

export interface InstantBrand {
  readonly Instant: unique symbol
}
/** ISO-8601 instant with an explicit offset or `Z`: a time without one is ambiguous and refused. */
export const Instant = brandedString<InstantBrand, 'Instant'>('Instant', {
  pattern: instantPattern,
  description:
    'An ISO-8601 instant with an explicit offset or `Z` (seconds and up to 9 fraction digits optional); one without an offset is refused.',
  examples: ['2026-10-01T09:00:00+08:00'],
})
export type Instant = t.TypeOf<typeof Instant>

// ── identifiers ───────────────────────────────────────────────────────────────────────────────────

const uuidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
export interface UuidBrand {
  readonly Uuid: unique symbol
}
export const Uuid = brandedString<UuidBrand, 'Uuid'>('Uuid', {
  pattern: uuidPattern,
  format: 'uuid',
  description: 'A UUID.',
})
export type Uuid = t.TypeOf<typeof Uuid>

/**
 * A command's id: a UUID in any case, decoded to lower case. RFC 9562 §4 reads UUIDs without regard
 * to case, so `…-ABCDEF…` and `…-abcdef…` are one id: a command re-sent with its id in the other
 * case replays instead of being applied twice. Lower case is the form RFC 9562 writes, and the one
 * stored. Its `is` holds for lower case only, the form `decode` returns unchanged.
 */
export const CommandId = describeCodec(
  new t.Type<Uuid, string, unknown>(
    'CommandId',
    (input): input is Uuid => Uuid.is(input) && input === input.toLowerCase(),
    (input, context) => {
      const decoded = Uuid.validate(input, context)
      return decoded._tag === 'Left' ? decoded : t.success(decoded.right.toLowerCase() as Uuid)
    },
    (id) => id,
  ),
  { description: 'A UUID, in either case: read without regard to case (RFC 9562), stored in lower case.' },
  Uuid,
)

export interface IdBrand {
  readonly Id: unique symbol
}
// Control characters (C0, DEL, C1) in an id or a name are a client's bug or an attack on whatever
// shows it (a terminal, a log line); no id or name needs one.
const noControlCharacters = '[^\\u0000-\\u001f\\u007f-\\u009f]'

/** applicationId, photo id, accountId and the like: non-empty, at most 128 characters, none a control character. */
export const Id = brandedString<IdBrand, 'Id'>('Id', {
  pattern: new RegExp(`^${noControlCharacters}*$`),
  minLength: 1,
  maxLength: 128,
  text: true,
  description: 'A non-empty id, with no control character.',
})
export type Id = t.TypeOf<typeof Id>

export interface NameBrand {
  readonly Name: unique symbol
}
/** A person's or an authority's name: non-blank, at most 128 characters, none a control character. */
export const Name = brandedString<NameBrand, 'Name'>('Name', {
  // Not only white space (`\S` is exactly what `String.prototype.trim` keeps), and no control character.
  pattern: new RegExp(`^(?=[\\s\\S]*\\S)${noControlCharacters}*$`),
  maxLength: 128,
  text: true,
  description: 'A name, not blank, with no control character.',
})
export type Name = t.TypeOf<typeof Name>

// ── sets ──────────────────────────────────────────────────────────────────────────────────────────

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
export const LicenceClass = oneOf(licenceClasses, 'LicenceClass')
export const LicenceClasses = setOf<LicenceClass>('LicenceClasses', licenceClasses, {
  nonEmpty: true,
  description: '准驾车型: the classes of vehicle the licence allows, at least one.',
})

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
export const LicenceStatus = oneOf(licenceStatuses, 'LicenceStatus')
export const LicenceStatuses = setOf<LicenceStatus>('LicenceStatuses', licenceStatuses, {
  nonEmpty: true,
  alone: { member: 'A', message: 'status A (normal) only stands alone' },
  description: '驾驶证状态 (GA 581.5 letters), at least one; `A` (normal) only stands alone.',
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
export const PhotoDefects = setOf<PhotoDefect>('PhotoDefects', photoDefects, {
  nonEmpty: false,
  description: 'Defects found on a photo; empty for a good one.',
})
/** Reasons a photo is rejected: at least one. */
export const RejectionReasons = setOf<PhotoDefect>('RejectionReasons', photoDefects, {
  nonEmpty: true,
  description: 'Why a photo is rejected, at least one defect.',
})

/** Rejection reasons in their canonical order (a set built in code, not decoded). */
export const sortDefects = (defects: Iterable<PhotoDefect>): ReadonlyArray<PhotoDefect> => {
  const set = new Set(defects)
  return photoDefects.filter((defect) => set.has(defect))
}

// ── composite values ──────────────────────────────────────────────────────────────────────────────

export const ValidUntil = t.union([LocalDate, t.literal('long-term')], 'ValidUntil')
export type ValidUntil = t.TypeOf<typeof ValidUntil>

export const Authority = exactType({ code: Name, name: Name }, 'Authority')
export type Authority = t.TypeOf<typeof Authority>

export const Holder = exactType({ accountId: Id, name: Name }, 'Holder')
export type Holder = t.TypeOf<typeof Holder>

export const actorRoles = ['holder', 'registry', 'reviewer', 'system', 'verifier', 'auditor'] as const
export type ActorRole = (typeof actorRoles)[number]
export const ActorRole = oneOf(actorRoles, actorRoles.join(' | '))
export const Actor = exactType({ role: ActorRole, id: Id }, 'Actor')
export type Actor = t.TypeOf<typeof Actor>

export const changeKinds = ['class', 'expiry', 'authority'] as const
export type ChangeKind = (typeof changeKinds)[number]
export const Changes = setOf<ChangeKind>('Changes', changeKinds, {
  nonEmpty: false,
  description:
    'What a renewal changed: `class` (the set of classes), `expiry` (validFrom or validUntil), `authority` (its code).',
})

/** Which calendar computed a `reviewDueAt` (rule 9). */
export const CalendarRecord = exactType(
  { id: t.string, version: t.string, fallback: t.boolean },
  'CalendarRecord',
)
export type CalendarRecord = t.TypeOf<typeof CalendarRecord>

// ── values of read models and stored events ───────────────────────────────────────────────────────

/** A count or a position: a non-negative safe integer. */
export const Count = plain(
  'Count',
  (input): input is number => typeof input === 'number' && Number.isSafeInteger(input) && input >= 0,
  { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
)
