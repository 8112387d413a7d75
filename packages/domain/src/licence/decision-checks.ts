/**
 * The checks several of `decide`'s command decisions share, each returning the refusal DESIGN §3
 * names for it, so every command refuses a missing licence or a wrong application in the same words.
 */

import * as E from 'fp-ts/lib/Either.js'
import { type LicenceError, licenceError } from './errors.js'
import type { LicenceEvent } from './events.js'
import type { LicenceState, OpenApplication, RecordedLicence } from './state.js'

export type Decision = E.Either<LicenceError, ReadonlyArray<LicenceEvent>>

export const refuse = (code: LicenceError['code'], message: string): Decision =>
  E.left(licenceError(code, message))

export const recorded = (
  state: LicenceState,
  licenceNumber: string,
): E.Either<LicenceError, RecordedLicence> =>
  state._tag === 'Recorded'
    ? E.right(state)
    : E.left(licenceError('licence-not-found', `no licence ${licenceNumber} is recorded`))

export const openApplication = (
  state: RecordedLicence,
  applicationId: string,
): E.Either<LicenceError, OpenApplication> => {
  if (state.application === null) {
    return E.left(
      licenceError('no-open-application', `licence ${state.licence.licenceNumber} has no open application`),
    )
  }
  if (state.application.applicationId !== applicationId) {
    return E.left(
      licenceError(
        'application-mismatch',
        `the open application is ${state.application.applicationId}, not ${applicationId}`,
      ),
    )
  }
  return E.right(state.application)
}
