/**
 * A given/when/then specification for the decider: given past events, when a command (raw JSON,
 * decoded as `handle` would), then these events — or this error code.
 *
 * @example
 * const spec = deciderSpecification(licenceDecider({ calendar: chinaMainlandCalendar() }))
 * spec.given([licenceRecorded]).when(applyCommand).thenEmits([{ type: 'ELicenceApplied', data: { … } }])
 * spec.given([]).when(applyCommand).thenFails('licence-not-found')
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { expect } from 'vitest'
import { parseCommand } from '../licence/commands.js'
import type { LicenceDecider } from '../licence/decider.js'
import type { LicenceError, LicenceErrorCode } from '../licence/errors.js'
import type { LicenceEvent } from '../licence/events.js'
import type { EvolvableEvent } from '../licence/state.js'

export interface DeciderThen {
  /** The decision's events, in order, equal to these. */
  readonly thenEmits: (expected: ReadonlyArray<LicenceEvent>) => ReadonlyArray<LicenceEvent>
  /** The decision is a refusal with this code. */
  readonly thenFails: (code: LicenceErrorCode) => LicenceError
}

export interface DeciderSpecification {
  readonly given: (events: ReadonlyArray<EvolvableEvent>) => {
    readonly when: (command: unknown) => DeciderThen
  }
}

export const deciderSpecification = (decider: LicenceDecider): DeciderSpecification => ({
  given: (events) => ({
    when: (command) => {
      const state = events.reduce(decider.evolve, decider.initialState)
      const decision = pipe(
        parseCommand(command),
        E.flatMap((parsed) => decider.decide(parsed, state)),
      )
      return {
        thenEmits: (expected) => {
          if (E.isLeft(decision))
            expect.fail(`expected events, got ${decision.left.code}: ${decision.left.message}`)
          expect(decision.right).toEqual(expected)
          return decision.right
        },
        thenFails: (code) => {
          if (E.isRight(decision))
            expect.fail(
              `expected ${code}, got events ${decision.right.map((event) => event.type).join(', ')}`,
            )
          expect(decision.left.code).toBe(code)
          return decision.left
        },
      }
    },
  }),
})
