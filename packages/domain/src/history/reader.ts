/**
 * The one reader of decoded history (DESIGN §4, "Reading history"), over the port's stream read and
 * its global read (or a partition of it), through one `StoredEventDecoder`. A stream read also
 * checks that the stream's events link up — versions from 0, each `prevHash` the hash before it —
 * which costs no hashing; a global read leaves the links to its reader, which keeps each stream's
 * head (`ChainHead`) across pages. An event that fails either stops the read with a
 * `corrupt-event`: nothing is skipped.
 *
 * @example
 * const stream = await readDecodedStream(store, 'licence-11010519491231002X', decoder)
 * for await (const page of decodedPages(store, { after: 0, pageSize: 500 }, decoder)) {
 *   if (isLeft(page)) return page
 *   for (const event of page.right.events) apply(event)
 * }
 */
import * as E from 'fp-ts/lib/Either.js'
import { type ChainHead, headAfter, linkBreaks, streamStart } from '../integrity/hash-chain.js'
import {
  type AllRead,
  type CorruptEvent,
  corruptEvent,
  type EventStore,
  type Partition,
  type StoredEvent,
  type StoreError,
  storeFailure,
} from '../store/port.js'
import { type DecodedStoredEvent, defaultStoredEventDecoder, type StoredEventDecoder } from './decoder.js'

export interface DecodedStream {
  /** As the store returned them (what a transport may hand out as stored). */
  readonly stored: ReadonlyArray<StoredEvent>
  /** Decoded and upcast: what the decider and the views fold. */
  readonly events: ReadonlyArray<DecodedStoredEvent>
  /** Version of the last event, -1 when the stream does not exist. */
  readonly version: number
}

export interface DecodedPage {
  readonly events: ReadonlyArray<DecodedStoredEvent>
  /** As the port's `lastPosition`: pass as `after` for the next page. */
  readonly lastPosition: number
}

export interface PageOptions {
  /** Exclusive: events with a position greater than this. */
  readonly after: number
  readonly limit: number
  /** Only these streams, through the store's `readPartition`. */
  readonly partition?: Partition
}

export type PagedStore = Pick<EventStore, 'readAll'> | Pick<EventStore, 'readPartition'>

/** Decodes events in order; the first that fails is the answer. */
export const decodeEvents = (
  events: ReadonlyArray<unknown>,
  decoder: StoredEventDecoder = defaultStoredEventDecoder,
): E.Either<CorruptEvent, ReadonlyArray<DecodedStoredEvent>> => {
  const decoded: DecodedStoredEvent[] = []
  for (const stored of events) {
    const event = decoder.decode(stored)
    if (E.isLeft(event)) return event
    decoded.push(event.right)
  }
  return E.right(decoded)
}

/** The first break of `event`'s links to `head`, as the error a reader stops with. */
export const linkBreakOf = (head: ChainHead, event: DecodedStoredEvent): CorruptEvent | undefined => {
  const [broken] = linkBreaks(head, event)
  if (broken === undefined) return undefined
  return broken.reason === 'version-gap'
    ? corruptEvent(event.streamId, event.version, `expected version ${head.version + 1}`)
    : corruptEvent(event.streamId, event.version, "prevHash does not continue the stream's chain")
}

/** One stream, decoded, its links checked from its start. */
export const readDecodedStream = async (
  store: Pick<EventStore, 'readStream'>,
  streamId: string,
  decoder: StoredEventDecoder = defaultStoredEventDecoder,
): Promise<E.Either<StoreError, DecodedStream>> => {
  const read = await store.readStream(streamId)
  if (E.isLeft(read)) return read
  const events = decodedOnFrom(streamStart, read.right.events, decoder)
  return E.isLeft(events)
    ? events
    : E.right({ stored: read.right.events, events: events.right, version: read.right.version })
}

/** `stored` decoded in order, each linked to the one before it and the first to `head`. */
const decodedOnFrom = (
  head: ChainHead,
  stored: ReadonlyArray<StoredEvent>,
  decoder: StoredEventDecoder,
): E.Either<CorruptEvent, ReadonlyArray<DecodedStoredEvent>> => {
  const events: DecodedStoredEvent[] = []
  let last = head
  for (const event of stored) {
    const decoded = decoder.decode(event)
    if (E.isLeft(decoded)) return decoded
    const broken = linkBreakOf(last, decoded.right)
    if (broken !== undefined) return E.left(broken)
    last = headAfter(decoded.right)
    events.push(decoded.right)
  }
  return E.right(events)
}

/**
 * What a stream holds after `head`, decoded, its links checked from `head` on: for a reader that
 * folded the stream up to `head` and keeps that fold. `Right(undefined)` when that fold cannot be
 * continued: the store has no `readStreamAfter`, or the stream's event at `head.version` is not the
 * one folded (another hash, or none); the reader then reads the stream whole.
 */
export const readDecodedStreamAfter = async (
  store: Pick<EventStore, 'readStreamAfter'>,
  streamId: string,
  head: ChainHead,
  decoder: StoredEventDecoder = defaultStoredEventDecoder,
): Promise<
  E.Either<
    StoreError,
    { readonly events: ReadonlyArray<DecodedStoredEvent>; readonly version: number } | undefined
  >
> => {
  if (store.readStreamAfter === undefined || head.version < 0) return E.right(undefined)
  const read = await store.readStreamAfter(streamId, head.version)
  if (E.isLeft(read)) return read
  if (read.right.hashAt !== head.hash) return E.right(undefined)
  const events = decodedOnFrom(head, read.right.events, decoder)
  if (E.isLeft(events)) return events
  return E.right({
    events: events.right,
    version: events.right[events.right.length - 1]?.version ?? head.version,
  })
}

/** One page of the global order (or of a partition of it), as stored. */
export const readStoredPage = async (
  store: PagedStore,
  options: PageOptions,
): Promise<E.Either<StoreError, AllRead>> => {
  const { after, limit, partition } = options
  if (partition === undefined) {
    return 'readAll' in store
      ? store.readAll({ after, limit })
      : E.left(storeFailure('the store does not read the global order'))
  }
  return 'readPartition' in store && store.readPartition !== undefined
    ? store.readPartition({ after, limit, partition })
    : E.left(storeFailure('the store does not read partitions'))
}

/** One page of the global order (or of a partition of it), decoded. */
export const readDecodedPage = async (
  store: PagedStore,
  options: PageOptions,
  decoder: StoredEventDecoder = defaultStoredEventDecoder,
): Promise<E.Either<StoreError, DecodedPage>> => {
  const read = await readStoredPage(store, options)
  if (E.isLeft(read)) return read
  const decoded = decodeEvents(read.right.events, decoder)
  if (E.isLeft(decoded)) return decoded
  return E.right({ events: decoded.right, lastPosition: read.right.lastPosition })
}

export interface PagesOptions {
  /** Default 0: from the start. */
  readonly after?: number
  /** Default 500. */
  readonly pageSize?: number
  readonly partition?: Partition
}

/**
 * Pages as stored, from `after` until the store has nothing newer; a failed read is the last page
 * yielded. No page yielded is empty. For readers that must see every event, decodable or not (the
 * auditor, an export).
 */
export async function* storedPages(
  store: PagedStore,
  options: PagesOptions = {},
): AsyncGenerator<E.Either<StoreError, AllRead>> {
  const limit = options.pageSize ?? 500
  let after = options.after ?? 0
  for (;;) {
    const page = await readStoredPage(
      store,
      options.partition === undefined ? { after, limit } : { after, limit, partition: options.partition },
    )
    if (E.isLeft(page)) {
      yield page
      return
    }
    // A store may answer an empty page that still moves the position on (past events it does not
    // show, e.g. another partition's); the history ends only where the position stops moving.
    if (page.right.events.length === 0 && page.right.lastPosition <= after) return
    if (page.right.events.length > 0) yield page
    after = page.right.lastPosition
  }
}

/** `storedPages`, decoded: the first event that does not decode is the last page yielded. */
export async function* decodedPages(
  store: PagedStore,
  options: PagesOptions = {},
  decoder: StoredEventDecoder = defaultStoredEventDecoder,
): AsyncGenerator<E.Either<StoreError, DecodedPage>> {
  for await (const page of storedPages(store, options)) {
    if (E.isLeft(page)) {
      yield page
      return
    }
    const decoded = decodeEvents(page.right.events, decoder)
    if (E.isLeft(decoded)) {
      yield decoded
      return
    }
    yield E.right({ events: decoded.right, lastPosition: page.right.lastPosition })
  }
}
