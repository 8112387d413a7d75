/**
 * The EventStoreDB EventStore (DESIGN §4), on `@eventstore/db-client` 6: one EventStoreDB stream per
 * licence stream, the global order read from `$all`.
 *
 * - Appends are sealed here: the stream's last event is read for its version and hash, the batch is
 *   sealed from there with `sealEvents`, and appended with that exact revision as
 *   `expectedRevision` (`NO_STREAM` for a new stream), so a chain can never fork: a writer that
 *   raced is refused by the server (`WrongExpectedVersionError`) and reported as
 *   `concurrency-conflict`. For `any` the read-seal-append cycle is retried with a fresh head, a
 *   bounded number of times. The server's own idempotency by event id makes a re-sent append
 *   harmless; event ids must be UUIDs (the handler's are).
 * - `readStream` reads forward; a stream that does not exist is empty at version -1.
 * - `readAll` reads `$all` forward and keeps the events of this store's streams (ids starting with
 *   `streamPrefix`, `licence-` by default, so system streams and events are left out). The 6.x client
 *   has no server-side filter for reads of `$all` (it came with the KurrentDB client), so the filter
 *   runs here and a page may scan past other streams' events. Positions: see `positions.ts`. The
 *   server writes one log in order, so no event can appear later behind a position already read.
 * - `readPartition` (DESIGN §8) is the same read keeping one partition's streams: correct, but each
 *   partition's reader scans the whole log, so it divides the work of projecting, not of reading.
 * - `namespace` is prepended to every stream name in the database and stripped on read, so several
 *   stores (the conformance suite's cases, or tenants) can share one server without seeing each other.
 * - Positions on stream reads need EventStoreDB ≥ 22.6; an older server's events are reported as a
 *   store failure rather than numbered wrongly.
 *
 * - Pass `client` instead of `connectionString` to share an EventStoreDBClient the caller owns.
 *
 * There is no EventStoreDB server on our machines: the conformance suite runs against one only when
 * `EVENTSTORE_URL` is set (see the `.int.test.ts` file); it is not run in our CI. What our CI runs is
 * the same suite against a model of the server (`.model.test.ts`), which checks this adapter's logic
 * but not EventStoreDB's behaviour.
 *
 * @example
 * const store = eventStoreDbEventStore({ connectionString: 'esdb://localhost:2113?tls=false' })
 * const handle = commandHandler({ store, decider })
 * await store.close()
 */

import {
  type AllRead,
  type AppendResult,
  concurrencyConflict,
  corruptEvent,
  type EventStore,
  type ExpectedVersion,
  expectedVersionMatches,
  genesisHash,
  type NewEvent,
  partitionOfStream,
  partitionProblem,
  type StoredEvent,
  type StoredEventMetadata,
  type StoreError,
  type StoreFailure,
  sealEvents,
  storeFailure,
} from '@elicence/domain'
import { nodeSha256Hex } from '@elicence/projections/node'
import {
  BACKWARDS,
  type CurrentRevision,
  END,
  EventStoreDBClient,
  FORWARDS,
  type JSONType,
  jsonEvent,
  NO_STREAM,
  type RecordedEvent,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client'
import * as E from 'fp-ts/lib/Either.js'
import { globalPositionOf, readPositionAfter } from './positions.js'

export type EventStoreDbEventStoreOptions = (
  | {
      /** `esdb://host:2113?tls=false`, `esdb+discover://…`: the client's connection string syntax. */
      readonly connectionString: string
    }
  | {
      /** A client the caller owns: `close()` leaves it open. */
      readonly client: EventStoreDBClient
    }
) & {
  /** Prepended to every stream name in the database and stripped on read (default: none). */
  readonly namespace?: string
  /** `readAll` keeps the streams whose ids start with this (default `licence-`, DESIGN §2). */
  readonly streamPrefix?: string
}

/** Rounds of read-seal-append for `any` before giving up: each lost round means another writer won. */
const anyAttempts = 64

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** The client's connection string parser throws; a malformed string becomes a value here. */
export const eventStoreDbClient = (connectionString: string): E.Either<StoreFailure, EventStoreDBClient> => {
  try {
    return E.right(EventStoreDBClient.connectionString(connectionString))
  } catch (error) {
    return E.left(storeFailure(`eventstoredb: bad connection string: ${messageOf(error)}`, error))
  }
}

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)

/** A recorded event as the port's StoredEvent, under the store's own stream id. */
export const storedEventOf = (
  recorded: RecordedEvent,
  streamId: string,
): E.Either<StoreError, StoredEvent> => {
  const version = Number(recorded.revision)
  if (!recorded.isJson) return E.left(corruptEvent(streamId, version, 'is not a JSON event'))
  if (!isJsonObject(recorded.metadata)) return E.left(corruptEvent(streamId, version, 'has no JSON metadata'))
  if (recorded.position === undefined) {
    return E.left(
      storeFailure(
        'eventstoredb: the server gives no positions on stream reads; EventStoreDB ≥ 22.6 is needed',
      ),
    )
  }
  const position = globalPositionOf(recorded.position)
  if (E.isLeft(position)) return E.left(storeFailure(`eventstoredb: ${position.left}`))
  return E.right({
    streamId,
    version,
    position: position.right,
    type: recorded.type,
    data: recorded.data,
    metadata: recorded.metadata as unknown as StoredEventMetadata,
  })
}

const versionOf = (current: CurrentRevision): number => (current === NO_STREAM ? -1 : Number(current))

/** A store whose every call reports the same failure: how a configuration error surfaces without a throw. */
const failingStore = (failure: StoreFailure): EventStore => ({
  readStream: async () => E.left(failure),
  appendToStream: async () => E.left(failure),
  readAll: async () => E.left(failure),
  readPartition: async () => E.left(failure),
  close: async () => undefined,
})

export const eventStoreDbEventStore = (options: EventStoreDbEventStoreOptions): EventStore => {
  const connected =
    'client' in options ? E.right(options.client) : eventStoreDbClient(options.connectionString)
  if (E.isLeft(connected)) return failingStore(connected.left)
  const client = connected.right
  const ownsClient = !('client' in options)
  const namespace = options.namespace ?? ''
  const ownStreams = `${namespace}${options.streamPrefix ?? 'licence-'}`
  const nameOf = (streamId: string) => `${namespace}${streamId}`

  let closing: Promise<void> | undefined
  const guarded = async <A>(
    what: string,
    run: () => Promise<E.Either<StoreError, A>>,
  ): Promise<E.Either<StoreError, A>> => {
    if (closing !== undefined) return E.left(storeFailure('eventstoredb: the store is closed'))
    try {
      return await run()
    } catch (error) {
      return E.left(storeFailure(`eventstoredb: ${what} failed: ${messageOf(error)}`, error))
    }
  }

  /** Events of one stream from `fromRevision` on; a missing stream reads as empty. */
  const readFrom = async (
    streamId: string,
    fromRevision: bigint | typeof START,
    maxCount?: number,
  ): Promise<E.Either<StoreError, StoredEvent[]>> => {
    const events: StoredEvent[] = []
    try {
      const read = client.readStream(nameOf(streamId), {
        direction: FORWARDS,
        fromRevision,
        ...(maxCount === undefined ? {} : { maxCount }),
      })
      for await (const resolved of read) {
        if (resolved.event === undefined) continue
        const stored = storedEventOf(resolved.event, streamId)
        if (E.isLeft(stored)) return stored
        events.push(stored.right)
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return E.right([])
      throw error
    }
    return E.right(events)
  }

  const headOf = async (
    streamId: string,
  ): Promise<E.Either<StoreError, { version: number; hash: string }>> => {
    try {
      const read = client.readStream(nameOf(streamId), {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      })
      for await (const resolved of read) {
        const recorded = resolved.event
        if (recorded === undefined) continue
        const version = Number(recorded.revision)
        const hash = isJsonObject(recorded.metadata) ? recorded.metadata.hash : undefined
        if (typeof hash !== 'string') return E.left(corruptEvent(streamId, version, 'has no hash'))
        return E.right({ version, hash })
      }
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error
    }
    return E.right({ version: -1, hash: genesisHash })
  }

  const append = async (
    streamId: string,
    expected: ExpectedVersion,
    events: ReadonlyArray<NewEvent>,
  ): Promise<E.Either<StoreError, AppendResult>> => {
    for (let attempt = 1; ; attempt++) {
      const head = await headOf(streamId)
      if (E.isLeft(head)) return head
      const { version, hash } = head.right
      if (!expectedVersionMatches(expected, version))
        return E.left(concurrencyConflict(streamId, expected, version))
      if (events.length === 0) return E.right({ events: [], version })
      const sealed = sealEvents(
        { streamId, firstVersion: version + 1, prevHash: hash, events },
        nodeSha256Hex,
      )
      try {
        await client.appendToStream(
          nameOf(streamId),
          sealed.map((event) =>
            jsonEvent({
              id: event.metadata.eventId,
              type: event.type,
              data: event.data as JSONType,
              metadata: event.metadata,
            }),
          ),
          { expectedRevision: version === -1 ? NO_STREAM : BigInt(version) },
        )
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error
        if (expected === 'any' && attempt < anyAttempts) continue
        return E.left(concurrencyConflict(streamId, expected, versionOf(error.actualVersion)))
      }
      // Read back for the positions the server gave: an append reports only one position.
      const stored = await readFrom(streamId, BigInt(version + 1), sealed.length)
      if (E.isLeft(stored)) return stored
      return E.right({ events: stored.right, version: version + sealed.length })
    }
  }

  /**
   * A page of this store's events after `after`, in log order, of the streams `keep` accepts. The
   * 6.x client cannot filter `$all` on the server, so every read, a partition's too, scans the log
   * from `after` and keeps what is ours.
   */
  const readOwn = async (
    after: number,
    limit: number,
    keep: (streamId: string) => boolean,
  ): Promise<E.Either<StoreError, AllRead>> => {
    if (!Number.isSafeInteger(after) || after < 0 || !Number.isSafeInteger(limit) || limit < 0)
      return E.left(storeFailure('eventstoredb: reads of the log need integers after ≥ 0 and limit ≥ 0'))
    const events: StoredEvent[] = []
    if (limit === 0) return E.right({ events, lastPosition: after })
    const read = client.readAll({ fromPosition: readPositionAfter(after), direction: FORWARDS })
    try {
      for await (const resolved of read) {
        const recorded = resolved.event
        if (
          recorded === undefined ||
          !recorded.streamId.startsWith(ownStreams) ||
          recorded.type.startsWith('$')
        )
          continue
        const streamId = recorded.streamId.slice(namespace.length)
        if (!keep(streamId)) continue
        const stored = storedEventOf(recorded, streamId)
        if (E.isLeft(stored)) return stored
        // Reads start at the event `after` names, inclusive.
        if (stored.right.position <= after) continue
        events.push(stored.right)
        if (events.length === limit) break
      }
    } finally {
      // Stops the server streaming the rest of $all once the page is full; a read that already
      // failed has nothing to cancel, and its own error is the one to report.
      await read.cancel().catch(() => undefined)
    }
    return E.right({ events, lastPosition: events[events.length - 1]?.position ?? after })
  }

  return {
    readStream: (streamId) =>
      guarded('readStream', async () => {
        const events = await readFrom(streamId, START)
        if (E.isLeft(events)) return events
        return E.right({
          events: events.right,
          version: events.right[events.right.length - 1]?.version ?? -1,
        })
      }),

    // One forward read from `after` (versions are the stream's revisions). Only when nothing is at
    // or after `after` does a second read give the version now: with no hash at `after`, a reader
    // reads the stream whole anyway, so the two reads need not agree.
    readStreamAfter: (streamId, after) =>
      guarded('readStreamAfter', async () => {
        const read = await readFrom(streamId, BigInt(after))
        if (E.isLeft(read)) return read
        const first = read.right[0]
        if (first === undefined) {
          const head = await headOf(streamId)
          if (E.isLeft(head)) return head
          return E.right({ version: head.right.version, hashAt: undefined, events: [] })
        }
        const atAfter = first.version === after
        const events = atAfter ? read.right.slice(1) : read.right
        return E.right({
          version: events[events.length - 1]?.version ?? first.version,
          hashAt: atAfter ? first.metadata.hash : undefined,
          events,
        })
      }),

    appendToStream: (streamId, expected, events) =>
      guarded('appendToStream', () => append(streamId, expected, events)),

    readAll: ({ after, limit }) => guarded('readAll', () => readOwn(after, limit, () => true)),

    readPartition: ({ after, limit, partition }) =>
      guarded('readPartition', async () => {
        const problem = partitionProblem(partition)
        if (problem !== undefined) return E.left(storeFailure(`eventstoredb: ${problem}`))
        return readOwn(
          after,
          limit,
          (streamId) => partitionOfStream(streamId, partition.count) === partition.index,
        )
      }),

    close: () => {
      closing ??= ownsClient ? client.dispose().catch(() => undefined) : Promise.resolve()
      return closing
    },
  }
}
