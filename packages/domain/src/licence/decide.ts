/**
 * `decide`: the rules of DESIGN §3 as a pure function of a decoded command and the folded state.
 * No clock (now is `command.metadata.at`), no random, no I/O; every refusal is a `LicenceError` in
 * `Left`, so `decide` is total (rule 8). Checks run in the order DESIGN §3 fixes: `forbidden`,
 * `licence-not-found`, then rule 1's conditions in their listed order, then the calendar, then
 * `instant-before-history` (rule 10), which so only refuses a command that would otherwise apply.
 * Who may act (`authorise`: the role, the licence, its holder) is one function, so the handler can
 * ask it first of a command whose id it has seen: a sender who may not act on a licence learns
 * that, never that an id was used there.
 *
 * @example
 * const { decide, evolve, initialState } = licenceDecider({ calendar: chinaMainlandCalendar() })
 * decide(command, events.reduce(evolve, initialState)) // Either<LicenceError, ReadonlyArray<LicenceEvent>>
 */

import * as E from 'fp-ts/lib/Either.js'
import { absurd } from 'fp-ts/lib/function.js'
import type { WorkingDayCalendar } from '../calendar/calendar.js'
import { compareInstants } from '../calendar/local-time.js'
import type { LicenceCommand } from './commands.js'
import { decideApply, decideReview, decideWithdraw } from './decide-application.js'
import { decideChangeStatus, decideRecord, decideRenew } from './decide-licence.js'
import { decideRejectPhoto, decideSubmitPhoto } from './decide-photo.js'
import type { Decision } from './decision-checks.js'
import { type LicenceError, licenceError } from './errors.js'
import { aRole, commandRoles } from './roles.js'
import type { LicenceState, RecordedLicence } from './state.js'

export type { Decision } from './decision-checks.js'

const notHolder = (state: RecordedLicence, actorId: string): LicenceError | undefined =>
  state.licence.holder.accountId === actorId
    ? undefined
    : licenceError(
        'not-licence-holder',
        `account ${actorId} does not hold licence ${state.licence.licenceNumber}`,
      )

/**
 * Whether the command's actor may act on this licence at all: the role (`forbidden`), then a licence
 * to act on (`licence-not-found`, except for recording one), then, for the holder's commands, the
 * holder (`not-licence-holder`). `undefined` when it may; the first refusal of `decide` otherwise.
 */
export const authorise = (command: LicenceCommand, state: LicenceState): LicenceError | undefined => {
  // Own members only: a type named after an object's own (`toString`, `constructor`) is no command.
  const roles = Object.hasOwn(commandRoles, command.type) ? commandRoles[command.type] : undefined
  if (roles === undefined)
    return licenceError('invalid-command', `unknown command type ${String(command.type)}`)
  const { actor } = command.metadata
  if (!roles.includes(actor.role))
    return licenceError('forbidden', `${aRole(actor.role)} may not ${command.type}`)
  if (command.type === 'RecordLicence') return undefined
  if (state._tag !== 'Recorded') {
    return licenceError('licence-not-found', `no licence ${command.data.licenceNumber} is recorded`)
  }
  return roles.length === 1 && roles[0] === 'holder' ? notHolder(state, actor.id) : undefined
}

/** Rule 10: a command stated earlier than the stream's last event would rewrite its past. */
const beforeHistory = (command: LicenceCommand, state: LicenceState): LicenceError | undefined =>
  state._tag === 'Recorded' && state.lastAt !== null && compareInstants(command.metadata.at, state.lastAt) < 0
    ? licenceError(
        'instant-before-history',
        `the command is stated at ${command.metadata.at}, before the licence's last event at ${state.lastAt}`,
      )
    : undefined

const decideCommand = (
  command: LicenceCommand,
  state: LicenceState,
  calendar: WorkingDayCalendar,
): Decision => {
  switch (command.type) {
    case 'RecordLicence':
      return decideRecord(command, state)
    case 'ApplyForELicence':
      return decideApply(command, state, calendar)
    case 'ReviewApplication':
      return decideReview(command, state)
    case 'RejectPhoto':
      return decideRejectPhoto(command, state)
    case 'SubmitPhoto':
      return decideSubmitPhoto(command, state, calendar)
    case 'WithdrawApplication':
      return decideWithdraw(command, state)
    case 'RenewLicence':
      return decideRenew(command, state)
    case 'ChangeLicenceStatus':
      return decideChangeStatus(command, state)
    default:
      return absurd(command)
  }
}

/**
 * `decide` for one calendar. Total for what its types admit; and a caller outside TypeScript that
 * hands it what is no command or no state (`null`, a command without metadata, a state without its
 * licence) gets `invalid-command` saying so, never an exception (rule 8), at no cost to the rest.
 */
export const decideWith =
  (calendar: WorkingDayCalendar) =>
  (command: LicenceCommand, state: LicenceState): Decision => {
    try {
      const refused = authorise(command, state)
      if (refused !== undefined) return E.left(refused)
      const decision = decideCommand(command, state, calendar)
      if (E.isLeft(decision)) return decision
      const rewritesHistory = beforeHistory(command, state)
      return rewritesHistory === undefined ? decision : E.left(rewritesHistory)
    } catch (error) {
      return E.left(
        licenceError(
          'invalid-command',
          `decide was given what is no decoded command (parseCommand) and licence state (evolve from initialState): ${error instanceof Error ? error.message : String(error)}`,
        ),
      )
    }
  }
