/** `decide` for the paper licence's commands: record, renew, change its statuses. */

import * as E from 'fp-ts/lib/Either.js'
import type { ChangeLicenceStatus, RecordLicence, RenewLicence } from './commands.js'
import { type Decision, recorded, refuse } from './decision-checks.js'
import type { LicenceEvent } from './events.js'
import { changesBetween, isEligibleToApply, isRevoking } from './rules.js'
import type { LicenceState } from './state.js'

export const decideRecord = (command: RecordLicence, state: LicenceState): Decision =>
  state._tag === 'Recorded'
    ? refuse('licence-already-recorded', `licence ${command.data.licenceNumber} is already recorded`)
    : E.right([{ type: 'LicenceRecorded', data: command.data }])

export const decideRenew = (command: RenewLicence, state: LicenceState): Decision => {
  const { data, metadata } = command
  const found = recorded(state, data.licenceNumber)
  if (E.isLeft(found)) return found
  const licence = found.right
  const changes = changesBetween(licence.licence, data)
  const events: LicenceEvent[] = [
    {
      type: 'LicenceRenewed',
      data: {
        classes: data.classes,
        validFrom: data.validFrom,
        validUntil: data.validUntil,
        authority: data.authority,
        changes,
        renewedAt: metadata.at,
      },
    },
  ]
  if (changes.length > 0 && licence.eLicence !== null) {
    events.push({
      type: 'ELicenceInvalidated',
      data: {
        eLicenceId: licence.eLicence.eLicenceId,
        reason: 'renewal',
        changes,
        invalidatedAt: metadata.at,
      },
    })
  }
  if (changes.length > 0 && licence.application !== null) {
    events.push({
      type: 'ApplicationVoided',
      data: {
        applicationId: licence.application.applicationId,
        reason: 'licence-renewed',
        voidedAt: metadata.at,
      },
    })
  }
  return E.right(events)
}

export const decideChangeStatus = (command: ChangeLicenceStatus, state: LicenceState): Decision => {
  const { data, metadata } = command
  const found = recorded(state, data.licenceNumber)
  if (E.isLeft(found)) return found
  const licence = found.right
  const previous = licence.licence.statuses
  if (
    previous.length === data.statuses.length &&
    previous.every((status, index) => status === data.statuses[index])
  ) {
    return refuse(
      'statuses-unchanged',
      `licence ${data.licenceNumber} already has statuses ${previous.join('')}`,
    )
  }
  const events: LicenceEvent[] = [
    { type: 'LicenceStatusChanged', data: { statuses: data.statuses, previous, changedAt: metadata.at } },
  ]
  if (licence.eLicence !== null && isRevoking(data.statuses)) {
    events.push({
      type: 'ELicenceInvalidated',
      data: {
        eLicenceId: licence.eLicence.eLicenceId,
        reason: 'licence-revoked',
        changes: [],
        invalidatedAt: metadata.at,
      },
    })
  }
  if (licence.application !== null && !isEligibleToApply(data.statuses)) {
    events.push({
      type: 'ApplicationVoided',
      data: {
        applicationId: licence.application.applicationId,
        reason: 'licence-status',
        voidedAt: metadata.at,
      },
    })
  }
  return E.right(events)
}
