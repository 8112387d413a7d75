import { type DecodedStoredEvent, inMemoryEventStore } from '@elicence/domain'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { decodeHistory, historyScriptArbitrary, licenceNumberFor } from '../testing/histories.js'
import { runHistoryScript } from '../testing/run-history.js'
import { asOf, eLicenceAsOf, readLicenceView } from './as-of.js'
import { eLicenceView } from './e-licence.js'
import { foldView } from './view.js'

const streamOf = (events: ReadonlyArray<DecodedStoredEvent>, licenceNumber: string) =>
  events.filter((event) => event.streamId === `licence-${licenceNumber}`)

describe('as-of views', () => {
  it('on the record axis, the view as of an event being recorded is the view of its stream up to that event', async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary({ maxLicences: 1 }), async (script) => {
        const { events } = await runHistoryScript(script)
        const stream = streamOf(decodeHistory(events), licenceNumberFor(0))
        for (const [index, event] of stream.entries()) {
          // Events of one command share their recordedAt: the prefix runs to the command's last event.
          const end = stream.findLastIndex((later) => later.metadata.recordedAt === event.metadata.recordedAt)
          expect(eLicenceAsOf(stream, event.metadata.recordedAt, 'record')).toEqual(
            E.right(foldView(eLicenceView, stream.slice(0, Math.max(index, end) + 1))),
          )
        }
      }),
    )
  })

  it('on either axis, as of the end of time is the current view and before the first event is nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyScriptArbitrary({ maxLicences: 1 }),
        fc.constantFrom('business' as const, 'record' as const),
        async (script, axis) => {
          const { events } = await runHistoryScript(script)
          const stream = streamOf(decodeHistory(events), licenceNumberFor(0))
          expect(eLicenceAsOf(stream, '9999-12-31T00:00:00Z', axis)).toEqual(
            E.right(foldView(eLicenceView, stream)),
          )
          expect(eLicenceAsOf(stream, '2000-01-01T00:00:00Z', axis)).toEqual(E.right(null))
        },
      ),
    )
  })

  it('given an event recorded 30 minutes after it happened, then as of 15 minutes after it the business view has it and the record view does not', async () => {
    const { events } = await runHistoryScript({
      licences: [{ licenceNumber: licenceNumberFor(0), photoOnFile: true, statuses: ['A'] }],
      steps: [{ licence: 0, advanceMinutes: 60, recordLagMinutes: 30, action: { kind: 'apply' } }],
    })
    const stream = decodeHistory(events)
    const applied = stream[1]
    if (applied === undefined) throw new Error('the scenario applies')
    const between = new Date(Date.parse(applied.metadata.at) + 15 * 60_000).toISOString()
    expect(
      E.map((view: unknown) => (view as { state: string } | null)?.state)(
        eLicenceAsOf(stream, between, 'business'),
      ),
    ).toEqual(E.right('pending-review'))
    expect(
      E.map((view: unknown) => (view as { state: string } | null)?.state)(
        eLicenceAsOf(stream, between, 'record'),
      ),
    ).toEqual(E.right('none'))
  })

  it('orders an event and the instant asked to the last digit of their fractions, on both axes', async () => {
    const { events } = await runHistoryScript({
      licences: [{ licenceNumber: licenceNumberFor(0), photoOnFile: true, statuses: ['A'] }],
      steps: [{ licence: 0, advanceMinutes: 60, recordLagMinutes: 0, action: { kind: 'apply' } }],
    })
    // The application stated and recorded half a microsecond into its millisecond.
    const stream = decodeHistory(events).map((event, index) => {
      if (index === 0) return event
      const at = event.metadata.at.replace('Z', '').replace(/(\.\d{3})?$/, (ms) => `${ms || '.000'}0005Z`)
      return { ...event, metadata: { ...event.metadata, at, recordedAt: at } }
    })
    const at = stream[1]?.metadata.at ?? ''
    const stateAt = (instant: string, axis: 'business' | 'record') =>
      E.map((view: unknown) => (view as { state: string } | null)?.state)(eLicenceAsOf(stream, instant, axis))
    for (const axis of ['business', 'record'] as const) {
      expect(stateAt(at.replace('0005Z', '0001Z'), axis)).toEqual(E.right('none'))
      expect(stateAt(at, axis)).toEqual(E.right('pending-review'))
      expect(stateAt(at.replace('0005Z', '00050001Z'), axis)).toEqual(E.right('pending-review'))
    }
  })

  it('refuses an instant that is not one', () => {
    expect(E.isLeft(asOf(eLicenceView, [], 'yesterday'))).toBe(true)
  })

  it('reads a licence view straight from the event store, as of an instant', async () => {
    const store = inMemoryEventStore()
    const { events } = await runHistoryScript(
      {
        licences: [{ licenceNumber: licenceNumberFor(0), photoOnFile: true, statuses: ['A'] }],
        steps: [{ licence: 0, advanceMinutes: 60, recordLagMinutes: 0, action: { kind: 'apply' } }],
      },
      { store },
    )
    const recordedAt = events[0]?.metadata.recordedAt ?? ''
    const now = await readLicenceView(store, licenceNumberFor(0))
    const then = await readLicenceView(store, licenceNumberFor(0), { asOf: recordedAt, axis: 'record' })
    expect(E.map((view: unknown) => (view as { state: string } | null)?.state)(now)).toEqual(
      E.right('pending-review'),
    )
    expect(E.map((view: unknown) => (view as { state: string } | null)?.state)(then)).toEqual(E.right('none'))
    expect(await readLicenceView(store, licenceNumberFor(1))).toEqual(E.right(null))
  })
})
