/**
 * Reading one licence's stream for a request: the licence number from the path is decoded by the
 * domain's codec, the events are decoded (through the upcasters) and folded, and a holder is let
 * through only to a licence recorded under their own account.
 *
 * @example
 * const read = await readLicenceStreamAs(store, actor, licenceNumber)
 * // Right({ events, version, state, … }); 404 when never recorded; 403 for a holder of another account
 */
import {
  type Actor,
  type DecodedStoredEvent,
  decodeStoredEvent,
  type EventStore,
  fold,
  type LicenceNumber,
  LicenceNumber as LicenceNumberCodec,
  type LicenceState,
  licenceError,
  type StoredEvent,
  streamIdFor,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { fromLicenceError, type HttpFailure, transportFailure } from './errors.js'

export interface LicenceStream {
  readonly licenceNumber: LicenceNumber
  /** As stored: what `/events` returns. */
  readonly stored: ReadonlyArray<StoredEvent>
  /** Decoded and upcast: what views and the decider fold. */
  readonly events: ReadonlyArray<DecodedStoredEvent>
  readonly version: number
  readonly state: LicenceState
}

export const parseLicenceNumber = (value: unknown, path: string): E.Either<HttpFailure, LicenceNumber> =>
  LicenceNumberCodec.is(value)
    ? E.right(value)
    : E.left(
        transportFailure(400, 'invalid-request', 'invalid licence number', [
          {
            path,
            message: `expected an 18-character citizen ID number with a valid check character, got ${JSON.stringify(value)?.slice(0, 60)}`,
          },
        ]),
      )

/** Reads and folds the stream; a licence never recorded is 404. */
export const readLicenceStream = async (
  store: EventStore,
  licenceNumber: LicenceNumber,
): Promise<E.Either<HttpFailure, LicenceStream>> => {
  const read = await store.readStream(streamIdFor(licenceNumber))
  if (E.isLeft(read)) return E.left(fromLicenceError(licenceError(read.left.code, read.left.message)))
  const events: DecodedStoredEvent[] = []
  for (const stored of read.right.events) {
    const decoded = decodeStoredEvent(stored)
    if (E.isLeft(decoded))
      return E.left(fromLicenceError(licenceError(decoded.left.code, decoded.left.message)))
    events.push(decoded.right)
  }
  const state = fold(events)
  if (state._tag === 'Unrecorded') {
    return E.left(
      fromLicenceError(licenceError('licence-not-found', `no licence ${licenceNumber} is recorded`)),
    )
  }
  return E.right({ licenceNumber, stored: read.right.events, events, version: read.right.version, state })
}

const notHolder = (actor: Actor, licenceNumber: string): HttpFailure =>
  fromLicenceError(
    licenceError('not-licence-holder', `account ${actor.id} does not hold licence ${licenceNumber}`),
  )

/**
 * `readLicenceStream` on behalf of an actor: a holder reaches only a licence recorded under their
 * own account, and is told 403 whether another's licence exists or not, so holders cannot probe
 * which numbers are recorded. Anyone else who got past the role policy reaches every licence.
 */
export const readLicenceStreamAs = async (
  store: EventStore,
  actor: Actor,
  licenceNumber: LicenceNumber,
): Promise<E.Either<HttpFailure, LicenceStream>> => {
  const read = await readLicenceStream(store, licenceNumber)
  if (actor.role !== 'holder') return read
  if (E.isLeft(read)) return read.left.status === 404 ? E.left(notHolder(actor, licenceNumber)) : read
  const { state } = read.right
  return state._tag === 'Recorded' && state.licence.holder.accountId === actor.id
    ? read
    : E.left(notHolder(actor, licenceNumber))
}
