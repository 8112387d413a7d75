/**
 * The one codec of a stored event (DESIGN §2, §4): `{ streamId, version, position, type, data,
 * metadata }` with every metadata field of the port, hashes as lowercase hex. It decides what a
 * stored event is for every reader — the handler, the projections, the HTTP API, the auditor and the
 * history file — so a store's row and a line of a history file are held to the same rules. No field
 * beyond these is accepted: a hash covers all of `metadata`, so an extra field could never have come
 * from a store that sealed it.
 *
 * `data` is left to the event codecs (`decodeStoredEvent` in decoder.ts, after the upcasters).
 *
 * @example
 * decodeStoredEventShape(JSON.parse(line)) // Either<ReadonlyArray<InvalidInputIssue>, StoredEvent>
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { validationIssues } from '../licence/commands.js'
import type { InvalidInputIssue } from '../licence/errors.js'
import { describeCodec } from '../licence/json-schema.js'
import { Actor, Id, Instant, isCitizenIdNumber, Uuid } from '../licence/values.js'
import type { StoredEvent, StoredEventMetadata } from '../store/port.js'
import { licenceNumberOfStream } from '../store/streams.js'

export interface Sha256HexBrand {
  readonly Sha256Hex: unique symbol
}
const sha256HexPattern = /^[0-9a-f]{64}$/
// One entry per UTF-16 code unit, 1 for a lowercase hex digit: a load per character, where two
// ranges compared took twice as long (85 ns against 280 ns a digest, measured), and no code unit
// falls outside it.
const isLowerHexDigit = new Uint8Array(0x10000)
for (const digit of '0123456789abcdef') isLowerHexDigit[digit.charCodeAt(0)] = 1
/** `sha256HexPattern.test(value)` by character codes: the auditor tests three digests of every event. */
const isSha256Hex = (value: string): boolean => {
  if (value.length !== 64) return false
  for (let index = 0; index < 64; index++) if (isLowerHexDigit[value.charCodeAt(index)] !== 1) return false
  return true
}
/** A SHA-256 digest as 64 lowercase hex digits. */
export const Sha256Hex = describeCodec(
  t.brand(t.string, (value): value is t.Branded<string, Sha256HexBrand> => isSha256Hex(value), 'Sha256Hex'),
  { pattern: sha256HexPattern.source, description: 'A SHA-256 digest, 64 lowercase hex digits.' },
)

interface LicenceStreamIdBrand {
  readonly LicenceStreamId: unique symbol
}
/** `licence-<licenceNumber>` with a valid citizen ID number. */
export const LicenceStreamId = describeCodec(
  t.brand(
    t.string,
    (value): value is t.Branded<string, LicenceStreamIdBrand> => {
      const licenceNumber = licenceNumberOfStream(value)
      return licenceNumber !== undefined && isCitizenIdNumber(licenceNumber)
    },
    'LicenceStreamId',
  ),
  {
    pattern: '^licence-[0-9]{17}[0-9X]$',
    description: '`licence-<licenceNumber>`; the number ends in its GB 11643 check character.',
  },
)

interface NonNegativeBrand {
  readonly NonNegative: unique symbol
}
const NonNegativeInt = describeCodec(
  t.brand(t.Int, (value): value is t.Branded<t.Int, NonNegativeBrand> => value >= 0, 'NonNegative'),
  // t.Int states no schema of its own: the integer is said here, over a number's.
  { type: 'integer', minimum: 0 },
  t.number,
)

interface PositiveBrand {
  readonly Positive: unique symbol
}
const PositiveInt = describeCodec(
  t.brand(t.Int, (value): value is t.Branded<t.Int, PositiveBrand> => value >= 1, 'Positive'),
  { type: 'integer', minimum: 1 },
  t.number,
)

const metadataFields = {
  eventId: Id,
  commandId: Uuid,
  commandHash: Sha256Hex,
  actor: Actor,
  at: Instant,
  recordedAt: Instant,
  schemaVersion: PositiveInt,
  rulesVersion: Id,
  prevHash: Sha256Hex,
  hash: Sha256Hex,
}

export const StoredEventMetadataCodec = t.type(metadataFields, 'StoredEventMetadata')

const storedEventFields = {
  streamId: LicenceStreamId,
  version: NonNegativeInt,
  position: PositiveInt,
  type: Id,
  data: t.unknown,
  metadata: StoredEventMetadataCodec,
}

export const StoredEventCodec = t.type(storedEventFields, 'StoredEvent')

export const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const unknownFields = (value: unknown, known: object, prefix: string): ReadonlyArray<InvalidInputIssue> =>
  isRecord(value)
    ? Object.keys(value)
        .filter((key) => !Object.hasOwn(known, key))
        .map((key) => ({ path: `${prefix}${key}`, message: 'unknown field' }))
    : []

const hasOnlyKnownFields = (value: unknown, known: object): boolean => {
  if (!isRecord(value)) return false
  for (const key in value) if (!Object.hasOwn(known, key)) return false
  return true
}

/**
 * `StoredEventMetadataCodec.is`, each member tested by its own codec at a call site of its own.
 * `t.type`'s `is` tests members in one loop (`types[i].is(u[k])`), where every load and call sees
 * every codec and every name: V8 then looks each up the slow (megamorphic) way, and the auditor
 * tests every stored event. Every codec here refuses `undefined`, so a missing member fails as
 * in `t.type`. Held to the codec by property tests (stored-event.test.ts).
 */
const isStoredMetadata = (value: unknown): value is StoredEventMetadata => {
  if (!isRecord(value)) return false
  const {
    eventId,
    commandId,
    commandHash,
    actor,
    at,
    recordedAt,
    schemaVersion,
    rulesVersion,
    prevHash,
    hash,
  } = value
  return (
    metadataFields.eventId.is(eventId) &&
    metadataFields.commandId.is(commandId) &&
    metadataFields.commandHash.is(commandHash) &&
    metadataFields.actor.is(actor) &&
    metadataFields.at.is(at) &&
    metadataFields.recordedAt.is(recordedAt) &&
    metadataFields.schemaVersion.is(schemaVersion) &&
    metadataFields.rulesVersion.is(rulesVersion) &&
    metadataFields.prevHash.is(prevHash) &&
    metadataFields.hash.is(hash)
  )
}

const unreadable: unique symbol = Symbol('stored text that is not JSON')

/** What a store read in place of JSON: its text did not parse. JSON holds no symbol, so no value is one. */
export interface UnreadableJson {
  readonly [unreadable]: string
}

const unreadableReason = (value: unknown): string | undefined =>
  typeof value === 'object' && value !== null ? (value as Partial<UnreadableJson>)[unreadable] : undefined

/**
 * A stored column's JSON text as a value, or, for text that does not parse (a file edited behind
 * the store), a value this codec refuses naming the column and why: the event is then reported at
 * its stream, version and position like any other corrupt event, rather than failing the whole read.
 */
export const storedJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch (error) {
    return { [unreadable]: error instanceof Error ? error.message : String(error) } satisfies UnreadableJson
  }
}

/** `StoredEventCodec.is`, likewise; `data` is any value, but a member all the same (own, if undefined). */
const isStoredEvent = (value: unknown): value is StoredEvent => {
  if (!isRecord(value)) return false
  const { streamId, version, position, type, data, metadata } = value
  return (
    storedEventFields.streamId.is(streamId) &&
    storedEventFields.version.is(version) &&
    storedEventFields.position.is(position) &&
    storedEventFields.type.is(type) &&
    (data !== undefined || Object.hasOwn(value, 'data')) &&
    unreadableReason(data) === undefined &&
    isStoredMetadata(metadata)
  )
}

/** Each field of the codecs has its test above: a field added to one and not the other does not compile. */
const _testedFields: {
  readonly [K in keyof typeof storedEventFields | keyof typeof metadataFields]: true
} = {
  streamId: true,
  version: true,
  position: true,
  type: true,
  data: true,
  metadata: true,
  eventId: true,
  commandId: true,
  commandHash: true,
  actor: true,
  at: true,
  recordedAt: true,
  schemaVersion: true,
  rulesVersion: true,
  prevHash: true,
  hash: true,
}

/**
 * Every problem of a value that should be a stored event, by path; or the stored event. The common
 * case, a sound event, takes the codec's `is` (no error objects built); only a failing one is
 * decoded again for its issues.
 */
export const decodeStoredEventShape = (
  value: unknown,
): E.Either<ReadonlyArray<InvalidInputIssue>, StoredEvent> => {
  if (
    isStoredEvent(value) &&
    hasOnlyKnownFields(value, storedEventFields) &&
    hasOnlyKnownFields(value.metadata, metadataFields)
  ) {
    return E.right(value)
  }
  const unparsed = (['data', 'metadata'] as const).flatMap((column) => {
    const reason = isRecord(value) ? unreadableReason(value[column]) : undefined
    return reason === undefined
      ? []
      : [{ path: column, message: `the store holds text that is not JSON (${reason})` }]
  })
  if (unparsed.length > 0) return E.left(unparsed)
  const decoded = StoredEventCodec.decode(value)
  const metadata = isRecord(value) ? value.metadata : undefined
  const issues = [
    ...(E.isLeft(decoded) ? validationIssues(decoded.left) : []),
    // `t.unknown` takes a missing `data` as undefined: said here, as `isStoredEvent` refuses it.
    ...(isRecord(value) && !Object.hasOwn(value, 'data')
      ? [{ path: 'data', message: 'expected a JSON value, got nothing' }]
      : []),
    ...unknownFields(value, storedEventFields, ''),
    ...unknownFields(metadata, metadataFields, 'metadata.'),
  ]
  return E.left(issues.length > 0 ? issues : [{ path: '(root)', message: 'not a stored event' }])
}
