/**
 * A whole store replayed, or audited, partitioned by stream across worker threads (DESIGN §8):
 * each worker opens the store itself and reads its partition through `readPartition`
 * (partition-workers.ts); this thread merges what they built. Streams are independent, so the
 * result equals one reader's (`replayReadModels` fed by `readAll`, `auditHistory` of the whole log),
 * and it comes about as many times faster as there are cores. Memory: each worker holds the state of
 * its own licences, and nothing grows with the history, only with the licences.
 *
 * @example
 * const store = { module: import.meta.resolve('@elicence/sqlite'), open: 'openSqliteEventStore', location: './data/elicence.db' }
 * const replayed = await replayPartitioned({ store, partitions: availableParallelism() })
 * if (isRight(replayed)) console.log(replayed.right.statistics.byState.issued)
 * const audited = await auditPartitioned({ store, partitions: 2, onProgress: (p) => bar.update(p.events) })
 */
import { type Partition, type StoreError, storeFailure } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import type { AuditOptions, AuditProgress, AuditReport } from '../audit/audit.js'
import { mergeAuditReports } from '../audit/partition-audit.js'
import { globalOrderLeaves } from '../log/leaf-merge.js'
import {
  type MergedReplay,
  mergePartitionReplays,
  type PartitionReplay,
} from '../read-models/partition-replay.js'
import { type PartitionWorkersOptions, runPartitionWorkers } from './partition-workers.js'

export interface PartitionOutcome {
  readonly partition: Partition
  readonly events: number
  /** Position of the partition's last event: where a replay of it would resume. */
  readonly lastPosition: number
  /** The worker's highest V8 heap use seen between pages, in bytes. */
  readonly peakHeapBytes: number
}

export interface PartitionedReplayOptions extends PartitionWorkersOptions {
  /** Events per `readPartition` call; default 500 (`defaultReplayPageSize`). */
  readonly pageSize?: number
  /** Hand back every view (copied out of the workers: tests, small histories); default false. */
  readonly views?: boolean
  /** Told the count of events replayed by all workers so far, after each page of any. */
  readonly onProgress?: (events: number) => void
}

export interface PartitionedReplay extends MergedReplay {
  readonly partitions: ReadonlyArray<PartitionOutcome>
}

/** Replays every partition in its own worker thread and merges their views, statistics and queues. */
export const replayPartitioned = async (
  options: PartitionedReplayOptions,
): Promise<E.Either<StoreError, PartitionedReplay>> => {
  const progress = new Map<number, number>()
  const runs = await runPartitionWorkers<PartitionReplay, number>(
    options,
    { kind: 'replay', pageSize: options.pageSize, views: options.views === true },
    (partition, events) => {
      progress.set(partition.index, events)
      options.onProgress?.([...progress.values()].reduce((sum, each) => sum + each, 0))
    },
  )
  if (E.isLeft(runs)) return runs
  return E.right({
    ...mergePartitionReplays(runs.right.map((run) => run.result)),
    partitions: runs.right.map(({ partition, result, peakHeapBytes }) => ({
      partition,
      events: result.events,
      lastPosition: result.lastPosition,
      peakHeapBytes,
    })),
  })
}

export interface PartitionedAuditOptions
  extends PartitionWorkersOptions,
    Pick<
      AuditOptions,
      'asOf' | 'axis' | 'progressEvery' | 'maxAnomalies' | 'calendarSchedules' | 'maxClockSkewMs'
    > {
  /** Events per `readPartition` call; default 500. */
  readonly pageSize?: number
  /** Progress of all workers together: events, streams and anomalies summed. */
  readonly onProgress?: (progress: AuditProgress) => void
  /**
   * Told the transparency log's leaf hash of every event (`leafOfEntry`), in global order, e.g.
   * `historyTreeCheck(…).observeLeaf`: the workers hash the leaves of their partitions and this
   * thread merges them by position (`globalOrderLeaves`), so the tree is built beside the workers
   * without a reader of the whole log. The hash is a view of bytes never written again.
   */
  readonly onLeaf?: (leafHash: Uint8Array) => void
}

/**
 * The auditor's replay (`auditHistory`) of every partition in its own worker thread, merged
 * (`mergeAuditReports`). Each worker hashes with node:crypto and decodes with `options.decoder`. It
 * does not compare stored read models: `auditHistory` does, over the whole log. An `asOf` that is
 * not an instant is refused, as a `store-failure`, before any worker starts.
 */
export const auditPartitioned = async (
  options: PartitionedAuditOptions,
): Promise<E.Either<StoreError, AuditReport & { readonly partitions: ReadonlyArray<PartitionOutcome> }>> => {
  // As `auditHistory` reads an as-of; it would report a bad one as an anomaly in every partition.
  if (options.asOf !== undefined && !Number.isFinite(Date.parse(options.asOf)))
    return E.left(storeFailure(`as-of ${options.asOf} is not an instant`))
  const progress = new Map<number, AuditProgress>()
  const { onLeaf } = options
  const merge = onLeaf === undefined ? undefined : globalOrderLeaves(options.partitions, onLeaf)
  const runs = await runPartitionWorkers<AuditReport, AuditProgress>(
    options,
    {
      kind: 'audit',
      pageSize: options.pageSize,
      asOf: options.asOf,
      axis: options.axis,
      progressEvery: options.progressEvery,
      maxAnomalies: options.maxAnomalies,
      calendarSchedules: options.calendarSchedules,
      maxClockSkewMs: options.maxClockSkewMs,
      leaves: merge !== undefined,
    },
    (partition, reported) => {
      progress.set(partition.index, reported)
      const all = [...progress.values()]
      options.onProgress?.({
        events: all.reduce((sum, each) => sum + each.events, 0),
        streams: all.reduce((sum, each) => sum + each.streams, 0),
        anomalies: all.reduce((sum, each) => sum + each.anomalies, 0),
        position: all.reduce((last, each) => Math.max(last, each.position), 0),
      })
    },
    (partition, leaves) =>
      leaves === 'done' ? merge?.finish(partition.index) : merge?.add(partition.index, leaves),
  )
  if (E.isLeft(runs)) return runs
  return E.right({
    ...mergeAuditReports(
      runs.right.map((run) => run.result),
      options.maxAnomalies,
    ),
    partitions: runs.right.map(({ partition, result, peakHeapBytes }) => ({
      partition,
      events: result.counts.events,
      lastPosition: result.lastPosition,
      peakHeapBytes,
    })),
  })
}
