// Rules 8 and 9 as properties: `decide` is total, `evolve` never fails, folding is deterministic and
// independent of how the history is split; the calendar is never guessed.
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import { commandForStep, historyArb, recordLicenceArb, stepArb } from '../testing/index.js'
import type { LicenceCommand } from './commands.js'
import { licenceDecider } from './decider.js'
import { eventTypes } from './events.js'
import { evolve, fold, initialState } from './state.js'
import { actorRoles } from './values.js'

const decider = licenceDecider({ calendar: chinaMainlandCalendar() })
const lateStart = fc.integer({
  min: Date.parse('2026-11-01T00:00:00Z'),
  max: Date.parse('2027-06-30T00:00:00Z'),
})

describe('rule 8: decide is total, evolve never fails, folding is deterministic', () => {
  it('decides every command in every reachable state, as events or a typed error, without throwing', () => {
    fc.assert(
      fc.property(
        historyArb(),
        recordLicenceArb(
          fc.integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2040-01-01T00:00:00Z') }),
        ),
        stepArb,
        fc.constantFrom(...actorRoles),
        fc.integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2040-01-01T00:00:00Z') }),
        (history, other, step, role, at) => {
          // A command for this licence or another one, by any role, at any time.
          const base = commandForStep(step, history.state, other, at, 99)
          const command = {
            ...base,
            metadata: { ...base.metadata, actor: { role, id: `${role}-x` } },
          } as LicenceCommand
          const outcome = decider.decide(command, history.state)
          if (E.isLeft(outcome))
            return typeof outcome.left.code === 'string' && outcome.left.message.length > 0
          return outcome.right.length > 0
        },
      ),
      { numRuns: 500 },
    )
  })
  it('answers what is no command or no state (a caller outside TypeScript) with invalid-command, never throwing', () => {
    // Commands and states with parts missing or of the wrong kind, and plain junk.
    const partOf = (value: unknown): fc.Arbitrary<unknown> =>
      typeof value === 'object' && value !== null
        ? fc.oneof(
            fc.constant(value),
            fc.anything(),
            fc
              .constantFrom(...Object.keys(value))
              .chain((key) => fc.anything().map((junk) => ({ ...value, [key]: junk }))),
          )
        : fc.anything()
    fc.assert(
      fc.property(
        historyArb({ maxSteps: 6 }).chain((history) => {
          const command = history.entries[history.entries.length - 1]?.command
          return fc.tuple(partOf(command), partOf(history.state))
        }),
        ([command, state]) => {
          const outcome = decider.decide(command as LicenceCommand, state as never)
          expect(E.isLeft(outcome) || E.isRight(outcome)).toBe(true)
          expect(() => decider.evolve(state as never, command as never)).not.toThrow()
        },
      ),
      { numRuns: 500 },
    )
    for (const [command, state] of [
      [null, initialState],
      [{ type: 'ApplyForELicence', data: null, metadata: null }, initialState],
      [
        { type: 'WithdrawApplication', data: {}, metadata: { actor: { role: 'holder', id: 'a' } } },
        { _tag: 'Recorded' },
      ],
    ] as const) {
      const outcome = decider.decide(command as never, state as never)
      expect(E.isLeft(outcome) && outcome.left.code).toBe('invalid-command')
    }
    expect(decider.evolve(null as never, { type: 'LicenceRecorded', data: {} })).toBe(null)
  })
  it('never fails to evolve, whatever arrives', () => {
    fc.assert(
      fc.property(
        historyArb(),
        fc.array(
          fc.record({ type: fc.oneof(fc.constantFrom(...eventTypes), fc.string()), data: fc.anything() }),
        ),
        (history, junk) => {
          const state = fold([...history.events, ...junk])
          return state._tag === 'Unrecorded' || state._tag === 'Recorded'
        },
      ),
    )
  })
  it('folds the same events to the same state, however the history is split', () => {
    fc.assert(
      fc.property(historyArb(), fc.nat(), (history, cut) => {
        const at = history.events.length === 0 ? 0 : cut % (history.events.length + 1)
        const whole = fold(history.events)
        expect(fold(history.events)).toEqual(whole)
        expect(fold(history.events.slice(at), fold(history.events.slice(0, at)))).toEqual(whole)
        expect(history.events.reduce(evolve, initialState)).toEqual(whole)
        expect(whole).toEqual(history.state)
      }),
    )
  })
})

describe('rule 9: the calendar is never guessed', () => {
  it('refuses decisions that need a day outside the data, and records the calendar otherwise', () => {
    fc.assert(
      fc.property(historyArb({ start: lateStart }), (history) => {
        for (const entry of history.entries) {
          if (E.isRight(entry.outcome)) {
            for (const event of entry.outcome.right) {
              if (event.type === 'ELicenceApplied' || event.type === 'PhotoSubmitted') {
                expect(event.data.calendar).toEqual({
                  id: 'cn-state-council',
                  version: 'chinese-days@1.5.7',
                  fallback: false,
                })
                expect(event.data.reviewDueAt < '2027-01-01').toBe(true)
              }
            }
          } else if (entry.outcome.left.code === 'calendar-not-covered') {
            expect(['ApplyForELicence', 'SubmitPhoto']).toContain(entry.command.type)
          }
        }
      }),
      { numRuns: 200 },
    )
  })
  it('falls back to weekdays only when the embedder opted in, and every such event says so', () => {
    const withFallback = licenceDecider({ calendar: chinaMainlandCalendar({ weekdayFallback: true }) })
    fc.assert(
      fc.property(historyArb({ start: lateStart, decider: withFallback }), (history) => {
        for (const event of history.events) {
          if (event.type !== 'ELicenceApplied' && event.type !== 'PhotoSubmitted') continue
          // Instants compared as instants: a UTC `reviewDueAt` of 2026-12-31T16:00Z is 2027 in Shanghai.
          const firstUncovered = Date.parse('2027-01-01T00:00:00+08:00')
          expect(event.data.calendar.fallback).toBe(
            Date.parse(event.data.reviewDueAt) >= firstUncovered ||
              Date.parse(event.metadata.at) >= firstUncovered,
          )
          expect(
            history.entries.some(
              (entry) => E.isLeft(entry.outcome) && entry.outcome.left.code === 'calendar-not-covered',
            ),
          ).toBe(false)
        }
      }),
      { numRuns: 200 },
    )
  })
})
