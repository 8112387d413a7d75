/**
 * Domain errors are data returned in `Left`, never thrown: `{ code, message }` with a kebab-case code
 * (DESIGN §3). Transports map codes to status or exit codes; the domain knows nothing of them. The
 * store's errors are not among them: the handler passes those on whole (`HandlerError`).
 *
 * @example
 * reviewNotDue('2026-10-09T09:00:00.000Z') // { code: 'review-not-due', message: '…' }
 */

export const licenceErrorCodes = [
  'invalid-command',
  'forbidden',
  'licence-not-found',
  'licence-already-recorded',
  'not-licence-holder',
  'face-check-failed',
  'validity-start-mismatch',
  'licence-not-eligible',
  'licence-expired',
  'application-open',
  'e-licence-active',
  'no-open-application',
  'application-mismatch',
  'application-not-in-review',
  'review-not-due',
  'photo-not-requested',
  'photo-date-in-future',
  'statuses-unchanged',
  'calendar-not-covered',
  'instant-before-history',
  'instant-in-future',
  'command-id-reused',
] as const
export type LicenceErrorCode = (typeof licenceErrorCodes)[number]

export interface InvalidInputIssue {
  readonly path: string
  readonly message: string
}

export interface LicenceError {
  readonly code: LicenceErrorCode
  readonly message: string
  /** Only for `invalid-command`: one entry per failing path. */
  readonly issues?: ReadonlyArray<InvalidInputIssue>
}

export const licenceError = (code: LicenceErrorCode, message: string): LicenceError => ({ code, message })

export const invalidCommand = (issues: ReadonlyArray<InvalidInputIssue>): LicenceError => ({
  code: 'invalid-command',
  message: `invalid command: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
  issues,
})
