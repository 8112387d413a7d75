/**
 * The claims of the e-licence credential (DESIGN §6), from the e-licence view at the instant of
 * issue: what a verifier may learn, each claim selectively disclosable on its own, so the holder
 * chooses what each presentation reveals. Only `document_number`, `birth_date` and `age_over_18`
 * come from the licence number (the citizen ID number); the e-licence id embeds the number, so it
 * is never a claim. `masked_name` (张**) lets the holder show who they are without their full name.
 *
 * @example
 * const claims = credentialClaims(view, Date.parse('2026-10-16T10:00:00+08:00'))
 * claims.driving_privileges // [{ vehicle_category_code: 'C1', issue_date: '2020-01-01', expiry_date: '2030-01-01' }]
 */
import { birthDateOf, localDateOf } from '@elicence/domain'
import type { ELicenceView } from '../views/e-licence.js'
import { maskName } from '../views/verification.js'

/** The credential type of DESIGN §6 (`vct`). */
export const eLicenceCredentialType = 'urn:elicence:e-licence:1'

/** ISO/IEC 18013-5's driving privilege, with our class codes. */
export interface DrivingPrivilege {
  readonly vehicle_category_code: string
  readonly issue_date: string
  readonly expiry_date: string
}

/** Every selectively disclosable claim, in the order they are listed in DESIGN §6. */
export const disclosableClaims = [
  'document_number',
  'name',
  'masked_name',
  'birth_date',
  'age_over_18',
  'driving_privileges',
  'issue_date',
  'expiry_date',
  'issuing_authority',
  'issuing_authority_code',
  'statuses',
] as const
export type DisclosableClaim = (typeof disclosableClaims)[number]

/** The claims the holder's page discloses unless told otherwise: never the licence number. */
export const defaultDisclosures: ReadonlyArray<DisclosableClaim> = [
  'masked_name',
  'driving_privileges',
  'issue_date',
  'expiry_date',
  'statuses',
]

export interface CredentialClaims {
  readonly document_number: string
  readonly name: string
  readonly masked_name: string
  readonly birth_date: string
  readonly age_over_18: boolean
  readonly driving_privileges: ReadonlyArray<DrivingPrivilege>
  readonly issue_date: string
  readonly expiry_date: string
  readonly issuing_authority: string
  readonly issuing_authority_code: string
  readonly statuses: ReadonlyArray<string>
}

// GB 11643: characters 7–14 of the citizen ID number are the date of birth (the domain's codec checks it is one).
export { birthDateOf }

/**
 * 18 or older on the local (Asia/Shanghai) date of `atMs`. Dates compare as strings, so someone
 * born on 29 February reaches 18 on 1 March of a common year.
 */
export const isAgeOver18 = (birthDate: string, atMs: number): boolean =>
  localDateOf(atMs) >= `${String(Number(birthDate.slice(0, 4)) + 18).padStart(4, '0')}${birthDate.slice(4)}`

export const credentialClaims = (view: ELicenceView, atMs: number): CredentialClaims => {
  const birthDate = birthDateOf(view.licenceNumber)
  return {
    document_number: view.licenceNumber,
    name: view.holder.name,
    masked_name: maskName(view.holder.name),
    birth_date: birthDate,
    age_over_18: isAgeOver18(birthDate, atMs),
    driving_privileges: view.classes.map((code) => ({
      vehicle_category_code: code,
      issue_date: view.validFrom,
      expiry_date: view.validUntil,
    })),
    issue_date: view.validFrom,
    expiry_date: view.validUntil,
    issuing_authority: view.authority.name,
    issuing_authority_code: view.authority.code,
    statuses: view.statuses,
  }
}
