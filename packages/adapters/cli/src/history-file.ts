/**
 * The history file of DESIGN §4 (export, import, audit): NDJSON, one stored event per line in
 * global order, `{ streamId, version, position, type, data, metadata }`. Writing is one
 * `JSON.stringify`; reading checks everything a store would be trusted with: the shape of every
 * field, no unknown field (a hash covers all of `metadata`, so an extra field could never have come
 * from a store), and that the event decodes, through the upcasters, as the handler will read it.
 *
 * @example
 * historyLineOf(storedEvent) // '{"streamId":"licence-11010519491231002X","version":0,"position":1,…}'
 * parseHistoryLine({ number: 3, text }) // Either<ReadonlyArray<string>, StoredEvent>
 */
import {
  Actor,
  decodeStoredEvent,
  Id,
  Instant,
  isCitizenIdNumber,
  licenceNumberOfStream,
  type StoredEvent,
  Uuid,
  validationIssues,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import type { Line } from './cli-io.js'

export const historyLineOf = (event: StoredEvent): string =>
  JSON.stringify({
    streamId: event.streamId,
    version: event.version,
    position: event.position,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
  })

interface Sha256HexBrand {
  readonly Sha256Hex: unique symbol
}
const Sha256Hex = t.brand(
  t.string,
  (value): value is t.Branded<string, Sha256HexBrand> => /^[0-9a-f]{64}$/.test(value),
  'Sha256Hex',
)

interface LicenceStreamIdBrand {
  readonly LicenceStreamId: unique symbol
}
const LicenceStreamId = t.brand(
  t.string,
  (value): value is t.Branded<string, LicenceStreamIdBrand> => {
    const licenceNumber = licenceNumberOfStream(value)
    return licenceNumber !== undefined && isCitizenIdNumber(licenceNumber)
  },
  'LicenceStreamId',
)

interface NonNegativeBrand {
  readonly NonNegative: unique symbol
}
const NonNegativeInt = t.brand(
  t.Int,
  (value): value is t.Branded<t.Int, NonNegativeBrand> => value >= 0,
  'NonNegative',
)

interface PositiveBrand {
  readonly Positive: unique symbol
}
const PositiveInt = t.brand(
  t.Int,
  (value): value is t.Branded<t.Int, PositiveBrand> => value >= 1,
  'Positive',
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

const lineFields = {
  streamId: LicenceStreamId,
  version: NonNegativeInt,
  position: PositiveInt,
  type: Id,
  data: t.unknown,
  metadata: t.type(metadataFields, 'StoredEventMetadata'),
}

const HistoryLine = t.type(lineFields, 'HistoryLine')

const unknownFields = (value: unknown, known: object, prefix: string): ReadonlyArray<string> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.keys(value)
        .filter((key) => !Object.hasOwn(known, key))
        .map((key) => `${prefix}${key}: unknown field`)
    : []

const metadataOf = (json: unknown): unknown =>
  typeof json === 'object' && json !== null && 'metadata' in json ? json.metadata : undefined

/** Every problem of one line, each naming the line; or the stored event it holds. */
export const parseHistoryLine = (line: Line): E.Either<ReadonlyArray<string>, StoredEvent> => {
  const at = `line ${line.number}`
  let json: unknown
  try {
    json = JSON.parse(line.text)
  } catch (error) {
    return E.left([`${at}: not JSON (${error instanceof Error ? error.message : String(error)})`])
  }
  const decoded = HistoryLine.decode(json)
  const unknown = [
    ...unknownFields(json, lineFields, ''),
    ...unknownFields(metadataOf(json), metadataFields, 'metadata.'),
  ]
  if (E.isLeft(decoded) || unknown.length > 0) {
    const issues = E.isLeft(decoded)
      ? validationIssues(decoded.left).map((issue) => `${issue.path}: ${issue.message}`)
      : []
    return E.left([...issues, ...unknown].map((issue) => `${at}: ${issue}`))
  }
  const event: StoredEvent = decoded.right
  const readable = decodeStoredEvent(event)
  if (E.isLeft(readable)) return E.left([`${at}: ${readable.left.message}`])
  return E.right(event)
}
