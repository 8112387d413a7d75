import { type DecodedStoredEvent, evolve, initialState, type LicenceState } from '@elicence/domain'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { replayReadModels } from '../read-models/replay.js'
import { decodeHistory, historyScriptArbitrary } from '../testing/histories.js'
import { runHistoryScript } from '../testing/run-history.js'
import { type ELicenceViewState, evolveELicenceView } from './e-licence.js'
import { reviewQueueOf, reviewQueueView } from './review-queue.js'
import {
  emptyStatistics,
  mergeStatistics,
  type Statistics,
  statisticsStep,
  statisticsTally,
  statisticsView,
} from './statistics.js'
import { auditTimelineView } from './timeline.js'
import { foldView } from './view.js'

const domainStates = (events: ReadonlyArray<DecodedStoredEvent>) => {
  const states = new Map<string, LicenceState>()
  for (const event of events)
    states.set(event.streamId, evolve(states.get(event.streamId) ?? initialState, event))
  return states
}

describe('review queue, statistics and timeline', () => {
  it('the queue holds exactly the open applications, those due first in due order, those awaiting a photo last', async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary(), async (script) => {
        const events = decodeHistory((await runHistoryScript(script)).events)
        const queue = reviewQueueOf(foldView(reviewQueueView, events))
        const open = [...domainStates(events)].flatMap(([streamId, state]) =>
          state._tag === 'Recorded' && state.application !== null ? [{ streamId, ...state.application }] : [],
        )
        expect(queue.map((entry) => [entry.streamId, entry.applicationId, entry.stage]).sort()).toEqual(
          open
            .map((application) => [application.streamId, application.applicationId, application.stage])
            .sort(),
        )
        const due = queue.map((entry) =>
          entry.reviewDueAt === null ? Number.POSITIVE_INFINITY : Date.parse(entry.reviewDueAt),
        )
        expect(due).toEqual([...due].sort((a, b) => a - b))
        // The in-memory read models list the same queue.
        const replay = replayReadModels()
        for (const event of events) expect(E.isRight(replay.apply(event))).toBe(true)
        expect(replay.reviewQueue()).toEqual(queue)
      }),
    )
  })

  it('given a due time, the queue lists only applications due by then', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyScriptArbitrary(),
        fc.date({ min: new Date('2026-01-01'), max: new Date('2027-01-01'), noInvalidDate: true }),
        async (script, dueBy) => {
          const events = decodeHistory((await runHistoryScript(script)).events)
          const queue = reviewQueueOf(foldView(reviewQueueView, events), { dueBy: dueBy.toISOString() })
          for (const entry of queue) expect(Date.parse(entry.reviewDueAt ?? '') <= dueBy.getTime()).toBe(true)
        },
      ),
    )
  })

  it('statistics count every licence in exactly one state and every issue with its delay', async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary(), async (script) => {
        const events = decodeHistory((await runHistoryScript(script)).events)
        const { statistics } = foldView(statisticsView, events)
        const states = [...domainStates(events).values()]
        const count = (type: string) => events.filter((event) => event.type === type).length
        expect(Object.values(statistics.byState).reduce((sum, n) => sum + n, 0)).toBe(statistics.licences)
        expect(statistics.licences).toBe(states.filter((state) => state._tag === 'Recorded').length)
        expect(statistics.byState.issued).toBe(
          states.filter((state) => state._tag === 'Recorded' && state.eLicence !== null).length,
        )
        expect(statistics.issued).toBe(count('ELicenceIssued'))
        expect(statistics.applications).toBe(count('ELicenceApplied'))
        expect(statistics.photoRejections).toBe(count('PhotoRejected'))
        expect(statistics.applicationToIssue.count).toBe(statistics.issued)
        expect(Object.values(statistics.applicationToIssue.buckets).reduce((sum, n) => sum + n, 0)).toBe(
          statistics.issued,
        )
        expect(statistics.events).toBe(events.length)
      }),
    )
  })

  it('a statistics step counts into a copy of its own: every earlier value stays as it was', async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary(), async (script) => {
        const events = decodeHistory((await runHistoryScript(script)).events)
        const views = new Map<string, ELicenceViewState>()
        const values: Statistics[] = [emptyStatistics]
        const texts = [JSON.stringify(emptyStatistics)]
        for (const event of events) {
          const before = views.get(event.streamId) ?? null
          const after = evolveELicenceView(before, event)
          views.set(event.streamId, after)
          const previous = values[values.length - 1] as Statistics
          const next = statisticsStep(previous, { event, before, after })
          expect(next).not.toBe(previous)
          values.push(next)
          texts.push(JSON.stringify(next))
        }
        // Taken again after the whole fold: a step that changed what it was given shows here.
        expect(values.map((value) => JSON.stringify(value))).toEqual(texts)
        expect(values[values.length - 1]).toEqual(foldView(statisticsView, events).statistics)
      }),
    )
  })

  it('a statistics tally counts in place what the steps count, and what it gave stays as it was', async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary(), fc.nat(), async (script, cut) => {
        const events = decodeHistory((await runHistoryScript(script)).events)
        const views = new Map<string, ELicenceViewState>()
        const at = cut % (events.length + 1)
        // A tally may start from statistics counted before (a resumed count).
        let stepped = emptyStatistics
        let tally = statisticsTally()
        const given: Array<{ readonly value: Statistics; readonly text: string }> = []
        events.forEach((event, index) => {
          if (index === at) tally = statisticsTally(tally.current())
          const before = views.get(event.streamId) ?? null
          const after = evolveELicenceView(before, event)
          views.set(event.streamId, after)
          stepped = statisticsStep(stepped, { event, before, after })
          tally.add({ event, before, after })
          const value = tally.current()
          expect(value).toEqual(stepped)
          given.push({ value, text: JSON.stringify(value) })
        })
        // Taken again after the whole count: a tally that changed what it gave shows here.
        for (const { value, text } of given) expect(JSON.stringify(value)).toBe(text)
        expect(tally.current()).toEqual(foldView(statisticsView, events).statistics)
      }),
    )
  })

  it('statistics of the streams split in two partitions add up to those of the whole', async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary(), fc.func(fc.boolean()), async (script, inFirst) => {
        const events = decodeHistory((await runHistoryScript(script)).events)
        const first = events.filter((event) => inFirst(event.streamId))
        const second = events.filter((event) => !inFirst(event.streamId))
        const whole = foldView(statisticsView, events).statistics
        const merged = mergeStatistics(
          foldView(statisticsView, first).statistics,
          foldView(statisticsView, second).statistics,
        )
        expect(merged).toEqual(whole)
        expect(mergeStatistics(whole, emptyStatistics)).toEqual(whole)
      }),
    )
  })

  it("a licence's timeline lists its stream's events in order, each with who, when and its hash", async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary({ maxLicences: 1 }), async (script) => {
        const events = decodeHistory((await runHistoryScript(script)).events)
        const timeline = foldView(auditTimelineView, events)
        expect(timeline.map((entry) => entry.version)).toEqual(events.map((_, index) => index))
        expect(timeline.map((entry) => [entry.type, entry.actor.role, entry.hash])).toEqual(
          events.map((event) => [event.type, event.metadata.actor.role, event.metadata.hash]),
        )
        for (const entry of timeline) expect(entry.summary.length).toBeGreaterThan(0)
      }),
    )
  })
})
