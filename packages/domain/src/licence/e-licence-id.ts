/**
 * The `eLicenceId` format and its parser, side by side: derived, never random (DESIGN §1), from the
 * licence number and how many e-licences were issued before — `EL-<licenceNumber>-<n>`, n from 1.
 *
 * @example
 * eLicenceIdFor('11010519491231002X', 0) // 'EL-11010519491231002X-1'
 * licenceNumberOfELicenceId('EL-11010519491231002X-1') // '11010519491231002X'
 */
import { type Id, LicenceNumber } from './values.js'

const prefix = 'EL-'

export const eLicenceIdFor = (licenceNumber: LicenceNumber, issuedCount: number): Id =>
  // 18 characters of number, a count: well within Id's 128 characters, so the brand holds.
  `${prefix}${licenceNumber}-${issuedCount + 1}` as Id

const countPattern = /^[1-9][0-9]*$/

/** The licence number inside an id `eLicenceIdFor` made, else undefined. */
export const licenceNumberOfELicenceId = (eLicenceId: string): LicenceNumber | undefined => {
  const separator = eLicenceId.lastIndexOf('-')
  if (!eLicenceId.startsWith(prefix) || !countPattern.test(eLicenceId.slice(separator + 1))) return undefined
  const licenceNumber = eLicenceId.slice(prefix.length, separator)
  return LicenceNumber.is(licenceNumber) ? licenceNumber : undefined
}
