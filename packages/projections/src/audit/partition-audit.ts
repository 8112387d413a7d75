/**
 * The auditor's replay of one partition of the streams (DESIGN §8), and what the audits of all
 * partitions of one count add up to. Every check of `auditHistory` is about one stream — its
 * version count, hash chain, rules and view — except global order, which a store's read guarantees
 * (positions increase within each partition, and the audit still checks that); so the partitions'
 * reports, merged, are the report of the whole store. Comparing with stored read models needs the
 * whole rebuild in one place, so it is left to `auditHistory`. `auditPartitioned` runs each
 * partition in a worker thread; this module runs one in the calling thread.
 *
 * @example
 * const reports = []
 * for (let index = 0; index < 2; index++) {
 *   const audited = await auditPartition(store, { partition: { index, count: 2 } })
 *   if (isLeft(audited)) return audited
 *   reports.push(audited.right)
 * }
 * mergeAuditReports(reports).counts.anomalies
 */
import {
  type EventStore,
  type Partition,
  type StoredEvent,
  type StoreError,
  storedPages,
  storeFailure,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import type { PartitionLeaves } from '../log/leaf-merge.js'
import { leafHasher } from '../log/log-audit.js'
import { hashSize, type Sha256 } from '../log/merkle.js'
import { defaultReplayPageSize } from '../read-models/partition-replay.js'
import { emptyStatistics, mergeStatistics } from '../views/statistics.js'
import {
  type AuditAnomaly,
  type AuditAnomalyKind,
  type AuditOptions,
  type AuditReport,
  auditHistoryPages,
} from './audit.js'

export interface PartitionAuditOptions extends Omit<AuditOptions, 'storedViews'> {
  readonly partition: Partition
  /** Events read per `readPartition` call; default 500. */
  readonly pageSize?: number
  /**
   * The transparency log's leaves of the partition (`leafOfEntry` of every event read, as the
   * tree's reader hashes them), a few thousand at a time and the rest at the end, to be merged into global order
   * (`globalOrderLeaves`): the tree of the whole log is built without reading the log again.
   */
  readonly leaves?: {
    readonly sha256: Sha256
    readonly onBatch: (leaves: PartitionLeaves) => void
  }
}

/** Leaves handed on together: a few thousand, so that a message to another thread carries many. */
const leavesPerBatch = 4096

/**
 * Gathers the partition's leaves into batches of `leavesPerBatch` and hands each on when full, the
 * last when `flush`ed. A position that is not a number (no store gives one; the audit reports the
 * event) takes the one before it, so the leaf stays where it was read among its partition's.
 */
const leafBatches = (sha256: Sha256, onBatch: (leaves: PartitionLeaves) => void) => {
  const leafOf = leafHasher(sha256)
  let positions = new Float64Array(leavesPerBatch)
  let hashes = new Uint8Array(leavesPerBatch * hashSize)
  let count = 0
  let previous = 0
  const flush = () => {
    if (count === 0) return
    onBatch(
      count === leavesPerBatch
        ? { positions, hashes }
        : { positions: positions.slice(0, count), hashes: hashes.slice(0, count * hashSize) },
    )
    positions = new Float64Array(leavesPerBatch)
    hashes = new Uint8Array(leavesPerBatch * hashSize)
    count = 0
  }
  return {
    add: (events: ReadonlyArray<StoredEvent>) => {
      for (const event of events) {
        const position: unknown = (event as { position?: unknown } | null)?.position
        previous = typeof position === 'number' && !Number.isNaN(position) ? position : previous
        positions[count] = previous
        hashes.set(leafOf(event), count * hashSize)
        count++
        if (count === leavesPerBatch) flush()
      }
    },
    flush,
  }
}

/** Audits one partition in this thread. A store without `readPartition` is a `store-failure`. */
export const auditPartition = async (
  store: Pick<EventStore, 'readPartition'>,
  options: PartitionAuditOptions,
): Promise<E.Either<StoreError, AuditReport>> => {
  const { partition, pageSize = defaultReplayPageSize, leaves, ...auditOptions } = options
  if (store.readPartition === undefined) return E.left(storeFailure('the store does not read partitions'))
  let failure: StoreError | undefined
  const batches = leaves === undefined ? undefined : leafBatches(leaves.sha256, leaves.onBatch)
  async function* pages(): AsyncGenerator<ReadonlyArray<StoredEvent>> {
    for await (const page of storedPages(store, { pageSize, partition })) {
      if (E.isLeft(page)) {
        failure = page.left
        return
      }
      batches?.add(page.right.events)
      yield page.right.events
    }
  }
  const report = await auditHistoryPages(pages(), auditOptions)
  batches?.flush()
  return failure === undefined ? E.right(report) : E.left(failure)
}

const sumCounts = <K extends string>(
  records: ReadonlyArray<Readonly<Partial<Record<K, number>>>>,
): Record<K, number> => {
  const sum = {} as Record<K, number>
  for (const record of records)
    for (const [key, count] of Object.entries(record) as Array<[K, number]>)
      sum[key] = (sum[key] ?? 0) + count
  return sum
}

/** Anomalies in position order; those of no one event (a command's end state) after them. */
const byPosition = (a: AuditAnomaly, b: AuditAnomaly): number =>
  (a.position ?? Number.POSITIVE_INFINITY) - (b.position ?? Number.POSITIVE_INFINITY) ||
  (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : a.version - b.version)

/** An anomaly of the audit itself (an as-of that is not an instant): every partition finds it alike. */
const aboutTheAudit = (anomaly: AuditAnomaly): boolean => anomaly.streamId === '' && anomaly.position === null

/**
 * The audits of every partition of one count, each once, as the audit of the whole store; the
 * report keeps the first `maxAnomalies` (default 10 000) anomalies in position order, and counts all.
 */
export const mergeAuditReports = (
  reports: ReadonlyArray<AuditReport>,
  maxAnomalies = 10_000,
): AuditReport => {
  const repeated = reports.slice(1).flatMap((report) => report.anomalies.filter(aboutTheAudit))
  const anomaliesByKind = sumCounts<AuditAnomalyKind>(reports.map((report) => report.counts.anomaliesByKind))
  for (const anomaly of repeated) anomaliesByKind[anomaly.kind] = (anomaliesByKind[anomaly.kind] ?? 0) - 1
  return {
    counts: {
      events: reports.reduce((sum, report) => sum + report.counts.events, 0),
      skipped: reports.reduce((sum, report) => sum + report.counts.skipped, 0),
      streams: reports.reduce((sum, report) => sum + report.counts.streams, 0),
      licences: reports.reduce((sum, report) => sum + report.counts.licences, 0),
      eLicencesIssued: reports.reduce((sum, report) => sum + report.counts.eLicencesIssued, 0),
      byType: sumCounts(reports.map((report) => report.counts.byType)),
      anomalies: reports.reduce((sum, report) => sum + report.counts.anomalies, 0) - repeated.length,
      anomaliesByKind,
      dueTimesUnchecked: sumCounts(reports.map((report) => report.counts.dueTimesUnchecked)),
    },
    anomalies: [
      ...(reports[0]?.anomalies.filter(aboutTheAudit) ?? []),
      ...reports
        .flatMap((report) => report.anomalies.filter((anomaly) => !aboutTheAudit(anomaly)))
        .sort(byPosition),
    ].slice(0, maxAnomalies),
    lastPosition: reports.reduce((last, report) => Math.max(last, report.lastPosition), 0),
    statistics: reports.map((report) => report.statistics).reduce(mergeStatistics, emptyStatistics),
    asOf: reports[0]?.asOf ?? null,
  }
}
