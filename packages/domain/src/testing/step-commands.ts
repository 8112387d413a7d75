/**
 * How a step becomes a command: its instant (a review around its due time, any other step some time
 * after the one before), its ids filled in from the state it meets, its actor the step's role or
 * else the command's own sender.
 *
 * @example
 * commandForStep({ kind: 'withdraw', advanceMs: 0, otherApplication: false }, state, record, atMs, 3)
 */
import type { LicenceCommand, RecordLicence } from '../licence/commands.js'
import type { LicenceState } from '../licence/state.js'
import type { ActorRole } from '../licence/values.js'
import type { Step } from './steps.js'
import { formatInstant } from './values.js'

const dayMs = 86_400_000

/** A deterministic UUID for the n-th command of a history. */
export const commandIdFor = (n: number): string =>
  `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`

/** Turns a step into a command against the current state (ids and actors filled in from it). */
export const commandForStep = (
  step: Step,
  state: LicenceState,
  record: RecordLicence,
  atMs: number,
  n: number,
): LicenceCommand => {
  const { licenceNumber } = record.data
  const holderId = record.data.holder.accountId
  /** Sent by the step's role, else by the command's own sender; a holder by the holder's account. */
  const metadata = (own: ActorRole, holderAccount: string = holderId) => {
    const role = step.role ?? own
    return {
      commandId: commandIdFor(n),
      at: formatInstant(atMs, '+08:00'),
      actor: { role, id: role === 'holder' ? holderAccount : `${role}-1` },
    }
  }
  const recorded = state._tag === 'Recorded' ? state : undefined
  // The open application's id, or one that names no application (a fresh one where none is open).
  const applicationId =
    'otherApplication' in step && step.otherApplication
      ? 'app-other'
      : (recorded?.application?.applicationId ?? `app-${n}`)
  switch (step.kind) {
    case 'apply':
      return {
        type: 'ApplyForELicence',
        data: {
          licenceNumber,
          applicationId: `app-${n}`,
          declaredValidFrom: step.wrongStart
            ? '1999-01-01'
            : (recorded?.licence.validFrom ?? record.data.validFrom),
          faceCheck: { passed: step.faceCheck },
        },
        metadata: metadata('holder', step.stranger ? 'acct-stranger' : holderId),
      } as LicenceCommand
    case 'review':
      return {
        type: 'ReviewApplication',
        data: { licenceNumber, applicationId },
        metadata: metadata(step.role),
      } as LicenceCommand
    case 'reject-photo':
      return {
        type: 'RejectPhoto',
        data: { licenceNumber, applicationId, reasons: step.reasons },
        metadata: metadata('reviewer'),
      } as LicenceCommand
    case 'submit-photo': {
      const localDay = Math.floor((atMs + 8 * 3_600_000) / dayMs)
      return {
        type: 'SubmitPhoto',
        data: {
          licenceNumber,
          applicationId,
          photo: {
            id: `photo-${n}`,
            capturedOn: new Date((localDay - step.ageDays) * dayMs).toISOString().slice(0, 10),
            defects: step.defects,
          },
        },
        metadata: metadata('holder'),
      } as LicenceCommand
    }
    case 'withdraw':
      return {
        type: 'WithdrawApplication',
        data: { licenceNumber, applicationId },
        metadata: metadata('holder'),
      } as LicenceCommand
    case 'renew': {
      const current = recorded?.licence ?? record.data
      const validFrom =
        step.extendYears === null ? current.validFrom : new Date(atMs).toISOString().slice(0, 10)
      const validUntil =
        step.extendYears === null
          ? current.validUntil
          : `${Number(validFrom.slice(0, 4)) + step.extendYears}${validFrom.slice(4)}`.replace(
              '-02-29',
              '-02-28',
            )
      return {
        type: 'RenewLicence',
        data: {
          licenceNumber,
          classes: step.classes ?? current.classes,
          validFrom,
          validUntil,
          authority: step.authority ?? current.authority,
        },
        metadata: metadata('registry'),
      } as LicenceCommand
    }
    case 'status':
      return {
        type: 'ChangeLicenceStatus',
        data: { licenceNumber, statuses: step.statuses },
        metadata: metadata('registry'),
      } as LicenceCommand
    case 'record':
      return { type: 'RecordLicence', data: record.data, metadata: metadata('registry') } as LicenceCommand
  }
}

/** The instant a step is taken at, from the instant of the one before (or the stream's last event). */
export const stepTime = (step: Step, state: LicenceState, nowMs: number): number => {
  const recorded = state._tag === 'Recorded' ? state : undefined
  if (step.advanceMs < 0) {
    const lastMs = recorded?.lastAt == null ? nowMs : Date.parse(recorded.lastAt)
    return lastMs + step.advanceMs
  }
  const due = recorded?.application?.reviewDueAt
  // Around the due time, on both sides of it, where rule 3 is decided.
  if (step.kind === 'review' && step.toDue && due != null) {
    return Math.max(nowMs, Date.parse(due) + (step.advanceMs % (4 * 3_600_000)) - 2 * 3_600_000)
  }
  return nowMs + step.advanceMs
}
