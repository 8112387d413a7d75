import type { StoredEvent } from '@elicence/domain'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { inMemoryReadModelStore } from '../read-models/in-memory.js'
import { readModelQueries } from '../read-models/queries.js'
import { projectionRunner } from '../read-models/runner.js'
import { historyScriptArbitrary, licenceNumberFor } from '../testing/histories.js'
import { eventsUpTo } from '../testing/read-model-store-conformance.js'
import { runHistoryScript } from '../testing/run-history.js'
import { type AuditReport, auditHistory } from './audit.js'
import { reseal } from './reseal.fixture.js'

const kinds = (report: AuditReport) => report.anomalies.map((anomaly) => anomaly.kind)

/** A history with an issued, then renewed e-licence: every kind of tampering has something to hit. */
const scenario = () =>
  runHistoryScript({
    licences: [
      { licenceNumber: licenceNumberFor(0), photoOnFile: true, statuses: ['A'] },
      { licenceNumber: licenceNumberFor(1), photoOnFile: true, statuses: ['A'] },
    ],
    steps: [
      { licence: 0, advanceMinutes: 0, recordLagMinutes: 0, action: { kind: 'apply' } },
      { licence: 1, advanceMinutes: 10, recordLagMinutes: 0, action: { kind: 'apply' } },
      { licence: 0, advanceMinutes: 3 * 24 * 60, recordLagMinutes: 0, action: { kind: 'review' } },
      {
        licence: 0,
        advanceMinutes: 60,
        recordLagMinutes: 0,
        action: { kind: 'renew', classes: ['B2'], validYears: 6, authority: 0 },
      },
      { licence: 1, advanceMinutes: 60, recordLagMinutes: 0, action: { kind: 'review' } },
    ],
  })

const indexOfType = (events: ReadonlyArray<StoredEvent>, type: string) =>
  events.findIndex((event) => event.type === type)

describe("the auditor's replay", () => {
  it('finds nothing wrong in any history the handler wrote', async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary(), async (script) => {
        const { events } = await runHistoryScript(script)
        const report = await auditHistory(events)
        expect(report.anomalies).toEqual([])
        expect(report.counts.events).toBe(events.length)
      }),
    )
  })

  it('given an edited event, then its hash does not match', async () => {
    const { events } = await scenario()
    const at = indexOfType(events, 'ELicenceIssued')
    const edited = events.map((event, index) =>
      index === at ? { ...event, data: { ...(event.data as object), classes: ['A1'] } } : event,
    )
    const report = await auditHistory(edited)
    expect(report.anomalies).toContainEqual(
      expect.objectContaining({
        kind: 'hash-mismatch',
        streamId: events[at]?.streamId,
        version: events[at]?.version,
      }),
    )
  })

  it('given an event deleted from the middle of a stream, then the version gap and the broken link are found', async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary(), fc.nat(), async (script, pick) => {
        const { events } = await runHistoryScript(script)
        // Only events that are followed by another of their stream leave a trace in the chain.
        const candidates = events.filter((event) =>
          events.some((later) => later.streamId === event.streamId && later.version > event.version),
        )
        fc.pre(candidates.length > 0)
        const deleted = candidates[pick % candidates.length] as StoredEvent
        const report = await auditHistory(events.filter((event) => event !== deleted))
        expect(report.anomalies).toContainEqual(
          expect.objectContaining({
            kind: 'version-gap',
            streamId: deleted.streamId,
            version: deleted.version + 1,
          }),
        )
        expect(kinds(report)).toContain('prev-hash-mismatch')
      }),
    )
  })

  it('given two events of a stream swapped, then the reordering is found', async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary(), fc.nat(), async (script, pick) => {
        const { events } = await runHistoryScript(script)
        const pairs = events.flatMap((event, index) => {
          const next = events.findIndex(
            (later, laterIndex) => laterIndex > index && later.streamId === event.streamId,
          )
          return next === -1 ? [] : [[index, next] as const]
        })
        fc.pre(pairs.length > 0)
        const [first, second] = pairs[pick % pairs.length] as readonly [number, number]
        const swapped = events.map((event, index) =>
          index === first
            ? { ...(events[second] as StoredEvent), position: event.position }
            : index === second
              ? { ...(events[first] as StoredEvent), position: event.position }
              : event,
        )
        const report = await auditHistory(swapped)
        expect(kinds(report)).toContain('version-gap')
        expect(kinds(report)).toContain('prev-hash-mismatch')
      }),
    )
  })

  it('given global positions out of order, then it is found', async () => {
    const { events } = await scenario()
    const report = await auditHistory([events[1], events[0], ...events.slice(2)] as StoredEvent[])
    expect(kinds(report)).toContain('position-out-of-order')
  })

  it('given an e-licence issued before its review was due, even in a re-sealed chain, then the rule break is found', async () => {
    const { events } = await scenario()
    const at = indexOfType(events, 'ELicenceIssued')
    const applied = events[indexOfType(events, 'ELicenceApplied')] as StoredEvent
    const early = new Date(
      Date.parse((applied.data as { appliedAt: string }).appliedAt) + 60_000,
    ).toISOString()
    const forged = reseal(
      events.map((event, index) =>
        index === at
          ? {
              ...event,
              data: { ...(event.data as object), issuedAt: early },
              metadata: { ...event.metadata, at: early },
            }
          : event,
      ),
    )
    const report = await auditHistory(forged)
    expect(kinds(report)).toEqual(['issued-before-review-due'])
  })

  it('given a renewal stated a nanosecond before the issue it follows, re-sealed, then time ran backwards (rule 10)', async () => {
    const { events } = await scenario()
    const issued = events[indexOfType(events, 'ELicenceIssued')] as StoredEvent
    const renewal = events[indexOfType(events, 'LicenceRenewed')] as StoredEvent
    // Both in the millisecond, nine fraction digits each: only the last ones tell them apart.
    const restated = (event: StoredEvent, base: string, subMs: string): StoredEvent => {
      const at = base.replace(/Z$/, `${subMs}Z`)
      const data = Object.fromEntries(
        Object.entries(event.data as object).map(([key, value]) => [
          key,
          value === event.metadata.at ? at : value,
        ]),
      )
      return { ...event, data, metadata: { ...event.metadata, at } }
    }
    const issuedAt = issued.metadata.at
    const forged = reseal(
      events.map((event) =>
        event.metadata.commandId === issued.metadata.commandId
          ? restated(event, issuedAt, '000002')
          : event.metadata.commandId === renewal.metadata.commandId
            ? restated(event, issuedAt, '000001')
            : event,
      ),
    )
    expect(kinds(await auditHistory(forged))).toEqual(['instant-before-history'])
  })

  it('given a renewal that changed the classes without invalidating the e-licence, even re-sealed, then it is found', async () => {
    const { events } = await scenario()
    const forged = reseal(events.filter((event) => event.type !== 'ELicenceInvalidated'))
    const report = await auditHistory(forged)
    expect(kinds(report)).toContain('e-licence-active-across-change')
  })

  it('given a second application while one is open, re-sealed, then it is found', async () => {
    const { events } = await scenario()
    const applied = events[indexOfType(events, 'ELicenceApplied')] as StoredEvent
    const forged = reseal(
      [...events.slice(0, 2), { ...applied, position: 0 }, ...events.slice(2)].map((event, index) => ({
        ...event,
        position: index + 1,
      })),
    )
    expect(kinds(await auditHistory(forged))).toContain('second-open-application')
  })

  it('given what is not a stored event, then it is reported, not thrown', async () => {
    const report = await auditHistory([{ nonsense: true } as unknown as StoredEvent])
    expect(kinds(report)).toEqual(['undecodable'])
  })

  it('compares the rebuild with stored read models, and finds a deleted last event through them', async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary(), async (script) => {
        const { events } = await runHistoryScript(script)
        const readModels = inMemoryReadModelStore()
        await projectionRunner({
          events: eventsUpTo(events, { position: Number.MAX_SAFE_INTEGER }),
          readModels,
        }).catchUp()
        const stored = await readModelQueries(readModels).storedReadModels()
        if (E.isLeft(stored)) throw new Error(stored.left.message)
        expect((await auditHistory(events, { storedViews: stored.right })).anomalies).toEqual([])
        // The last event vanishes from the history, but the read models remember its hash.
        const truncated = events.slice(0, -1)
        const report = await auditHistory(truncated, { storedViews: stored.right })
        expect(kinds(report)).toContain('checkpoint-mismatch')
        expect(kinds(report).some((kind) => kind === 'view-mismatch' || kind === 'view-unexpected')).toBe(
          true,
        )
        // As of an instant before the last event, the stored (present) read models are not compared:
        // they would differ from the rebuild as of then, with nothing changed.
        const beforeLast = events[events.length - 2]?.metadata.recordedAt
        if (beforeLast !== undefined && beforeLast < (events[events.length - 1]?.metadata.recordedAt ?? ''))
          expect(
            (await auditHistory(events, { storedViews: stored.right, asOf: beforeLast })).anomalies,
          ).toEqual([])
      }),
    )
  })

  it('audits the history as of an instant, skipping what was recorded later', async () => {
    const { events } = await scenario()
    const cut = events[3]?.metadata.recordedAt ?? ''
    const report = await auditHistory(events, { asOf: cut })
    expect(report.counts.events).toBe(events.length)
    expect(report.counts.skipped).toBeGreaterThan(0)
    expect(report.anomalies).toEqual([])
  })

  it('reports progress', async () => {
    const { events } = await scenario()
    const seen: number[] = []
    await auditHistory(events, { progressEvery: 2, onProgress: (progress) => seen.push(progress.events) })
    expect(seen[seen.length - 1]).toBe(events.length)
    expect(seen.length).toBeGreaterThan(1)
  })
})
