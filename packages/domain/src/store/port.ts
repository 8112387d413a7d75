/**
 * The EventStore port: what the command handler, projections and auditors need from a store.
 * Every adapter (in-memory, SQLite, PostgreSQL, EventStoreDB) implements it and passes the
 * conformance suite in `@elicence/domain/testing`.
 *
 * Reading by partition (DESIGN §8) is an optional capability, `readPartition`, rather than an
 * option of `readAll`: a store, or a wrapper that forwards `readAll`, that does not know partitions
 * would pass such an option by and hand every reader the whole log. A missing method cannot be
 * mistaken for support: callers check `store.readPartition !== undefined` (every store here has it;
 * EventStoreDB's scans the whole log for each partition). A partition is the streams whose
 * `streamPartitionKey` (FNV-1a 32-bit of the UTF-8 stream id, partitions.ts) modulo `count` is
 * `index`; its events come in global position order, with `lastPosition` as in `readAll` (the last
 * event's position, or `after` when the page is empty), so a checkpoint per partition, resumed with
 * the same `count`, never skips nor repeats an event, even one that commits late.
 *
 * @example
 * const appended = await store.appendToStream('licence-11010519491231002X', 'no-stream', [event])
 * if (isLeft(appended) && isConcurrencyConflict(appended.left)) { ... reload and decide again ... }
 * const page = await store.readPartition?.({ after: 0, limit: 500, partition: { index: 0, count: 2 } })
 *
 * Deciding inside the write lock (DESIGN §4 "Concurrency") is the optional `decideAndAppend`: a
 * store that holds a write lock per stream (SQLite's `BEGIN IMMEDIATE`, PostgreSQL's advisory lock,
 * the in-memory store's queue) reads what is new on the stream, calls the caller's synchronous
 * `decide` and appends its events while no other writer can touch the stream, so writers on one
 * stream queue instead of conflicting. A store without such a lock (EventStoreDB) leaves it out and
 * the handler keeps the optimistic path (`optimisticDecideAndAppend`): read, decide, append with the
 * expected version, and on a conflict back off and decide again. Optional, not emulated inside each
 * adapter, so a store that cannot hold a lock never pretends to.
 */
import type { Either } from 'fp-ts/lib/Either.js'
import type { Digest } from '../integrity/sha256.js'
import type { Actor } from '../licence/values.js'

/** Metadata the handler gives every event; the store adds `prevHash` and `hash` when it appends. */
export interface EventMetadataDraft {
  readonly eventId: string
  readonly commandId: string
  /** SHA-256 of the command's canonical {type, data, actor}: tells a re-sent command from a reused id. */
  readonly commandHash: string
  readonly actor: Actor
  readonly at: string
  readonly recordedAt: string
  readonly schemaVersion: number
  readonly rulesVersion: string
}

export interface StoredEventMetadata extends EventMetadataDraft {
  readonly prevHash: string
  readonly hash: string
}

export interface NewEvent {
  readonly type: string
  readonly data: unknown
  readonly metadata: EventMetadataDraft
}

/** One event as it is stored: `version` counts from 0 in its stream, `position` from 1 over the store. */
export interface StoredEvent {
  readonly streamId: string
  readonly version: number
  readonly position: number
  readonly type: string
  readonly data: unknown
  readonly metadata: StoredEventMetadata
}

/** `no-stream`: the stream must not exist; `any`: no check; a number: the version of the stream's last event. */
export type ExpectedVersion = 'no-stream' | 'any' | number

export interface StreamRead {
  readonly events: ReadonlyArray<StoredEvent>
  /** Version of the last event, -1 when the stream does not exist. */
  readonly version: number
}

/** What `readStreamAfter` read: what came after a version a reader had folded, and how to trust it. */
export interface StreamAfter {
  /** The stream's version now, -1 when it does not exist. */
  readonly version: number
  /** The hash of the stream's event at the requested version, undefined when it has none there. */
  readonly hashAt: string | undefined
  /** The stream's events with a version above the requested one, in order. */
  readonly events: ReadonlyArray<StoredEvent>
}

export interface AppendResult {
  readonly events: ReadonlyArray<StoredEvent>
  readonly version: number
}

export interface AllRead {
  readonly events: ReadonlyArray<StoredEvent>
  /** Pass as `after` to read the next page; equals `after` when nothing new was committed. */
  readonly lastPosition: number
}

export interface ReadAllOptions {
  /** Exclusive: events with a position greater than this. 0 reads from the start. */
  readonly after: number
  readonly limit: number
}

/** One of `count` shares of the streams: those whose partition key modulo `count` is `index`. */
export interface Partition {
  readonly index: number
  readonly count: number
}

export interface ReadPartitionOptions extends ReadAllOptions {
  readonly partition: Partition
}

/** What a store read, under its write lock, for one decision on one stream. */
export interface StreamSince {
  /** The stream's version now, -1 when it does not exist. */
  readonly version: number
  /**
   * The stream's events with a version above the request's `after`, in order; the whole stream when
   * `after` is above `version` (what the caller folded is not this stream's past): `eventsAfter`.
   */
  readonly events: ReadonlyArray<StoredEvent>
  /** The stream's events recorded for the request's `commandId`, in order: found by index, not a scan. */
  readonly ofCommand: ReadonlyArray<StoredEvent>
}

/** `Left`: nothing is appended and the value is handed back; `Right`: the events to append. */
export type LockedDecision<R> = Either<R, ReadonlyArray<NewEvent>>

export interface DecideAndAppendRequest<R> {
  readonly streamId: string
  /**
   * The last version the caller has already folded (-1: none); events up to it are not read again.
   * Read it when reading the stream, once for each read: the handler's is a getter that gives the
   * newest fold it holds by then (a command that waited behind others reads only what they added).
   */
  readonly after: number
  readonly commandId: string
  /**
   * Called while the stream's write lock is held, synchronously, so the lock is never held across an
   * await of the caller's. It may be called again (after a conflict, by the optimistic path); it must
   * not throw (a throw is reported as a `store-failure`, with nothing appended).
   */
  readonly decide: (since: StreamSince) => LockedDecision<R>
}

/** The appended events, or the decision's `Left` when it appended nothing. */
export type DecideAndAppendResult<R> = Either<StoreError, Either<R, AppendResult>>

export type DecideAndAppend = <R>(request: DecideAndAppendRequest<R>) => Promise<DecideAndAppendResult<R>>

export interface EventStore {
  readonly readStream: (streamId: string) => Promise<Either<StoreError, StreamRead>>
  /**
   * Optional: the events of a stream after version `after` (at least 0), in one consistent read,
   * with the hash of its event at `after`: a reader that folded the stream up to that event (and
   * kept its hash) reads and decodes only what came since, and reads the stream whole when the hash
   * differs (the stream it folded is not this one). Without it, such a reader reads every event.
   */
  readonly readStreamAfter?: (streamId: string, after: number) => Promise<Either<StoreError, StreamAfter>>
  /** Atomic: all events are appended, with consecutive versions, or none. */
  readonly appendToStream: (
    streamId: string,
    expected: ExpectedVersion,
    events: ReadonlyArray<NewEvent>,
  ) => Promise<Either<StoreError, AppendResult>>
  /**
   * Events in one global order. A reader that polls with the last position it saw never skips an
   * event that commits later with a lower position: stores hold back positions that are not yet safe.
   */
  readonly readAll: (options: ReadAllOptions) => Promise<Either<StoreError, AllRead>>
  /**
   * Optional: `readAll` restricted to the streams of one partition, with the same order, paging,
   * `lastPosition` and late-commit guarantees. An invalid partition (a count below 1, an index not
   * below the count, a fraction) is a `store-failure`.
   */
  readonly readPartition?: (options: ReadPartitionOptions) => Promise<Either<StoreError, AllRead>>
  /**
   * Optional: the position of the last event `readAll` would return now (0 for none), without
   * reading events. Readers that answer from a checkpoint use it to say how far behind they are;
   * without it they can only say that they are behind.
   */
  readonly headPosition?: () => Promise<Either<StoreError, number>>
  /**
   * Optional: checks that the store can commit a write now, without changing what it holds (a
   * health check's write probe). A store that can only tell from real appends leaves it out, and
   * readiness falls back on the outcome of the last append.
   */
  readonly probeWrite?: () => Promise<Either<StoreError, void>>
  /**
   * Optional: read what is new on a stream, decide and append, all under the stream's write lock, so
   * no two decisions on one stream ever run at once, in one process or several (never a
   * `concurrency-conflict`). See the module comment.
   */
  readonly decideAndAppend?: DecideAndAppend
  /**
   * Optional: the SHA-256 (as hex) the store seals events with. A store built for a platform with a
   * faster one than the domain's portable default (node:crypto, in the Node adapters) offers it, and
   * a command handler given no `digest` of its own hashes commands with it: on Node that is four
   * times faster, and the domain itself may not import node:crypto (DESIGN §1).
   */
  readonly digest?: Digest
  readonly close: () => Promise<void>
}

export const concurrencyConflictCode = 'concurrency-conflict'
export const storeFailureCode = 'store-failure'
export const corruptEventCode = 'corrupt-event'

export interface ConcurrencyConflict {
  readonly code: typeof concurrencyConflictCode
  readonly message: string
  readonly streamId: string
  readonly expected: ExpectedVersion
  readonly actual: number
}

export interface StoreFailure {
  readonly code: typeof storeFailureCode
  readonly message: string
  readonly cause?: unknown
}

/** A stored event that does not decode or whose hash does not match: never skipped silently. */
export interface CorruptEvent {
  readonly code: typeof corruptEventCode
  readonly message: string
  readonly streamId: string
  readonly version: number
}

export type StoreError = ConcurrencyConflict | StoreFailure | CorruptEvent

export const isConcurrencyConflict = (error: { readonly code: string }): error is ConcurrencyConflict =>
  error.code === concurrencyConflictCode
export const isStoreFailure = (error: { readonly code: string }): error is StoreFailure =>
  error.code === storeFailureCode
export const isCorruptEvent = (error: { readonly code: string }): error is CorruptEvent =>
  error.code === corruptEventCode

export const concurrencyConflict = (
  streamId: string,
  expected: ExpectedVersion,
  actual: number,
): ConcurrencyConflict => ({
  code: concurrencyConflictCode,
  message: `stream ${streamId} is at version ${actual}, expected ${String(expected)}`,
  streamId,
  expected,
  actual,
})

export const storeFailure = (message: string, cause?: unknown): StoreFailure =>
  cause === undefined ? { code: storeFailureCode, message } : { code: storeFailureCode, message, cause }

export const corruptEvent = (streamId: string, version: number, reason: string): CorruptEvent => ({
  code: corruptEventCode,
  message: `event ${streamId}@${version}: ${reason}`,
  streamId,
  version,
})

/** The part of a stream (all its events, in order) a `decideAndAppend` after `after` hands its caller. */
export const eventsAfter = (stream: ReadonlyArray<StoredEvent>, after: number): ReadonlyArray<StoredEvent> =>
  after < 0 || after >= stream.length ? stream : stream.slice(after + 1)

/** Whether an append with `expected` may go ahead on a stream whose last version is `actual` (-1: none). */
export const expectedVersionMatches = (expected: ExpectedVersion, actual: number): boolean =>
  expected === 'any' || (expected === 'no-stream' ? actual === -1 : expected === actual)
