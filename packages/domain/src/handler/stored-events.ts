/**
 * Decoding stored events on read, through schema upcasters. Stored events are never trusted: each
 * is decoded by its codec, and one that fails stops the read with an error naming its stream and
 * version. Events written under an older `schemaVersion` are first brought to the current shape.
 *
 * Schema history:
 * - 1: `ELicenceApplied` and `PhotoSubmitted` had no `calendar` (the calendar that computed
 *   `reviewDueAt`); the only calendar then was the State Council schedule, without fallback.
 * - 2: current.
 *
 * @example
 * decodeStoredEvent(storedEvent) // Either<CorruptEvent, DecodedStoredEvent>
 */
import * as E from 'fp-ts/lib/Either.js'
import { chinaMainlandCalendarId } from '../calendar/calendar.js'
import { decodeEvent, type LicenceEvent } from '../licence/events.js'
import { type CorruptEvent, corruptEvent, type StoredEvent } from '../store/port.js'

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

export const upcasters: Upcasters = { 1: addCalendarRecord }

export type DecodedStoredEvent = Omit<StoredEvent, 'type' | 'data'> & LicenceEvent

export const decodeStoredEvent = (
  stored: StoredEvent,
  using: Upcasters = upcasters,
): E.Either<CorruptEvent, DecodedStoredEvent> => {
  const schemaVersion = stored.metadata?.schemaVersion
  if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 1) {
    return E.left(
      corruptEvent(stored.streamId, stored.version, `schemaVersion ${String(schemaVersion)} is not valid`),
    )
  }
  if (schemaVersion > currentSchemaVersion) {
    return E.left(
      corruptEvent(
        stored.streamId,
        stored.version,
        `schemaVersion ${schemaVersion} is newer than this build reads (${currentSchemaVersion})`,
      ),
    )
  }
  let shape: { readonly type: string; readonly data: unknown } = { type: stored.type, data: stored.data }
  for (let version = schemaVersion; version < currentSchemaVersion; version++) {
    const upcast = using[version]
    if (upcast !== undefined) shape = upcast(shape)
  }
  const decoded = decodeEvent(shape)
  if (E.isLeft(decoded)) return E.left(corruptEvent(stored.streamId, stored.version, decoded.left))
  return E.right({ ...stored, type: decoded.right.type, data: decoded.right.data } as DecodedStoredEvent)
}
