/**
 * The read-model storage port: documents in named collections plus one checkpoint per projection,
 * committed together in one transaction, so a crash never double-applies or skips an event.
 * Implementations: `inMemoryReadModelStore` here, `sqliteReadModelStore` in @elicence/sqlite,
 * `postgresReadModelStore` in @elicence/postgres; all pass `readModelStoreConformance` from
 * `@elicence/projections/testing`. Errors are the domain's `StoreError`s: a commit whose expected
 * checkpoint has moved (another runner got there first) is a `concurrency-conflict`.
 *
 * @example
 * const checkpoint = await store.loadCheckpoint('elicence')
 * await store.commit('elicence', changes, { expected: 0, next: { position: 42, streamId, version: 3, hash } })
 */
import type { StoreError } from '@elicence/domain'
import type { Either } from 'fp-ts/lib/Either.js'

/** How far a projection has applied the store's global order, and the chain hash it reached there. */
export interface Checkpoint {
  /** Global position of the last event applied; 0 before the first. */
  readonly position: number
  readonly streamId: string | null
  readonly version: number | null
  /** Chain hash of the event at `position`. */
  readonly hash: string | null
}

export const initialCheckpoint: Checkpoint = { position: 0, streamId: null, version: null, hash: null }

/** Upserts a document, or deletes it when `doc` is null. `sortKey` orders `list` by `sort-key`. */
export interface DocumentChange {
  readonly collection: string
  readonly key: string
  readonly doc: unknown
  readonly sortKey: string | null
}

export interface StoredDocument {
  readonly key: string
  readonly doc: unknown
}

export interface ListQuery {
  /** Only keys starting with this. */
  readonly prefix?: string
  /** `key` (default) or `sort-key`, both ascending in byte order; `sort-key` lists only documents that have one. */
  readonly orderBy?: 'key' | 'sort-key'
  /** Only documents whose sort key is at most this (byte order); documents without one are left out. */
  readonly maxSortKey?: string
  readonly limit?: number
}

export interface CheckpointAdvance {
  /** The position the projection stood at when it read the batch; the commit fails if it moved. */
  readonly expected: number
  readonly next: Checkpoint
}

export interface ReadModelStore {
  readonly loadCheckpoint: (projection: string) => Promise<Either<StoreError, Checkpoint>>
  /** The documents stored under these keys; absent keys are absent from the map. */
  readonly load: (
    projection: string,
    collection: string,
    keys: ReadonlyArray<string>,
  ) => Promise<Either<StoreError, ReadonlyMap<string, unknown>>>
  readonly list: (
    projection: string,
    collection: string,
    query?: ListQuery,
  ) => Promise<Either<StoreError, ReadonlyArray<StoredDocument>>>
  /** Applies the changes and moves the checkpoint, atomically. */
  readonly commit: (
    projection: string,
    changes: ReadonlyArray<DocumentChange>,
    checkpoint: CheckpointAdvance,
  ) => Promise<Either<StoreError, void>>
  /** Drops a projection's documents and checkpoint, for a rebuild from scratch. */
  readonly reset: (projection: string) => Promise<Either<StoreError, void>>
  readonly close: () => Promise<void>
}

/** The stream id a checkpoint conflict names, so it reads as a `concurrency-conflict` like any other. */
export const checkpointStreamId = (projection: string): string => `$checkpoint-${projection}`
