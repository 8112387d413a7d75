/**
 * The licence decider: `decide`, `evolve` and `initialState` for one working-day calendar, the
 * library entry point of DESIGN §3.
 *
 * @example
 * import { licenceDecider, chinaMainlandCalendar, parseCommand } from '@elicence/domain'
 * const { decide, evolve, initialState } = licenceDecider({ calendar: chinaMainlandCalendar() })
 */
import type { WorkingDayCalendar } from '../calendar/calendar.js'
import type { LicenceCommand } from './commands.js'
import { authorise, type Decision, decideWith } from './decide.js'
import type { LicenceError } from './errors.js'
import { rulesVersion } from './rules.js'
import { type EvolvableEvent, evolve, initialState, type LicenceState } from './state.js'

export interface LicenceDecider {
  readonly decide: (command: LicenceCommand, state: LicenceState) => Decision
  /** `decide`'s first checks alone: may this actor act on this licence? `undefined` when it may. */
  readonly authorise: (command: LicenceCommand, state: LicenceState) => LicenceError | undefined
  readonly evolve: (state: LicenceState, event: EvolvableEvent) => LicenceState
  readonly initialState: LicenceState
  readonly rulesVersion: string
  readonly calendar: WorkingDayCalendar
}

export interface LicenceDeciderOptions {
  readonly calendar: WorkingDayCalendar
}

export const licenceDecider = (options: LicenceDeciderOptions): LicenceDecider => ({
  decide: decideWith(options.calendar),
  authorise,
  evolve,
  initialState,
  rulesVersion,
  calendar: options.calendar,
})
