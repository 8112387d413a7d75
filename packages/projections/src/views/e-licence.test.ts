import { type DecodedStoredEvent, evolve, initialState, type LicenceState } from '@elicence/domain'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeHistory,
  type HistoryStep,
  historyScriptArbitrary,
  licenceNumberFor,
} from '../testing/histories.js'
import { runHistoryScript } from '../testing/run-history.js'
import { type ELicenceViewState, eLicenceView } from './e-licence.js'
import { foldView } from './view.js'

const byStream = (events: ReadonlyArray<DecodedStoredEvent>) => {
  const streams = new Map<string, DecodedStoredEvent[]>()
  for (const event of events) streams.set(event.streamId, [...(streams.get(event.streamId) ?? []), event])
  return streams
}

/** What the domain's own state says the view's e-licence state must be. */
const expectedState = (state: LicenceState, view: ELicenceViewState) => {
  if (state._tag === 'Unrecorded') return undefined
  if (state.application !== null) return state.application.stage
  if (state.eLicence !== null) return 'issued'
  return view !== null && view.issuedCount > 0 ? 'invalidated' : 'none'
}

/** One licence, applied for and reviewed when due (issued if a photo is usable), then `later`. */
const reviewedApplication = (photoOnFile: boolean, later: ReadonlyArray<HistoryStep> = []) =>
  runHistoryScript({
    licences: [{ licenceNumber: licenceNumberFor(0), photoOnFile, statuses: ['A'] }],
    steps: [
      { licence: 0, advanceMinutes: 0, recordLagMinutes: 0, action: { kind: 'apply' } },
      { licence: 0, advanceMinutes: 3 * 24 * 60, recordLagMinutes: 0, action: { kind: 'review' } },
      ...later,
    ],
  })

describe('e-licence view', () => {
  it('agrees with the domain state after every event of every stream', async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary(), async (script) => {
        const { events } = await runHistoryScript(script)
        for (const stream of byStream(decodeHistory(events)).values()) {
          let state: LicenceState = initialState
          let view: ELicenceViewState = eLicenceView.initialState
          for (const event of stream) {
            state = evolve(state, event)
            view = eLicenceView.evolve(view, event)
            if (state._tag === 'Unrecorded' || view === null) {
              expect(view).toBeNull()
              continue
            }
            // The view moves from what it holds alone (as a view loaded from a read-model store
            // does); the domain state here is folded from every event, with all it holds.
            expect(view.state).toBe(expectedState(state, view))
            expect(view.applicationId).toBe(state.application?.applicationId ?? null)
            expect(view.appliedAt).toBe(state.application?.appliedAt ?? null)
            expect(view.reviewDueAt).toBe(state.application?.reviewDueAt ?? null)
            if (state.eLicence !== null) {
              expect([view.eLicenceId, view.issuedAt]).toEqual([
                state.eLicence.eLicenceId,
                state.eLicence.issuedAt,
              ])
            }
            expect(view.issuedCount).toBe(state.issuedCount)
            const licenceFields = Object.keys(state.licence) as ReadonlyArray<keyof typeof state.licence>
            const recorded = view
            expect(Object.fromEntries(licenceFields.map((field) => [field, recorded[field]]))).toEqual(
              state.licence,
            )
            expect(view.lastInvalidation).toEqual(state.lastInvalidation)
            // A view is plain JSON: stored in a read-model store and loaded again, it is the same view.
            expect(JSON.parse(JSON.stringify(view))).toEqual(view)
            expect([view.version, view.position, view.hash]).toEqual([
              event.version,
              event.position,
              event.metadata.hash,
            ])
          }
        }
      }),
    )
  })

  it('given an issued e-licence, when a renewal changes the classes, then the view shows it invalidated with the changes', async () => {
    const { events } = await reviewedApplication(true, [
      {
        licence: 0,
        advanceMinutes: 60,
        recordLagMinutes: 0,
        action: { kind: 'renew', classes: ['A1'], validYears: 6, authority: 0 },
      },
    ])
    const view = foldView(eLicenceView, decodeHistory(events))
    expect(view).toMatchObject({
      state: 'invalidated',
      classes: ['A1'],
      eLicenceId: `EL-${licenceNumberFor(0)}-1`,
      issuedCount: 1,
      lastInvalidation: { reason: 'renewal', changes: ['class'] },
      version: events.length - 1,
    })
  })

  it('given a photo rejection, then the view awaits a photo and lists the rejection', async () => {
    const { events } = await reviewedApplication(false)
    expect(foldView(eLicenceView, decodeHistory(events))).toMatchObject({
      state: 'awaiting-photo',
      reviewDueAt: null,
      photoRejections: [{ reasons: ['no-photo-on-file'], source: 'review', photoId: null }],
    })
  })
})
