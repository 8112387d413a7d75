/**
 * The status of a credential in the Token Status List (draft-ietf-oauth-status-list, `bits: 2`,
 * DESIGN §6), as a function of the e-licence view it was issued from: VALID while that e-licence is
 * still the issued one and the licence is normal; SUSPENDED while issued but abnormal (statuses
 * B C D J K L M N P S T U, shown red); INVALID once invalidated (renewal, revocation), replaced by
 * another e-licence, or expired. The view is the projection runner's, so an invalidation in the log
 * changes the status in the next list with no other call.
 *
 * @example
 * credentialStatusAt(view, 'EL-11010519491231002X-1', Date.now()) // 'valid' | 'suspended' | 'invalid'
 * statusCodes.suspended // 2
 */
import { isAbnormal, isExpiredAt, isRevoking } from '@elicence/domain'
import type { ELicenceViewState } from '../views/e-licence.js'

export const credentialStatuses = ['valid', 'invalid', 'suspended'] as const
export type CredentialStatus = (typeof credentialStatuses)[number]

/** The values in the list (draft-ietf-oauth-status-list §7.1). */
export const statusCodes: Readonly<Record<CredentialStatus, number>> = { valid: 0, invalid: 1, suspended: 2 }

export const statusOfCode = (code: number): CredentialStatus =>
  code === statusCodes.valid ? 'valid' : code === statusCodes.suspended ? 'suspended' : 'invalid'

export const credentialStatusAt = (
  view: ELicenceViewState,
  eLicenceId: string,
  atMs: number,
): CredentialStatus => {
  if (view === null || view.state !== 'issued' || view.eLicenceId !== eLicenceId) return 'invalid'
  if (isExpiredAt(view.validUntil, atMs) || isRevoking(view.statuses)) return 'invalid'
  return isAbnormal(view.statuses) ? 'suspended' : 'valid'
}
