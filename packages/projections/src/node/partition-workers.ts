/**
 * Worker threads, one per partition of the streams (DESIGN §8): each opens the store itself — by a
 * module, an export of it that opens stores and a location (a file path, a store URL) — runs one
 * task over its partition (a replay into the views, or the auditor's replay), and posts progress
 * and then its result, or why it failed. Nothing is shared between the threads. The first failure
 * stops the other workers. `replayPartitioned` and `auditPartitioned` (partitioned.ts) are built
 * on this.
 *
 * The store is opened once in this thread first: a store without `readPartition` is refused before
 * any worker starts, and a file that needs a schema migration is migrated once, not by every worker
 * at once. The workers run `partition-worker.js` beside this file; run from the TypeScript sources
 * (as the tests do), they need a TypeScript loader in `execArgv`.
 *
 * @example
 * const runs = await runPartitionWorkers<PartitionReplay, number>(
 *   { store: { module: import.meta.resolve('@elicence/sqlite'), open: 'openSqliteEventStore', location: path }, partitions: 2 },
 *   { kind: 'replay', pageSize: 500, views: false },
 *   (partition, events) => bar.update(partition.index, events),
 * )
 */
import { Worker } from 'node:worker_threads'
import {
  defaultStoredEventDecoder,
  type EventStore,
  type Partition,
  partitionProblem,
  type StoredEventDecoder,
  type StoreError,
  storeFailure,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import type { PartitionLeaves } from '../log/leaf-merge.js'
import type { TimeAxis } from '../views/as-of.js'

/** Where every thread can open the same store. */
export interface EventStoreLocator {
  /** A module URL every worker can import, e.g. `import.meta.resolve('@elicence/sqlite')`. */
  readonly module: string
  /**
   * The export of `module` that opens a store from `location`: it may return the store, an Either
   * of one (a Left with a `message`), or a promise of either — `sqliteEventStore`,
   * `openSqliteEventStore` and the CLI's `openEventStore` all do.
   */
  readonly open: string
  /** What `open` is given: a file path, a store URL. */
  readonly location: string
}

/**
 * Where every thread finds the embedder's `StoredEventDecoder` (a decoder holds functions, which
 * cannot cross to another thread): a module URL and the name of the export that is the decoder.
 * Absent: this build's upcasters.
 */
export interface DecoderLocator {
  readonly module: string
  readonly export: string
}

/** What each worker does with its partition; only data, as it crosses to another thread. */
export type PartitionTask =
  | { readonly kind: 'replay'; readonly pageSize: number | undefined; readonly views: boolean }
  | {
      readonly kind: 'audit'
      readonly pageSize: number | undefined
      readonly asOf: string | undefined
      readonly axis: TimeAxis | undefined
      readonly progressEvery: number | undefined
      readonly maxAnomalies: number | undefined
      readonly calendarSchedules: ReadonlyArray<unknown> | undefined
      readonly maxClockSkewMs: number | undefined
      /** Post the partition's leaves of the transparency log's tree, a batch of a few thousand at a time. */
      readonly leaves: boolean
    }

export interface PartitionWorkerData {
  readonly store: EventStoreLocator
  readonly decoder: DecoderLocator | undefined
  readonly partition: Partition
  readonly task: PartitionTask
}

export type PartitionWorkerMessage =
  | { readonly kind: 'progress'; readonly progress: unknown }
  | { readonly kind: 'leaves'; readonly leaves: PartitionLeaves }
  | { readonly kind: 'done'; readonly result: unknown; readonly peakHeapBytes: number }
  | { readonly kind: 'failed'; readonly error: StoreError }

export interface PartitionWorkersOptions {
  readonly store: EventStoreLocator
  /** How every worker reads stored events: the embedder's decoder, by module and export. */
  readonly decoder?: DecoderLocator
  /** Worker threads, one partition each: the cores to spend. */
  readonly partitions: number
  /** Node options of the workers; default this process's. */
  readonly execArgv?: ReadonlyArray<string>
}

export interface PartitionRun<R> {
  readonly partition: Partition
  readonly result: R
  /** The worker's highest V8 heap use seen between pages, in bytes. */
  readonly peakHeapBytes: number
}

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

const isEither = (value: unknown): value is E.Either<unknown, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  '_tag' in value &&
  (value._tag === 'Left' || value._tag === 'Right')

const isDecoder = (value: unknown): value is StoredEventDecoder =>
  typeof value === 'object' &&
  value !== null &&
  'decode' in value &&
  typeof value.decode === 'function' &&
  'decodeShaped' in value &&
  typeof value.decodeShaped === 'function'

/** Loads the decoder a locator names; none named is this build's. */
export const loadLocatedDecoder = async (
  locator: DecoderLocator | undefined,
): Promise<E.Either<StoreError, StoredEventDecoder>> => {
  if (locator === undefined) return E.right(defaultStoredEventDecoder)
  try {
    const module: Record<string, unknown> = await import(locator.module)
    const decoder = module[locator.export]
    return isDecoder(decoder)
      ? E.right(decoder)
      : E.left(storeFailure(`${locator.export} of ${locator.module} is not a stored-event decoder`))
  } catch (cause) {
    return E.left(storeFailure(`cannot load the decoder: ${messageOf(cause)}`, cause))
  }
}

const isEventStore = (value: unknown): value is EventStore =>
  typeof value === 'object' &&
  value !== null &&
  'readAll' in value &&
  typeof value.readAll === 'function' &&
  'close' in value &&
  typeof value.close === 'function'

/** Opens the store a locator names, errors as values: a missing module or export, a throwing opener. */
export const openLocatedStore = async (
  locator: EventStoreLocator,
): Promise<E.Either<StoreError, EventStore>> => {
  let opened: unknown
  try {
    const module: Record<string, unknown> = await import(locator.module)
    const open = module[locator.open]
    if (typeof open !== 'function')
      return E.left(storeFailure(`${locator.module} has no function ${locator.open} to open a store`))
    opened = await open(locator.location)
  } catch (cause) {
    return E.left(storeFailure(`cannot open the store: ${messageOf(cause)}`, cause))
  }
  const store = isEither(opened) ? opened : E.right(opened)
  if (E.isLeft(store)) {
    const { left } = store
    const message =
      typeof left === 'object' && left !== null && 'message' in left ? String(left.message) : String(left)
    return E.left(storeFailure(`cannot open the store: ${message}`))
  }
  if (!isEventStore(store.right))
    return E.left(storeFailure(`${locator.open} of ${locator.module} did not give an event store`))
  return E.right(store.right)
}

// From the built package the worker is partition-worker.js beside this file; from the TypeScript
// sources it is the .ts file, which Node loads only with a loader the caller puts in `execArgv`.
const workerUrl = (): URL =>
  new URL(
    import.meta.url.endsWith('.ts') ? './partition-worker.ts' : './partition-worker.js',
    import.meta.url,
  )

/**
 * Runs `task` over every partition of `options.partitions`, one worker each, and gives their
 * results in partition order. `R` and `P` are what the worker posts for this task. `onLeaves` is
 * told each batch of leaves an audit task posts, and `done` when the partition has no more.
 */
export const runPartitionWorkers = async <R, P>(
  options: PartitionWorkersOptions,
  task: PartitionTask,
  onProgress?: (partition: Partition, progress: P) => void,
  onLeaves?: (partition: Partition, leaves: PartitionLeaves | 'done') => void,
): Promise<E.Either<StoreError, ReadonlyArray<PartitionRun<R>>>> => {
  const count = options.partitions
  const problem = partitionProblem({ index: 0, count })
  if (problem !== undefined) return E.left(storeFailure(problem))
  // A decoder that cannot be loaded is refused here, before any worker starts.
  const decoder = await loadLocatedDecoder(options.decoder)
  if (E.isLeft(decoder)) return decoder
  const checked = await openLocatedStore(options.store)
  if (E.isLeft(checked)) return checked
  const partitioned = checked.right.readPartition !== undefined
  await checked.right.close()
  if (!partitioned) return E.left(storeFailure('the store does not read partitions'))

  const workers: Worker[] = []
  const run = (partition: Partition) =>
    new Promise<E.Either<StoreError, PartitionRun<R>>>((resolve) => {
      const workerData: PartitionWorkerData = {
        store: options.store,
        decoder: options.decoder,
        partition,
        task,
      }
      const worker = new Worker(workerUrl(), {
        workerData,
        ...(options.execArgv === undefined ? {} : { execArgv: [...options.execArgv] }),
      })
      workers.push(worker)
      worker.on('message', (message: PartitionWorkerMessage) => {
        switch (message.kind) {
          case 'progress':
            onProgress?.(partition, message.progress as P)
            return
          case 'leaves':
            onLeaves?.(partition, message.leaves)
            return
          case 'done':
            // Messages of one port arrive in order: every batch of leaves came before this.
            onLeaves?.(partition, 'done')
            resolve(E.right({ partition, result: message.result as R, peakHeapBytes: message.peakHeapBytes }))
            return
          case 'failed':
            resolve(E.left(message.error))
            return
        }
      })
      worker.on('error', (cause) =>
        resolve(E.left(storeFailure(`partition ${partition.index}: ${messageOf(cause)}`, cause))),
      )
      // After 'done' or 'failed' this settles nothing: a promise keeps its first outcome.
      worker.on('exit', (code) =>
        resolve(E.left(storeFailure(`partition ${partition.index}: the worker exited (${code})`))),
      )
    })

  const outcomes = Array.from({ length: count }, (_, index) => run({ index, count }))
  // The first failure ends the run: the other workers are stopped rather than left to finish.
  const firstFailure = new Promise<E.Either<StoreError, never>>((resolve) => {
    for (const outcome of outcomes) void outcome.then((settled) => E.isLeft(settled) && resolve(settled))
  })
  const settled = await Promise.race([Promise.all(outcomes).then(E.sequenceArray), firstFailure])
  await Promise.all(workers.map((worker) => worker.terminate()))
  return settled
}
