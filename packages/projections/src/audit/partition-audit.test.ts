import { createHash } from 'node:crypto'
import { type EventStore, partitionOfStream, type StoredEvent, type StoreError } from '@elicence/domain'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { globalOrderLeaves, type PartitionLeaves } from '../log/leaf-merge.js'
import { leafOfEntry } from '../log/log-audit.js'
import type { Sha256 } from '../log/merkle.js'
import { historyScriptArbitrary, licenceNumberFor } from '../testing/histories.js'
import { runHistoryScript } from '../testing/run-history.js'
import { type AuditAnomaly, type AuditReport, auditHistory } from './audit.js'
import { auditPartition, mergeAuditReports } from './partition-audit.js'

const right = <A>(either: E.Either<StoreError, A>): A => {
  if (E.isLeft(either)) throw new Error(either.left.message)
  return either.right
}

/** A store that reads partitions of a fixed, possibly tampered, history, as a store would hold it. */
const serving = (events: ReadonlyArray<StoredEvent>): Pick<EventStore, 'readPartition'> => ({
  readPartition: async ({ after, limit, partition }) => {
    const page = events
      .filter(
        (event) =>
          event.position > after && partitionOfStream(event.streamId, partition.count) === partition.index,
      )
      .slice(0, limit)
    return E.right({ events: page, lastPosition: page[page.length - 1]?.position ?? after })
  },
})

const sha256: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest())
const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

/** Anomalies in one order whoever found them, for comparing reports as sets. */
const canonical = (anomalies: ReadonlyArray<AuditAnomaly>) =>
  anomalies.map((anomaly) => JSON.stringify(anomaly)).sort()

const comparable = (report: AuditReport) => ({ ...report, anomalies: canonical(report.anomalies) })

const tampering = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constantFrom('edit' as const, 'delete' as const), pick: fc.nat() }),
)

/** The history with one event's data edited (its hash no longer matches) or deleted (a version gap). */
const tampered = (
  events: ReadonlyArray<StoredEvent>,
  change: { readonly kind: 'none' } | { readonly kind: 'edit' | 'delete'; readonly pick: number },
) => {
  if (change.kind === 'none' || events.length === 0) return events
  const at = change.pick % events.length
  if (change.kind === 'delete') return events.filter((_, index) => index !== at)
  return events.map((event, index) =>
    index === at ? { ...event, data: { ...(event.data as object), edited: true } } : event,
  )
}

describe("the auditor's replay by partition", () => {
  it('the partitions of any count, audited apart and merged, report what one audit of the whole log does', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyScriptArbitrary({ maxLicences: 6, maxSteps: 40 }),
        fc.integer({ min: 1, max: 4 }),
        tampering,
        fc.option(fc.nat(), { nil: undefined }),
        async (script, count, change, cut) => {
          const { events } = await runHistoryScript(script)
          const history = tampered(events, change)
          const asOf =
            cut === undefined ? undefined : history[cut % Math.max(1, history.length)]?.metadata.recordedAt
          const options = asOf === undefined ? {} : { asOf }
          const whole = await auditHistory(history, options)
          const store = serving(history)
          const reports: AuditReport[] = []
          // The partitions' leaves, merged by position, are the leaves of the log read whole.
          const leaves: string[] = []
          const merge = globalOrderLeaves(count, (leaf) => leaves.push(hexOf(leaf)))
          for (let index = 0; index < count; index++) {
            const onBatch = (batch: PartitionLeaves) => merge.add(index, batch)
            reports.push(
              right(
                await auditPartition(store, {
                  ...options,
                  partition: { index, count },
                  pageSize: 3,
                  leaves: { sha256, onBatch },
                }),
              ),
            )
            merge.finish(index)
          }
          const merged = mergeAuditReports(reports)
          expect(comparable(merged)).toEqual(comparable(whole))
          expect(leaves).toEqual(history.map((event) => hexOf(leafOfEntry(sha256, event))))
          // Anomalies come in position order, those of no one event last.
          const positions = merged.anomalies.map((anomaly) => anomaly.position ?? Number.POSITIVE_INFINITY)
          expect(positions).toEqual([...positions].sort((a, b) => a - b))
        },
      ),
      { numRuns: 60 },
    )
  })

  it("hands on a partition's leaves in batches of at most 4096, which merge into the log's order", async () => {
    // Thousands of events (not stored events at all: the leaves are the order's whatever they hold).
    const events = Array.from(
      { length: 9_000 },
      (_, index) =>
        ({
          streamId: `stream-${index % 37}`,
          version: Math.floor(index / 37),
          position: 2 * index + 1,
          metadata: {
            hash: index % 5 === 0 ? 'not a hash' : hexOf(sha256(Uint8Array.of(index % 256, index >> 8))),
          },
        }) as unknown as StoredEvent,
    )
    const store = serving(events)
    const leaves: string[] = []
    const sizes: number[] = []
    const merge = globalOrderLeaves(2, (leaf) => leaves.push(hexOf(leaf)))
    for (let index = 0; index < 2; index++) {
      const onBatch = (batch: PartitionLeaves) => {
        sizes.push(batch.positions.length)
        merge.add(index, batch)
      }
      right(await auditPartition(store, { partition: { index, count: 2 }, leaves: { sha256, onBatch } }))
      merge.finish(index)
    }
    expect(Math.max(...sizes)).toBe(4096)
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(events.length)
    expect(leaves).toEqual(events.map((event) => hexOf(leafOfEntry(sha256, event))))
  })

  it('an as-of that is not an instant is one anomaly of the merged report, not one per partition', async () => {
    const { events } = await runHistoryScript({ licences: [], steps: [] })
    const store = serving(events)
    const reports: AuditReport[] = []
    for (let index = 0; index < 3; index++)
      reports.push(right(await auditPartition(store, { asOf: 'someday', partition: { index, count: 3 } })))
    const whole = await auditHistory(events, { asOf: 'someday' })
    expect(comparable(mergeAuditReports(reports))).toEqual(comparable(whole))
    expect(mergeAuditReports(reports).counts.anomaliesByKind).toEqual({ undecodable: 1 })
  })

  it('keeps the first anomalies up to the limit, in position order, and counts them all', async () => {
    const { events } = await runHistoryScript({
      licences: [0, 1, 2, 3].map((index) => ({
        licenceNumber: licenceNumberFor(index),
        photoOnFile: true,
        statuses: ['A'],
      })),
      steps: [],
    })
    expect(events).toHaveLength(4)
    // Every event edited (its data still an event's): each one's hash no longer matches.
    const edited = events.map((event) => ({
      ...event,
      data: { ...(event.data as object), photoOnFile: false },
    }))
    const store = serving(edited)
    const reports: AuditReport[] = []
    for (let index = 0; index < 2; index++)
      reports.push(right(await auditPartition(store, { partition: { index, count: 2 } })))
    const merged = mergeAuditReports(reports, 2)
    expect(merged.counts.anomalies).toBe(4)
    expect(merged.counts.anomaliesByKind).toEqual({ 'hash-mismatch': 4 })
    expect(merged.anomalies.map((anomaly) => [anomaly.kind, anomaly.position])).toEqual([
      ['hash-mismatch', 1],
      ['hash-mismatch', 2],
    ])
  })
})
