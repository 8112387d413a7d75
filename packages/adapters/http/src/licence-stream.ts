/**
 * Reading one licence's stream for a request: the licence number from the path is decoded by the
 * domain's codec, the events are read through the server's one decoder (the embedder's upcasters)
 * and folded, and a holder is let through only to a licence recorded under their own account.
 *
 * @example
 * const read = await readLicenceStreamAs({ store, decoder }, actor, licenceNumber)
 * // Right({ events, version, state, … }); 404 when never recorded; 403 for a holder of another account
 */
import {
  type Actor,
  type DecodedStoredEvent,
  type EventStore,
  fold,
  type LicenceNumber,
  LicenceNumber as LicenceNumberCodec,
  type LicenceState,
  licenceError,
  readDecodedStream,
  type StoredEvent,
  type StoredEventDecoder,
  streamIdFor,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { fromHandlerError, type HttpFailure, transportFailure } from './errors.js'

/** Where streams are read from, and how: the server's store and its one decoder. */
export interface StreamSource {
  readonly store: Pick<EventStore, 'readStream'>
  readonly decoder: StoredEventDecoder
}

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
  source: StreamSource,
  licenceNumber: LicenceNumber,
): Promise<E.Either<HttpFailure, LicenceStream>> => {
  const read = await readDecodedStream(source.store, streamIdFor(licenceNumber), source.decoder)
  if (E.isLeft(read)) return E.left(fromHandlerError(read.left))
  const { events, stored, version } = read.right
  const state = fold(events)
  if (state._tag === 'Unrecorded') {
    return E.left(
      fromHandlerError(licenceError('licence-not-found', `no licence ${licenceNumber} is recorded`)),
    )
  }
  return E.right({ licenceNumber, stored, events, version, state })
}

const notHolder = (actor: Actor, licenceNumber: string): HttpFailure =>
  fromHandlerError(
    licenceError('not-licence-holder', `account ${actor.id} does not hold licence ${licenceNumber}`),
  )

/**
 * `readLicenceStream` on behalf of an actor: a holder reaches only a licence recorded under their
 * own account, and is told 403 whether another's licence exists or not, so holders cannot probe
 * which numbers are recorded. Anyone else who got past the role policy reaches every licence.
 */
export const readLicenceStreamAs = async (
  source: StreamSource,
  actor: Actor,
  licenceNumber: LicenceNumber,
): Promise<E.Either<HttpFailure, LicenceStream>> =>
  readAs(actor, licenceNumber, await readLicenceStream(source, licenceNumber))

/** A read of a licence (its state folded), as `actor` may see it: `readLicenceStreamAs`'s rule. */
export const readAs = <R extends { readonly state: LicenceState }>(
  actor: Actor,
  licenceNumber: LicenceNumber,
  read: E.Either<HttpFailure, R>,
): E.Either<HttpFailure, R> => {
  if (actor.role !== 'holder') return read
  if (E.isLeft(read)) return read.left.status === 404 ? E.left(notHolder(actor, licenceNumber)) : read
  const { state } = read.right
  return state._tag === 'Recorded' && state.licence.holder.accountId === actor.id
    ? read
    : E.left(notHolder(actor, licenceNumber))
}
