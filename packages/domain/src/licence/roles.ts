/**
 * Who may do what, written once: the roles each command admits (DESIGN §3's table), and from them,
 * through the commands that can decide an event, the roles that can cause each event — what the
 * auditor checks a recorded event's actor against.
 *
 * @example
 * commandRoles.ReviewApplication // ['reviewer', 'system']
 * rolesCausing({ type: 'PhotoRejected', data: { source: 'submission', … } }) // ['holder']
 */
import { absurd } from 'fp-ts/lib/function.js'
import type { CommandType } from './commands.js'
import type { LicenceEvent } from './events.js'
import type { ActorRole } from './values.js'

/** The role with its indefinite article, for messages: "a holder", "an auditor". */
export const aRole = (role: ActorRole): string => `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}`

export const commandRoles: Readonly<Record<CommandType, ReadonlyArray<ActorRole>>> = {
  RecordLicence: ['registry'],
  ApplyForELicence: ['holder'],
  ReviewApplication: ['reviewer', 'system'],
  RejectPhoto: ['reviewer'],
  SubmitPhoto: ['holder'],
  WithdrawApplication: ['holder'],
  RenewLicence: ['registry'],
  ChangeLicenceStatus: ['registry'],
}

/** The commands whose decision can contain this event (DESIGN §3, "events on success"). */
export const commandsDeciding = (event: LicenceEvent): ReadonlyArray<CommandType> => {
  switch (event.type) {
    case 'LicenceRecorded':
      return ['RecordLicence']
    case 'ELicenceApplied':
      return ['ApplyForELicence']
    case 'ELicenceIssued':
      return ['ReviewApplication']
    case 'PhotoSubmitted':
      return ['SubmitPhoto']
    case 'PhotoRejected':
      return event.data.source === 'submission'
        ? ['SubmitPhoto']
        : event.data.source === 'reviewer'
          ? ['RejectPhoto']
          : ['ReviewApplication']
    case 'ApplicationWithdrawn':
      return ['WithdrawApplication']
    case 'LicenceRenewed':
      return ['RenewLicence']
    case 'LicenceStatusChanged':
      return ['ChangeLicenceStatus']
    case 'ELicenceInvalidated':
      return event.data.reason === 'renewal' ? ['RenewLicence'] : ['ChangeLicenceStatus']
    case 'ApplicationVoided':
      // A review re-checks eligibility and expiry (rule 7); a status change voids for status only.
      return event.data.reason === 'licence-renewed'
        ? ['RenewLicence']
        : event.data.reason === 'licence-status'
          ? ['ChangeLicenceStatus', 'ReviewApplication']
          : ['ReviewApplication']
    default:
      return absurd(event)
  }
}

/** The roles that can cause an event: those of the commands that can decide it. */
export const rolesCausing = (event: LicenceEvent): ReadonlyArray<ActorRole> => [
  ...new Set(commandsDeciding(event).flatMap((command) => commandRoles[command])),
]
