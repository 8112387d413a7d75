/**
 * The one decoder of stored events (DESIGN §4, "Reading history"). Stored events are never
 * trusted: each must have the stored-event shape (stored-event.ts), a schema version this build
 * reads, and, brought to the current schema by the upcasters, decode by its event codec. One that
 * fails stops the read with a `corrupt-event` naming its stream and version. The embedder's
 * upcasters are bound once, in `storedEventDecoder`; every reader is handed the decoder, not the
 * upcasters, so one set of upcasters applies to every read or to none.
 *
 * Schema history:
 * - 1: `ELicenceApplied` and `PhotoSubmitted` had no `calendar` (the calendar that computed
 *   `reviewDueAt`); the only calendar then was the State Council schedule, without fallback.
 * - 2: current.
 *
 * @example
 * // Events an embedder wrote under schema 1 in a shape of its own: fix them, then the built-in 1 → 2.
 * const decoder = storedEventDecoder({ upcasters: { 1: (event) => builtIn1(fixMine(event)) } })
 * commandHandler({ store, decider, decoder }); projectionRunner({ events: store, readModels, decoder })
 * decoder.decode(storedEvent) // Either<CorruptEvent, DecodedStoredEvent>
 */
import * as E from 'fp-ts/lib/Either.js'
import { chinaMainlandCalendarId } from '../calendar/calendar.js'
import { decodeEvent, type LicenceEvent } from '../licence/events.js'
import { type CorruptEvent, corruptEvent, type StoredEvent } from '../store/port.js'
import { decodeStoredEventShape, isRecord } from './stored-event.js'

export const currentSchemaVersion = 2

/** Brings an event's `{type, data}` from one schema version to the next. */
export type Upcaster = (event: { readonly type: string; readonly data: unknown }) => {
  readonly type: string
  readonly data: unknown
}

/** `upcasters[n]` upcasts from version n to n + 1. */
export type Upcasters = Readonly<Record<number, Upcaster>>

const addCalendarRecord: Upcaster = (event) =>
  (event.type === 'ELicenceApplied' || event.type === 'PhotoSubmitted') &&
  typeof event.data === 'object' &&
  event.data !== null &&
  !('calendar' in event.data)
    ? {
        type: event.type,
        data: {
          ...event.data,
          calendar: { id: chinaMainlandCalendarId, version: 'schema-1', fallback: false },
        },
      }
    : event

/** The upcasters of this build; an embedder's replace them (spread these in to keep them). */
export const upcasters: Upcasters = { 1: addCalendarRecord }

export type DecodedStoredEvent = Omit<StoredEvent, 'type' | 'data'> & LicenceEvent

export interface StoredEventDecoder {
  /** `stored` is untrusted: anything a store or a file handed over. */
  readonly decode: (stored: unknown) => E.Either<CorruptEvent, DecodedStoredEvent>
  /**
   * `decode` for a reader that has checked the shape itself (`decodeStoredEventShape`, as the
   * auditor does before it checks the chain): upcasts and decodes `type` and `data` only.
   */
  readonly decodeShaped: (stored: StoredEvent) => E.Either<CorruptEvent, DecodedStoredEvent>
}

export interface StoredEventDecoderOptions {
  /** Default: this build's `upcasters`. */
  readonly upcasters?: Upcasters
}

const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined

/** Where an event that is not even a stored event claims to be, for the error. */
const claimedPlace = (value: unknown): { readonly streamId: string; readonly version: number } => {
  const streamId = field(value, 'streamId')
  const version = field(value, 'version')
  return {
    streamId: typeof streamId === 'string' ? streamId : '',
    version: typeof version === 'number' ? version : -1,
  }
}

/** Issues of the shape as one line, e.g. for a `corrupt-event` message. */
export const shapeProblems = (
  issues: ReadonlyArray<{ readonly path: string; readonly message: string }>,
): string => issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')

const upcastOrProblem = (
  upcast: Upcaster,
  event: { readonly type: string; readonly data: unknown },
): { readonly type: string; readonly data: unknown } | string => {
  let upcasted: unknown
  try {
    upcasted = upcast(event)
  } catch (error) {
    return `threw ${error instanceof Error ? error.message : String(error)}`
  }
  return typeof upcasted === 'object' &&
    upcasted !== null &&
    typeof (upcasted as { type?: unknown }).type === 'string'
    ? (upcasted as { readonly type: string; readonly data: unknown })
    : 'answered with no { type, data }'
}

/**
 * The members of `stored` that decoding dropped (`t.exact` strips what an event's codec does not
 * have), by path. A set that decoding put in order is the same set, so items are not compared for
 * their order; only objects within them for their members.
 */
const droppedMembers = (stored: unknown, decoded: unknown, path: string): ReadonlyArray<string> => {
  if (stored === decoded) return []
  if (isRecord(stored) && isRecord(decoded))
    return Object.keys(stored).flatMap((key) =>
      Object.hasOwn(decoded, key)
        ? droppedMembers(stored[key], decoded[key], `${path}.${key}`)
        : [`${path}.${key}`],
    )
  if (Array.isArray(stored) && Array.isArray(decoded) && stored.length === decoded.length)
    return stored.flatMap((item, index) => droppedMembers(item, decoded[index], `${path}[${index}]`))
  return []
}

export const storedEventDecoder = (options: StoredEventDecoderOptions = {}): StoredEventDecoder => {
  const using = options.upcasters ?? upcasters
  const decodeShaped = (stored: StoredEvent): E.Either<CorruptEvent, DecodedStoredEvent> => {
    const { schemaVersion } = stored.metadata
    if (schemaVersion > currentSchemaVersion) {
      return E.left(
        corruptEvent(
          stored.streamId,
          stored.version,
          `schemaVersion ${schemaVersion} is newer than this build reads (${currentSchemaVersion})`,
        ),
      )
    }
    // An event of the current schema is read as stored (`decodeEvent` reads its type and data only);
    // an older one goes through the upcasters as `{ type, data }`.
    let shape: { readonly type: string; readonly data: unknown } = stored
    for (let version = schemaVersion; version < currentSchemaVersion; version++) {
      if (version === schemaVersion) shape = { type: stored.type, data: stored.data }
      const upcast = using[version]
      if (upcast === undefined) continue
      // An embedder's upcaster that throws, or answers with no `{ type, data }`, cannot read this
      // event: that is the event's corruption to report, by stream and version, not a crash.
      const upcasted = upcastOrProblem(upcast, shape)
      if (typeof upcasted === 'string')
        return E.left(
          corruptEvent(stored.streamId, stored.version, `the upcaster from schema ${version}: ${upcasted}`),
        )
      shape = upcasted
    }
    const decoded = decodeEvent(shape)
    if (E.isLeft(decoded)) return E.left(corruptEvent(stored.streamId, stored.version, decoded.left))
    const { type, data } = decoded.right
    // An event of the current schema is stored as this build wrote it: a member its codec does not
    // have (which decoding strips) is data no decision made, though the hash covers it all the same.
    if (schemaVersion === currentSchemaVersion && data !== stored.data) {
      const dropped = droppedMembers(stored.data, data, 'data')
      if (dropped.length > 0)
        return E.left(
          corruptEvent(
            stored.streamId,
            stored.version,
            `${type} has no member ${dropped.slice(0, 5).join(', ')}${dropped.length > 5 ? ', …' : ''}`,
          ),
        )
    }
    // A sound event of the current schema decodes to its own type and data (`decodeUnchanged`): then
    // the stored event is the decoded one, not copied (the auditor and the replays decode every event).
    if (type === stored.type && data === stored.data) return E.right(stored as DecodedStoredEvent)
    return E.right({ ...stored, type, data } as DecodedStoredEvent)
  }
  return {
    decode: (value) => {
      const shaped = decodeStoredEventShape(value)
      if (E.isRight(shaped)) return decodeShaped(shaped.right)
      const { streamId, version } = claimedPlace(value)
      return E.left(corruptEvent(streamId, version, `not a stored event: ${shapeProblems(shaped.left)}`))
    },
    decodeShaped,
  }
}

/** The decoder with this build's upcasters: what a reader uses when the embedder gave none. */
export const defaultStoredEventDecoder: StoredEventDecoder = storedEventDecoder()
