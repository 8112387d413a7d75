// Every command of a history is decided again by the domain's decider: a history the handler wrote
// audits clean, and a forgery that keeps every hash chain intact (re-sealed) but records what no
// decision would — a due time moved by a second, an old or flawed photo accepted, another reason
// for a void or an invalidation, another account's withdrawal, a licence on another's stream, one
// command's events split over two days — is found, named by the rule the decider applies.
import type { StoredEvent } from '@elicence/domain'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { historyScriptArbitrary, licenceNumberFor } from '../testing/histories.js'
import { runHistoryScript } from '../testing/run-history.js'
import { auditHistory } from './audit.js'
import { reseal } from './reseal.fixture.js'

type Data = Record<string, unknown>
const later = (instant: unknown, ms: number) => new Date(Date.parse(String(instant)) + ms).toISOString()

/**
 * Edits of one event's data that no decision makes, by event type: each is a forgery whatever the
 * history around it (a reviewer's reasons and a submission's, which the event alone does not
 * explain, are left out).
 */
const forgeries: Readonly<Record<string, ReadonlyArray<(data: Data) => Data | undefined>>> = {
  ELicenceApplied: [(data) => ({ ...data, reviewDueAt: later(data.reviewDueAt, -1000) })],
  PhotoSubmitted: [
    (data) => ({ ...data, reviewDueAt: later(data.reviewDueAt, 1000) }),
    (data) => ({ ...data, photo: { ...(data.photo as Data), defects: ['mask'] } }),
    (data) => ({ ...data, photo: { ...(data.photo as Data), capturedOn: '2020-01-01' } }),
  ],
  PhotoRejected: [(data) => (data.source === 'review' ? { ...data, reasons: ['mask'] } : undefined)],
  ApplicationVoided: [
    (data) => ({ ...data, reason: data.reason === 'licence-expired' ? 'licence-status' : 'licence-expired' }),
  ],
  ELicenceInvalidated: [
    (data) => ({ ...data, reason: data.reason === 'renewal' ? 'licence-revoked' : 'renewal' }),
  ],
}

describe('each command decided again', () => {
  it('given a re-sealed history with one event recorded as no decision makes it, then the audit finds it', async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary(), fc.nat(), fc.nat(), async (script, pick, which) => {
        const { events } = await runHistoryScript(script)
        const forgeable = events.flatMap((event, index) =>
          (forgeries[event.type] ?? []).flatMap((forge) => {
            const data = forge(event.data as Data)
            return data === undefined ? [] : [{ index, data }]
          }),
        )
        fc.pre(forgeable.length > 0)
        const { index, data } = forgeable[(pick + which) % forgeable.length] as (typeof forgeable)[number]
        const forged = reseal(events.map((event, at) => (at === index ? { ...event, data } : event)))
        const report = await auditHistory(forged)
        expect(report.anomalies.length, JSON.stringify(forged[index]?.data)).toBeGreaterThan(0)
        expect(report.anomalies[0]?.version).toBeLessThanOrEqual(forged[index]?.version ?? 0)
      }),
      { numRuns: 150 },
    )
  })

  /** One licence applied for, a photo submitted after a rejection, then issued; and renewed. */
  const history = () =>
    runHistoryScript({
      licences: [
        { licenceNumber: licenceNumberFor(0), photoOnFile: false, statuses: ['A'] },
        { licenceNumber: licenceNumberFor(1), photoOnFile: true, statuses: ['A'] },
      ],
      steps: [
        { licence: 0, advanceMinutes: 0, recordLagMinutes: 0, action: { kind: 'apply' } },
        { licence: 0, advanceMinutes: 3 * 24 * 60, recordLagMinutes: 0, action: { kind: 'review' } },
        {
          licence: 0,
          advanceMinutes: 60,
          recordLagMinutes: 0,
          action: { kind: 'submit-photo', defects: [], ageDays: 10 },
        },
        { licence: 1, advanceMinutes: 5, recordLagMinutes: 0, action: { kind: 'apply' } },
        { licence: 0, advanceMinutes: 3 * 24 * 60, recordLagMinutes: 0, action: { kind: 'review' } },
        { licence: 1, advanceMinutes: 5, recordLagMinutes: 0, action: { kind: 'withdraw' } },
        {
          licence: 0,
          advanceMinutes: 60,
          recordLagMinutes: 0,
          action: { kind: 'renew', classes: ['B2'], validYears: 6, authority: 0 },
        },
      ],
    })

  const kindsOf = async (events: ReadonlyArray<StoredEvent>) =>
    (await auditHistory(reseal(events))).anomalies.map((anomaly) => [anomaly.kind, anomaly.message])

  it('the handler’s history is clean; a shortened due time with an early issue is refused by the rules', async () => {
    const { events } = await history()
    expect(await kindsOf(events)).toEqual([])
    const applied = events.findIndex((event) => event.type === 'ELicenceApplied')
    const forged = events.map((event, index) =>
      index === applied
        ? { ...event, data: { ...(event.data as Data), reviewDueAt: later(event.metadata.at, 1000) } }
        : event,
    )
    expect(await kindsOf(forged)).toEqual([['not-as-decided', expect.stringContaining('"reviewDueAt"')]])
  })

  it('finds a withdrawal by another account, a licence on another’s stream, and one command split over two days', async () => {
    const { events } = await history()
    const withdrawn = events.findIndex((event) => event.type === 'ApplicationWithdrawn')
    const byOther = events.map((event, index) =>
      index === withdrawn
        ? {
            ...event,
            metadata: {
              ...event.metadata,
              actor: {
                role: 'holder' as const,
                id: 'acct-someone-else' as StoredEvent['metadata']['actor']['id'],
              },
            },
          }
        : event,
    )
    expect(await kindsOf(byOther)).toEqual([
      ['refused-by-rules', expect.stringContaining('not-licence-holder')],
    ])

    const recorded = events.findIndex((event) => event.type === 'LicenceRecorded')
    const elsewhere = events.map((event, index) =>
      index === recorded
        ? { ...event, data: { ...(event.data as Data), licenceNumber: licenceNumberFor(7) } }
        : event,
    )
    expect((await kindsOf(elsewhere))[0]).toEqual([
      'wrong-stream',
      expect.stringContaining(licenceNumberFor(7)),
    ])

    // The renewal's invalidation two days later, under the renewal's commandId.
    const invalidated = events.findIndex((event) => event.type === 'ELicenceInvalidated')
    const split = events.map((event, index) => {
      if (index !== invalidated) return event
      const at = later(event.metadata.at, 2 * 86_400_000)
      return {
        ...event,
        data: { ...(event.data as Data), invalidatedAt: at },
        metadata: { ...event.metadata, at, recordedAt: at },
      }
    })
    expect(await kindsOf(split)).toContainEqual(['split-command', expect.stringContaining('differ in time')])
  })

  it('finds an issue that claims a later time than it was recorded at (rule 10)', async () => {
    const { events } = await history()
    const issued = events.findIndex((event) => event.type === 'ELicenceIssued')
    const ahead = events.map((event, index) =>
      index === issued
        ? { ...event, metadata: { ...event.metadata, recordedAt: later(event.metadata.at, -3 * 60_000) } }
        : event,
    )
    expect(await kindsOf(ahead)).toContainEqual(['instant-in-future', expect.stringContaining('120000 ms')])
  })
})
