/**
 * The in-memory EventStore: for tests and for embedders that keep history elsewhere. Appends run one
 * at a time (a promise queue), so the expected-version check and the hash chain see a stable stream,
 * and `decideAndAppend` decides in that queue: the queue is its write lock. A map per stream from
 * command id to events answers the command-id lookup without a scan.
 * It reads partitions (`readPartition`) by scanning the log from `after` with each event's stream
 * partition key kept beside it.
 *
 * @example
 * const store = inMemoryEventStore()
 * const handle = commandHandler({ store, decider })
 */
import * as E from 'fp-ts/lib/Either.js'
import { genesisHash, type SealedEvent, sealEvents } from '../integrity/hash-chain.js'
import { callDecide } from './decide-and-append.js'
import { partitionProblem, streamPartitionKey } from './partitions.js'
import {
  type AppendResult,
  concurrencyConflict,
  type EventStore,
  type ExpectedVersion,
  eventsAfter,
  expectedVersionMatches,
  type NewEvent,
  type StoredEvent,
  type StoreError,
  storeFailure,
} from './port.js'

const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const member of Object.values(value)) deepFreeze(member)
  }
  return value
}

export const inMemoryEventStore = (): EventStore => {
  const all: StoredEvent[] = []
  /** `partitionKeys[i]` is the partition key of the stream of `all[i]`. */
  const partitionKeys: number[] = []
  const streams = new Map<string, StoredEvent[]>()
  /** Per stream, the events of each command id. */
  const commands = new Map<string, Map<string, StoredEvent[]>>()
  let queue: Promise<unknown> = Promise.resolve()
  let closed = false
  const closedFailure = E.left(storeFailure('the store is closed'))
  const enqueue = <A>(run: () => Promise<A>): Promise<A> => {
    const result = queue.then(run)
    queue = result.catch(() => undefined)
    return result
  }

  const append = async (
    streamId: string,
    expected: ExpectedVersion,
    events: ReadonlyArray<NewEvent>,
  ): Promise<E.Either<StoreError, AppendResult>> => {
    const stream = streams.get(streamId) ?? []
    const actual = stream.length - 1
    if (!expectedVersionMatches(expected, actual))
      return E.left(concurrencyConflict(streamId, expected, actual))
    let sealed: ReadonlyArray<SealedEvent>
    try {
      sealed = sealEvents({
        streamId,
        firstVersion: actual + 1,
        prevHash: stream[actual]?.metadata.hash ?? genesisHash,
        events,
      })
    } catch (cause) {
      // An event with no JSON form (NaN, a BigInt, a cycle) cannot be hashed: nothing is appended.
      return E.left(storeFailure(`cannot store the events for ${streamId}: ${String(cause)}`, cause))
    }
    // Stored events are copies, frozen: like a database, the store keeps what was appended even if
    // the caller later changes its objects, and no reader can change what another reads.
    const stored = sealed.map(
      (event, index): StoredEvent =>
        deepFreeze(structuredClone({ ...event, position: all.length + index + 1 })),
    )
    all.push(...stored)
    const partitionKey = streamPartitionKey(streamId)
    for (let n = 0; n < stored.length; n++) partitionKeys.push(partitionKey)
    streams.set(streamId, [...stream, ...stored])
    const ofStream = commands.get(streamId) ?? new Map<string, StoredEvent[]>()
    commands.set(streamId, ofStream)
    for (const event of stored) {
      const ofCommand = ofStream.get(event.metadata.commandId)
      if (ofCommand === undefined) ofStream.set(event.metadata.commandId, [event])
      else ofCommand.push(event)
    }
    return E.right({ events: stored, version: actual + stored.length })
  }

  return {
    readStream: async (streamId) => {
      if (closed) return E.left(storeFailure('the store is closed'))
      const stream = streams.get(streamId) ?? []
      return E.right({ events: stream, version: stream.length - 1 })
    },
    appendToStream: (streamId, expected, events) =>
      closed ? Promise.resolve(closedFailure) : enqueue(() => append(streamId, expected, events)),
    decideAndAppend: (request) =>
      closed
        ? Promise.resolve(closedFailure)
        : enqueue(async () => {
            const stream = streams.get(request.streamId) ?? []
            const version = stream.length - 1
            const decided = callDecide(request, {
              version,
              events: eventsAfter(stream, request.after),
              ofCommand: [...(commands.get(request.streamId)?.get(request.commandId) ?? [])],
            })
            if (E.isLeft(decided)) return decided
            if (E.isLeft(decided.right)) return E.right(decided.right)
            const appended = await append(
              request.streamId,
              version === -1 ? 'no-stream' : version,
              decided.right.right,
            )
            return E.isLeft(appended) ? appended : E.right(E.right(appended.right))
          }),
    readAll: async ({ after, limit }) => {
      if (closed) return E.left(storeFailure('the store is closed'))
      const events = all.slice(Math.max(0, after), Math.max(0, after) + limit)
      return E.right({ events, lastPosition: events[events.length - 1]?.position ?? after })
    },
    readPartition: async ({ after, limit, partition }) => {
      if (closed) return E.left(storeFailure('the store is closed'))
      const problem = partitionProblem(partition)
      if (problem !== undefined) return E.left(storeFailure(problem))
      const events: StoredEvent[] = []
      // Position p is at index p - 1, so the first event after `after` is at index `after`.
      for (let at = Math.max(0, Math.trunc(after)); at < all.length && events.length < limit; at++) {
        const event = all[at]
        if (event !== undefined && (partitionKeys[at] ?? 0) % partition.count === partition.index)
          events.push(event)
      }
      return E.right({ events, lastPosition: events[events.length - 1]?.position ?? after })
    },
    headPosition: async () => (closed ? E.left(storeFailure('the store is closed')) : E.right(all.length)),
    close: async () => {
      await queue
      closed = true
    },
  }
}
