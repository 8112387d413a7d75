import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { licenceNumberArb, wrongCheckLicenceNumberArb } from '../testing/index.js'
import { eLicenceIdFor, licenceNumberOfELicenceId } from './e-licence-id.js'
import type { LicenceNumber } from './values.js'

describe('eLicenceId: the format and its parser', () => {
  it('finds the licence number inside any id the decider derives', () => {
    fc.assert(
      fc.property(licenceNumberArb, fc.nat({ max: 100_000 }), (licenceNumber, issuedCount) => {
        expect(licenceNumberOfELicenceId(eLicenceIdFor(licenceNumber, issuedCount))).toBe(licenceNumber)
      }),
    )
  })
  it('finds none in what the format cannot make', () => {
    fc.assert(
      fc.property(wrongCheckLicenceNumberArb, fc.nat(), (number, count) => {
        expect(licenceNumberOfELicenceId(`EL-${number}-${count + 1}`)).toBeUndefined()
      }),
    )
    const licenceNumber = '11010519491231002X' as LicenceNumber
    for (const id of [
      'EL-nonsense',
      `EL-${licenceNumber}-0`,
      `EL-${licenceNumber}-01`,
      `EL-${licenceNumber}-`,
      `EL-${licenceNumber}`,
      `el-${licenceNumber}-1`,
      `XEL-${licenceNumber}-1`,
      `EL-${licenceNumber}-1 `,
    ])
      expect(licenceNumberOfELicenceId(id)).toBeUndefined()
  })
})
