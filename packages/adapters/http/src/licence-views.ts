/**
 * A licence's state and e-licence view for a request, without reading and decoding its whole stream
 * each time: the folds of recently read streams are kept with the version and hash of the last
 * event folded, and the next read asks the store only for what came after (`readStreamAfter`), in
 * one read that also hands back the hash of that last event. What is new is decoded, its links
 * checked from the kept head, and folded on; so a request always sees the stream as the store holds
 * it at its read, never an older fold. A fold is only ever a starting point: when the store's event
 * at the kept version has another hash (or is gone), or the store cannot read after a version, the
 * stream is read, decoded and folded whole, as `readLicenceStream` does. Bounded: past `capacity`
 * streams the least recently used is forgotten (`streamStateCache`, the command handler's). The
 * holder rule is `readLicenceStreamAs`'s.
 *
 * @example
 * const views = licenceViews({ store, decoder }, 10_000)
 * await views.readAs(actor, licenceNumber) // Right({ version, state, view }); 404 / 403 as readLicenceStreamAs
 */
import {
  type Actor,
  type DecodedStoredEvent,
  type EventStore,
  type FoldedStream,
  fold,
  headAfter,
  type LicenceNumber,
  type LicenceState,
  readDecodedStreamAfter,
  streamIdFor,
  streamStart,
  streamStateCache,
} from '@elicence/domain'
import { type ELicenceViewState, eLicenceView, foldView } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { fromHandlerError, type HttpFailure } from './errors.js'
import { readAs, readLicenceStream, type StreamSource } from './licence-stream.js'

export interface LicenceViewRead {
  /** The version of the stream's last event. */
  readonly version: number
  readonly state: LicenceState
  readonly view: ELicenceViewState
}

export interface LicenceViews {
  /** The licence as the store holds it now; 404 when never recorded, 403 for another holder. */
  readonly readAs: (
    actor: Actor,
    licenceNumber: LicenceNumber,
  ) => Promise<E.Either<HttpFailure, LicenceViewRead>>
}

/** Streams whose folds are kept by default: a few KiB each. */
export const defaultLicenceViewCapacity = 10_000

interface FoldedView extends FoldedStream {
  readonly view: ELicenceViewState
}

/** `from` folded on with the events that came after it. */
const foldedOn = (from: FoldedView, events: ReadonlyArray<DecodedStoredEvent>): FoldedView => {
  const last = events[events.length - 1]
  if (last === undefined) return from
  return {
    version: last.version,
    head: headAfter(last),
    state: fold(events, from.state),
    view: foldView(eLicenceView, events, from.view),
  }
}

export const licenceViews = (
  source: StreamSource & { readonly store: Pick<EventStore, 'readStreamAfter'> },
  capacity: number = defaultLicenceViewCapacity,
): LicenceViews => {
  const kept = streamStateCache<FoldedView>(capacity)

  const whole = async (licenceNumber: LicenceNumber): Promise<E.Either<HttpFailure, FoldedView>> => {
    const read = await readLicenceStream(source, licenceNumber)
    if (E.isLeft(read)) return read
    const { events, state, version } = read.right
    const last = events[events.length - 1]
    return E.right({
      version,
      head: last === undefined ? streamStart : headAfter(last),
      state,
      view: foldView(eLicenceView, events),
    })
  }

  const read = async (licenceNumber: LicenceNumber): Promise<E.Either<HttpFailure, FoldedView>> => {
    const streamId = streamIdFor(licenceNumber)
    const from = kept.get(streamId)
    const since =
      from === undefined
        ? E.right(undefined)
        : await readDecodedStreamAfter(source.store, streamId, from.head, source.decoder)
    if (E.isLeft(since)) {
      kept.forget(streamId)
      return E.left(fromHandlerError(since.left))
    }
    const folded =
      from === undefined || since.right === undefined
        ? await whole(licenceNumber)
        : E.right(foldedOn(from, since.right.events))
    // A stream read whole that is not recorded (404) is not kept: a kept fold is of a recorded licence.
    if (E.isLeft(folded)) {
      kept.forget(streamId)
      return folded
    }
    kept.keep(streamId, folded.right)
    return folded
  }

  return {
    readAs: async (actor, licenceNumber) => readAs(actor, licenceNumber, await read(licenceNumber)),
  }
}
