/**
 * The rules of DESIGN §3 re-checked over a recorded history. A decider cannot be asked again without
 * the commands, so the auditor asks what the events imply: each event must follow from the licence's
 * folded state (the domain's own `evolve`), and after each command's events the state must satisfy
 * the invariants every decision keeps — no e-licence active across a class, expiry or authority
 * change or a revocation, no application open on an ineligible licence.
 *
 * @example
 * eventFindings(state, event) // [{ kind: 'issued-before-review-due', message: '…' }]
 */
import {
  aRole,
  changesBetween,
  commandRoles,
  commandsDeciding,
  compareInstants,
  type DecodedStoredEvent,
  defaultMaxClockSkewMs,
  eLicenceIdFor,
  instantInData,
  instantMs,
  isEligibleToApply,
  isExpiredAt,
  isRevoking,
  type LicenceState,
  type Terms,
} from '@elicence/domain'
import { absurd } from 'fp-ts/lib/function.js'

export const ruleFindingKinds = [
  'event-before-record',
  'event-out-of-state',
  'unauthorised-actor',
  'instant-mismatch',
  'instant-before-history',
  'instant-in-future',
  'second-open-application',
  'second-active-e-licence',
  'applied-while-ineligible',
  'issued-before-review-due',
  'reviewed-before-due',
  'issued-while-ineligible',
  'issued-without-photo',
  'stale-e-licence-terms',
  'unexpected-e-licence-id',
  'wrong-changes',
  'e-licence-active-across-change',
  'e-licence-active-while-revoked',
  'application-open-while-ineligible',
] as const
export type RuleFindingKind = (typeof ruleFindingKinds)[number]

export interface RuleFinding {
  readonly kind: RuleFindingKind
  readonly message: string
}

const finding = (kind: RuleFindingKind, message: string): RuleFinding => ({ kind, message })

const sameSet = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean =>
  a.length === b.length && a.every((value, index) => value === b[index])

/** Whether the event could follow from the state, by the rules of DESIGN §3. */
export const eventFindings = (
  state: LicenceState,
  event: DecodedStoredEvent,
  maxClockSkewMs: number = defaultMaxClockSkewMs,
): ReadonlyArray<RuleFinding> => {
  const findings: RuleFinding[] = []
  const { actor, at, recordedAt } = event.metadata
  // Rule 10: the handler refuses a command stated later than its clock (recordedAt) plus the skew.
  if (instantMs(at) > instantMs(recordedAt) + maxClockSkewMs) {
    findings.push(
      finding(
        'instant-in-future',
        `${event.type} at ${at}, more than ${maxClockSkewMs} ms after it was recorded at ${recordedAt}`,
      ),
    )
  }
  // Whether some command that decides the event is the actor's role's: `rolesCausing` without
  // building its set for every event.
  if (!commandsDeciding(event).some((command) => commandRoles[command].includes(actor.role))) {
    findings.push(finding('unauthorised-actor', `${aRole(actor.role)} cannot cause ${event.type}`))
  }
  const instant = instantInData(event)
  if (instant !== undefined && instant !== at) {
    findings.push(finding('instant-mismatch', `${event.type} records ${instant} but happened at ${at}`))
  }
  if (state._tag === 'Unrecorded') {
    if (event.type !== 'LicenceRecorded') {
      findings.push(finding('event-before-record', `${event.type} before the licence was recorded`))
    }
    return findings
  }
  // Rule 10: business time never runs backwards on a stream, to the last digit of the instant.
  if (state.lastAt !== null && compareInstants(at, state.lastAt) < 0) {
    findings.push(
      finding('instant-before-history', `${event.type} at ${at}, before the last event at ${state.lastAt}`),
    )
  }
  const { licence, application, eLicence } = state
  const atMs = instantMs(at)
  const outOfState = (why: string) => findings.push(finding('event-out-of-state', `${event.type}: ${why}`))
  const needsApplication = (applicationId: string): boolean => {
    if (application === null) outOfState('no application is open')
    else if (application.applicationId !== applicationId)
      outOfState(`the open application is ${application.applicationId}`)
    else return true
    return false
  }
  /** Applying and issuing both need a licence that may hold an e-licence at the event's instant. */
  const needsEligibleLicence = (kind: RuleFindingKind): void => {
    if (!isEligibleToApply(licence.statuses) || isExpiredAt(licence.validUntil, atMs)) {
      findings.push(finding(kind, `statuses ${licence.statuses.join('')}, valid until ${licence.validUntil}`))
    }
  }

  switch (event.type) {
    case 'LicenceRecorded':
      outOfState('the licence is already recorded')
      break
    case 'ELicenceApplied':
      if (application !== null) {
        findings.push(
          finding('second-open-application', `application ${application.applicationId} is still open`),
        )
      }
      if (eLicence !== null) {
        findings.push(
          finding('second-active-e-licence', `applied while e-licence ${eLicence.eLicenceId} is active`),
        )
      }
      needsEligibleLicence('applied-while-ineligible')
      if (actor.id !== licence.holder.accountId) outOfState(`account ${actor.id} is not the holder`)
      if (event.data.declaredValidFrom !== licence.validFrom) outOfState('declared validity start differs')
      if (instantMs(event.data.reviewDueAt) <= instantMs(event.data.appliedAt))
        outOfState('review due before applying')
      break
    case 'PhotoRejected':
      if (!needsApplication(event.data.applicationId) || application === null) break
      if (
        event.data.source === 'submission'
          ? application.stage !== 'awaiting-photo'
          : application.stage !== 'pending-review'
      ) {
        outOfState(`a ${event.data.source} rejection while the application is ${application.stage}`)
      }
      if (
        event.data.source === 'review' &&
        application.reviewDueAt !== null &&
        atMs < instantMs(application.reviewDueAt)
      ) {
        findings.push(finding('reviewed-before-due', `reviewed before ${application.reviewDueAt}`))
      }
      break
    case 'PhotoSubmitted':
      if (needsApplication(event.data.applicationId) && application?.stage !== 'awaiting-photo') {
        outOfState('no photo was requested')
      }
      break
    case 'ELicenceIssued': {
      if (eLicence !== null) {
        findings.push(finding('second-active-e-licence', `e-licence ${eLicence.eLicenceId} is still active`))
      }
      if (!needsApplication(event.data.applicationId) || application === null) break
      if (application.reviewDueAt === null) outOfState('the application awaits a photo')
      else if (instantMs(event.data.issuedAt) < instantMs(application.reviewDueAt)) {
        findings.push(
          finding(
            'issued-before-review-due',
            `issued at ${event.data.issuedAt}, review due ${application.reviewDueAt}`,
          ),
        )
      }
      needsEligibleLicence('issued-while-ineligible')
      if (state.acceptedPhoto === null && !(licence.photoOnFile && !state.fileRejected)) {
        findings.push(finding('issued-without-photo', 'no usable photo'))
      }
      const stale = changesBetween(licence, event.data)
      if (stale.length > 0) {
        findings.push(
          finding('stale-e-licence-terms', `issued terms differ from the licence's: ${stale.join(' ')}`),
        )
      }
      const expectedId = eLicenceIdFor(licence.licenceNumber, state.issuedCount)
      if (event.data.eLicenceId !== expectedId) {
        findings.push(
          finding('unexpected-e-licence-id', `expected ${expectedId}, got ${event.data.eLicenceId}`),
        )
      }
      break
    }
    case 'ApplicationWithdrawn':
    case 'ApplicationVoided':
      needsApplication(event.data.applicationId)
      break
    case 'LicenceRenewed': {
      const changes = changesBetween(licence, event.data)
      if (!sameSet(changes, event.data.changes)) {
        findings.push(
          finding(
            'wrong-changes',
            `recorded changes [${event.data.changes.join(' ')}], actual [${changes.join(' ')}]`,
          ),
        )
      }
      break
    }
    case 'ELicenceInvalidated':
      if (eLicence === null) outOfState('no e-licence is active')
      else if (eLicence.eLicenceId !== event.data.eLicenceId)
        outOfState(`the active e-licence is ${eLicence.eLicenceId}`)
      break
    case 'LicenceStatusChanged':
      if (!sameSet(event.data.previous, licence.statuses)) {
        outOfState(`previous statuses ${event.data.previous.join('')} are not ${licence.statuses.join('')}`)
      }
      break
    default:
      return absurd(event)
  }
  return findings
}

/** The invariants every decision keeps, checked on the state after a command's events. */
export const invariantFindings = (
  state: LicenceState,
  issuedTerms: Terms | null,
): ReadonlyArray<RuleFinding> => {
  if (state._tag === 'Unrecorded') return []
  const findings: RuleFinding[] = []
  const { licence, application, eLicence } = state
  if (eLicence !== null && issuedTerms !== null) {
    const changes = changesBetween(issuedTerms, licence)
    if (changes.length > 0) {
      findings.push(
        finding(
          'e-licence-active-across-change',
          `e-licence ${eLicence.eLicenceId} stays active across ${changes.join(' ')}`,
        ),
      )
    }
  }
  if (eLicence !== null && isRevoking(licence.statuses)) {
    findings.push(
      finding(
        'e-licence-active-while-revoked',
        `e-licence ${eLicence.eLicenceId} is active under ${licence.statuses.join('')}`,
      ),
    )
  }
  if (application !== null && !isEligibleToApply(licence.statuses)) {
    findings.push(
      finding(
        'application-open-while-ineligible',
        `application ${application.applicationId} is open under ${licence.statuses.join('')}`,
      ),
    )
  }
  return findings
}
