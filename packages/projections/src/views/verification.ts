/**
 * Verification at an instant (DESIGN §5): what a police terminal, a car-rental company or an insurer
 * may learn — whether the e-licence is valid, whether its holder may drive and which classes, and
 * why not — with the holder's name and licence number masked, and without the eLicenceId (it embeds
 * the number). It never says `valid` for an
 * e-licence that is invalidated, expired, revoked or was never issued.
 *
 * @example
 * verifyAt(view, '2026-10-09T10:00:00+08:00')
 * // { eLicence: 'valid', driving: 'allowed', holderName: '张**', licenceNumber: '110105********002X', … }
 */
import {
  asString,
  barsDriving,
  dayOfLocalDate,
  Instant,
  impliedClasses,
  isAbnormal,
  isExpiredAt,
  isRevoking,
  LicenceClass,
  LicenceStatus,
  localDayOf,
  oneOf,
  ValidUntil,
  withSchema,
} from '@elicence/domain'
import * as t from 'io-ts'
import type { ELicenceState, ELicenceViewState } from './e-licence.js'

export const verificationReasons = [
  'licence-not-found',
  'never-issued',
  'application-open',
  'invalidated',
  'issued-after-instant',
  'not-yet-valid',
  'expired',
  'revoked',
  'abnormal-status',
  'driving-barred-by-status',
] as const
export type VerificationReason = (typeof verificationReasons)[number]

const masked = (example: string) =>
  t.union([withSchema(t.string, { description: `Masked, e.g. ${example}.` }), t.null])

export const Verification = t.readonly(
  t.exact(
    t.type({
      /** The instant verified, as given. */
      at: asString(Instant),
      licenceNumber: masked('110105********002X'),
      holderName: masked('张*'),
      eLicence: oneOf(['valid', 'invalid', 'none']),
      driving: oneOf(['allowed', 'not-allowed']),
      classes: t.readonlyArray(LicenceClass),
      /** Held classes plus those they imply: what the holder may drive when driving is allowed. */
      mayDrive: t.readonlyArray(LicenceClass),
      validUntil: t.union([ValidUntil, t.null]),
      statuses: t.readonlyArray(LicenceStatus),
      /** Shown red in the app: any status but `A` alone. */
      abnormal: t.boolean,
      reasons: t.readonlyArray(oneOf(verificationReasons)),
    }),
  ),
  'Verification',
)
export type Verification = t.TypeOf<typeof Verification>

/** Keeps the first character (the family name, usually) and masks the rest: 张三丰 → 张**. */
export const maskName = (name: string): string => {
  const characters = Array.from(name.trim())
  if (characters.length <= 1) return '*'
  return `${characters[0]}${'*'.repeat(characters.length - 1)}`
}

/** Keeps the region (6) and the last 4 characters: 11010519491231002X → 110105********002X. */
export const maskLicenceNumber = (licenceNumber: string): string =>
  licenceNumber.length <= 10
    ? '*'.repeat(licenceNumber.length)
    : `${licenceNumber.slice(0, 6)}${'*'.repeat(licenceNumber.length - 10)}${licenceNumber.slice(-4)}`

const notFound = (at: string): Verification => ({
  at,
  licenceNumber: null,
  holderName: null,
  eLicence: 'none',
  driving: 'not-allowed',
  classes: [],
  mayDrive: [],
  validUntil: null,
  statuses: [],
  abnormal: false,
  reasons: ['licence-not-found'],
})

const openStates: ReadonlySet<ELicenceState> = new Set(['pending-review', 'awaiting-photo'])

/**
 * Verifies a view at an instant (ISO-8601, or epoch milliseconds). An instant that does not parse
 * verifies nothing as valid: every time comparison with NaN is false, so it fails closed.
 */
export const verifyAt = (view: ELicenceViewState, instant: string | number): Verification => {
  const at = typeof instant === 'number' ? new Date(instant).toISOString() : instant
  if (view === null) return notFound(at)
  const atMs = typeof instant === 'number' ? instant : Date.parse(instant)
  const knownInstant = Number.isFinite(atMs)
  const reasons: VerificationReason[] = []

  const expired = !knownInstant || isExpiredAt(view.validUntil, atMs)
  const notYetValid = !knownInstant || localDayOf(atMs) < dayOfLocalDate(view.validFrom)
  const revoked = isRevoking(view.statuses)
  const barred = barsDriving(view.statuses)

  if (view.issuedCount === 0) reasons.push('never-issued')
  if (openStates.has(view.state)) reasons.push('application-open')
  if (view.issuedCount > 0 && view.state !== 'issued') reasons.push('invalidated')
  const issuedLater =
    view.state === 'issued' && (!knownInstant || view.issuedAt === null || Date.parse(view.issuedAt) > atMs)
  if (issuedLater) reasons.push('issued-after-instant')
  if (notYetValid) reasons.push('not-yet-valid')
  if (expired) reasons.push('expired')
  if (revoked) reasons.push('revoked')
  if (isAbnormal(view.statuses)) reasons.push('abnormal-status')
  if (barred) reasons.push('driving-barred-by-status')

  const eLicence =
    view.issuedCount === 0
      ? 'none'
      : view.state === 'issued' && !issuedLater && !expired && !notYetValid && !revoked
        ? 'valid'
        : 'invalid'
  const driving = !expired && !notYetValid && !barred ? 'allowed' : 'not-allowed'
  return {
    at,
    licenceNumber: maskLicenceNumber(view.licenceNumber),
    holderName: maskName(view.holder.name),
    eLicence,
    driving,
    classes: view.classes,
    mayDrive: driving === 'allowed' ? impliedClasses(view.classes) : [],
    validUntil: view.validUntil,
    statuses: view.statuses,
    abnormal: isAbnormal(view.statuses),
    reasons,
  }
}
