/**
 * The in-memory EventStore: for tests and for embedders that keep history elsewhere. Every method
 * runs to its end synchronously (a resolved promise carries the answer), so no two appends, and no
 * append and decision, ever interleave: the expected-version check and the hash chain see a stable
 * stream, and `decideAndAppend` decides under that run as its write lock, with no queue to wait in.
 * A map per stream from command id to events answers the command-id lookup without a scan.
 * It reads partitions (`readPartition`) by scanning the log from `after` with each event's stream
 * partition key kept beside it.
 *
 * Stored events are frozen JSON copies (`frozenJsonCopy`), made before sealing, so the hash covers
 * exactly what is kept and no caller can change it, through the objects it appended or those it read.
 * It seals with `digest` (the domain's portable SHA-256 by default; a Node embedder passes
 * node:crypto's) and offers it to the command handler for the command hash.
 *
 * @example
 * const store = inMemoryEventStore()
 * const handle = commandHandler({ store, decider })
 */
import * as E from 'fp-ts/lib/Either.js'
import { genesisHash, type SealedEvent, sealEvents } from '../integrity/hash-chain.js'
import { type Digest, sha256Hex } from '../integrity/sha256.js'
import { packedMap } from '../packed-map.js'
import { callDecide } from './decide-and-append.js'
import { frozenJsonCopy } from './frozen-json.js'
import { partitionProblem, streamPartitionKey } from './partitions.js'
import {
  type AppendResult,
  concurrencyConflict,
  type DecideAndAppendRequest,
  type DecideAndAppendResult,
  type EventStore,
  type ExpectedVersion,
  eventsAfter,
  expectedVersionMatches,
  type NewEvent,
  type StoredEvent,
  type StoreError,
  storeFailure,
} from './port.js'

export interface InMemoryEventStoreOptions {
  /** SHA-256 as hex for the hash chain; the domain's `sha256Hex` by default. */
  readonly digest?: Digest
}

const noEvents: ReadonlyArray<StoredEvent> = Object.freeze([])

export const inMemoryEventStore = (options: InMemoryEventStoreOptions = {}): EventStore => {
  const digest = options.digest ?? sha256Hex
  const all: StoredEvent[] = []
  /** `partitionKeys[i]` is the partition key of the stream of `all[i]`. */
  const partitionKeys: number[] = []
  /** Appended to in place: what is handed out is a copy (`eventsOf`), never these arrays. */
  const streams = new Map<string, StoredEvent[]>()
  /** Per stream, the events of each command id. */
  const commands = new Map<string, Map<string, StoredEvent[]>>()
  let closed = false
  const closedFailure = E.left(storeFailure('the store is closed'))

  const eventsOf = (stream: ReadonlyArray<StoredEvent> | undefined, after: number) => {
    if (stream === undefined) return noEvents
    const since = eventsAfter(stream, after)
    return since === stream ? stream.slice() : since
  }

  const append = (
    streamId: string,
    expected: ExpectedVersion,
    events: ReadonlyArray<NewEvent>,
  ): E.Either<StoreError, AppendResult> => {
    const stream = streams.get(streamId)
    const actual = (stream?.length ?? 0) - 1
    if (!expectedVersionMatches(expected, actual))
      return E.left(concurrencyConflict(streamId, expected, actual))
    let sealed: ReadonlyArray<SealedEvent>
    try {
      sealed = sealEvents(
        {
          streamId,
          firstVersion: actual + 1,
          prevHash: stream?.[actual]?.metadata.hash ?? genesisHash,
          events: packedMap(events, frozenJsonCopy),
        },
        digest,
      )
    } catch (cause) {
      // An event with no JSON form (NaN, a BigInt, a cycle) cannot be kept or hashed: nothing is appended.
      return E.left(storeFailure(`cannot store the events for ${streamId}: ${String(cause)}`, cause))
    }
    // `data` and `actor` are the frozen copies already; the objects the seal built around them are new.
    const stored = packedMap(
      sealed,
      (event, index): StoredEvent =>
        Object.freeze({
          streamId: event.streamId,
          version: event.version,
          position: all.length + index + 1,
          type: event.type,
          data: event.data,
          metadata: Object.freeze(event.metadata),
        }),
    )
    const partitionKey = streamPartitionKey(streamId)
    const ofStream = stream ?? []
    if (stream === undefined) streams.set(streamId, ofStream)
    let ofCommands = commands.get(streamId)
    if (ofCommands === undefined) {
      ofCommands = new Map<string, StoredEvent[]>()
      commands.set(streamId, ofCommands)
    }
    // An index loop: `for…of` over these arrays cost a deopt and a recompile of `append` (iterator map check).
    for (let index = 0; index < stored.length; index++) {
      const event = stored[index] as StoredEvent
      all.push(event)
      partitionKeys.push(partitionKey)
      ofStream.push(event)
      const ofCommand = ofCommands.get(event.metadata.commandId)
      if (ofCommand === undefined) ofCommands.set(event.metadata.commandId, [event])
      else ofCommand.push(event)
    }
    return E.right({ events: stored, version: actual + stored.length })
  }

  const decideAndAppend = <R>(request: DecideAndAppendRequest<R>): DecideAndAppendResult<R> => {
    const stream = streams.get(request.streamId)
    const version = (stream?.length ?? 0) - 1
    const ofCommand = commands.get(request.streamId)?.get(request.commandId)
    const decided = callDecide(request, {
      version,
      events: eventsOf(stream, request.after),
      ofCommand: ofCommand === undefined ? noEvents : ofCommand.slice(),
    })
    if (E.isLeft(decided)) return decided
    if (E.isLeft(decided.right)) return E.right(decided.right)
    const appended = append(request.streamId, version === -1 ? 'no-stream' : version, decided.right.right)
    return E.isLeft(appended) ? appended : E.right(E.right(appended.right))
  }

  return {
    readStream: async (streamId) => {
      if (closed) return closedFailure
      const stream = streams.get(streamId)
      return E.right({ events: eventsOf(stream, -1), version: (stream?.length ?? 0) - 1 })
    },
    readStreamAfter: async (streamId, after) => {
      if (closed) return closedFailure
      const stream = streams.get(streamId)
      return E.right({
        version: (stream?.length ?? 0) - 1,
        hashAt: after >= 0 ? stream?.[after]?.metadata.hash : undefined,
        events: stream?.slice(Math.max(0, after + 1)) ?? noEvents,
      })
    },
    appendToStream: (streamId, expected, events) =>
      Promise.resolve(closed ? closedFailure : append(streamId, expected, events)),
    decideAndAppend: (request) => Promise.resolve(closed ? closedFailure : decideAndAppend(request)),
    readAll: async ({ after, limit }) => {
      if (closed) return closedFailure
      const events = all.slice(Math.max(0, after), Math.max(0, after) + limit)
      return E.right({ events, lastPosition: events[events.length - 1]?.position ?? after })
    },
    readPartition: async ({ after, limit, partition }) => {
      if (closed) return closedFailure
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
    headPosition: async () => (closed ? closedFailure : E.right(all.length)),
    digest,
    close: async () => {
      closed = true
    },
  }
}
