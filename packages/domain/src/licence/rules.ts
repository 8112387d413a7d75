/**
 * The domain rules that both the decider and the read models ask: eligibility by status, expiry,
 * implied classes and the changes a renewal makes. One place, so a view can never disagree with a
 * decision.
 *
 * @example
 * impliedClasses(['A1']) // ['A1', 'A3', 'B1', 'B2', 'C1', 'C2', 'C3', 'C4', 'M']
 */
import { dayOfLocalDate, localDayOf } from '../calendar/local-time.js'
import type { Authority, ChangeKind, LicenceClass, LicenceStatus, ValidUntil } from './values.js'
import { licenceClasses } from './values.js'

/** The version of these rules; every stored event records it, so auditors can tell rule sets apart. */
export const rulesVersion = '2026.11.1'

/** Rule 1: statuses under which an application is accepted (normal, unresolved violation or accident). */
const eligibleStatuses: ReadonlySet<LicenceStatus> = new Set(['A', 'H', 'I'])
/** Rule 7: statuses that invalidate an issued e-licence (revoked, cancelled, cancelled-recoverable). */
const revokingStatuses: ReadonlySet<LicenceStatus> = new Set(['E', 'F', 'G', 'R'])

/**
 * Statuses under which the holder may not drive at all, for verification: over points (B), suspended
 * (D), revoked or cancelled (E F G R), stopped (J), seized or detained (K U), locked (L), overdue for
 * renewal or review (M S). Transferred-out (C), unresolved violations or accidents (H I) and granted
 * deferrals (N P T) leave the licence usable.
 */
const drivingBarringStatuses: ReadonlySet<LicenceStatus> = new Set([
  'B',
  'D',
  'E',
  'F',
  'G',
  'J',
  'K',
  'L',
  'M',
  'R',
  'S',
  'U',
])

export const barsDriving = (statuses: ReadonlyArray<LicenceStatus>): boolean =>
  statuses.some((status) => drivingBarringStatuses.has(status))

export const isEligibleToApply = (statuses: ReadonlyArray<LicenceStatus>): boolean =>
  statuses.every((status) => eligibleStatuses.has(status))

export const isRevoking = (statuses: ReadonlyArray<LicenceStatus>): boolean =>
  statuses.some((status) => revokingStatuses.has(status))

/** Abnormal: anything but `A` alone. The e-licence is shown red, and driving may be affected. */
export const isAbnormal = (statuses: ReadonlyArray<LicenceStatus>): boolean =>
  !(statuses.length === 1 && statuses[0] === 'A')

/** Expired from 00:00 Asia/Shanghai of the day after `validUntil`. */
export const isExpiredAt = (validUntil: ValidUntil, atMs: number): boolean =>
  validUntil !== 'long-term' && localDayOf(atMs) > dayOfLocalDate(validUntil)

const implications: Readonly<Partial<Record<LicenceClass, ReadonlyArray<LicenceClass>>>> = {
  A1: ['A3', 'B1', 'B2', 'C1', 'C2', 'C3', 'C4', 'M'],
  A2: ['B1', 'B2', 'C1', 'C2', 'C3', 'C4', 'M'],
  A3: ['C1', 'C2', 'C3', 'C4'],
  B1: ['C1', 'C2', 'C3', 'C4', 'M'],
  B2: ['C1', 'C2', 'C3', 'C4', 'M'],
  C1: ['C2', 'C3', 'C4'],
  C3: ['C4'],
  D: ['E', 'F'],
  E: ['F'],
}

/** The classes a holder may drive: held classes plus those they imply (queries only). */
export const impliedClasses = (classes: ReadonlyArray<LicenceClass>): ReadonlyArray<LicenceClass> => {
  const all = new Set<LicenceClass>(classes)
  for (const held of classes) for (const implied of implications[held] ?? []) all.add(implied)
  return licenceClasses.filter((value) => all.has(value))
}

export interface Terms {
  readonly classes: ReadonlyArray<LicenceClass>
  readonly validFrom: string
  readonly validUntil: ValidUntil
  readonly authority: Authority
}

/** What a renewal changes, in the order class, expiry, authority. Implied classes do not count. */
export const changesBetween = (before: Terms, after: Terms): ReadonlyArray<ChangeKind> => {
  const changes: ChangeKind[] = []
  if (
    before.classes.length !== after.classes.length ||
    before.classes.some((value, index) => value !== after.classes[index])
  ) {
    changes.push('class')
  }
  if (before.validFrom !== after.validFrom || before.validUntil !== after.validUntil) changes.push('expiry')
  if (before.authority.code !== after.authority.code) changes.push('authority')
  return changes
}
