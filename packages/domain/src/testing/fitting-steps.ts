/**
 * The steps that fit a state (`fittingStep`), which `historyArb` takes most of the time so that its
 * histories go on through the lifecycle instead of being refused on the spot: a review comes when
 * an application is open and due, a photo when one is awaited, a renewal when the licence has
 * expired. The kind is picked by weights that depend on the state (`fittingKind`), which the
 * projections' script arbitrary picks by too.
 *
 * @example
 * fittingKind(state, nowMs, pick) // 'review' for an application open and due, most of the time
 */
import * as fc from 'fast-check'
import { isEligibleToApply, isExpiredAt } from '../licence/rules.js'
import type { LicenceState, RecordedLicence } from '../licence/state.js'
import type { ActorRole, Authority, LicenceClass, LicenceStatus, PhotoDefect } from '../licence/values.js'
import { advanceArb, photoAgeArb, rejectionReasonsArb, renewalTermsArb, type Step } from './steps.js'
import { abnormalStatusesArb, classesArb, defectsArb } from './values.js'

const hourMs = 3_600_000
const dayMs = 86_400_000

/**
 * The material of one step that fits the state, drawn before the state is known: `fittingStep`
 * picks the kind when the step's turn comes, and takes from here what that kind needs.
 */
export interface FittingStepDraw {
  /** Which of the kinds that fit the state, by their weights. */
  readonly pick: number
  readonly advanceMs: number
  /**
   * A review's time from two hours before its due time: mostly after it, so the review is decided,
   * sometimes before (`review-not-due`).
   */
  readonly reviewOffsetMs: number
  readonly reviewer: ActorRole
  readonly rejection: ReadonlyArray<PhotoDefect>
  /** Mostly within six months, now and then older or in the future (`photo-date-in-future`). */
  readonly photoAgeDays: number
  readonly photoDefects: ReadonlyArray<PhotoDefect>
  /**
   * For a review, a rejection, a photo or a withdrawal: in one of forty another application
   * than the open one (`application-mismatch`).
   */
  readonly otherApplication: boolean
  /** For a licence in force: any terms changed, or none (a lost card replaced). */
  readonly renewal: {
    readonly classes: ReadonlyArray<LicenceClass> | null
    readonly extendYears: number | null
    readonly authority: Authority | null
  }
  /** For an expired licence: a new validity, and now and then new classes. */
  readonly extension: { readonly years: number; readonly classes: ReadonlyArray<LicenceClass> | null }
  /** Anything but `A` alone: statuses beside which an e-licence stays (shown abnormal), or revoking ones. */
  readonly abnormal: ReadonlyArray<LicenceStatus>
  /** Statuses under which one may apply again (mostly `A`). */
  readonly eligible: ReadonlyArray<LicenceStatus>
}

export const fittingStepDrawArb: fc.Arbitrary<FittingStepDraw> = fc.record({
  pick: fc.nat(),
  advanceMs: advanceArb,
  reviewOffsetMs: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 2 * hourMs, max: 4 * hourMs - 1 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * hourMs - 1 }) },
  ),
  reviewer: fc.constantFrom<ActorRole>('reviewer', 'system'),
  rejection: rejectionReasonsArb,
  photoAgeDays: fc.oneof(
    { weight: 10, arbitrary: fc.integer({ min: 0, max: 150 }) },
    { weight: 2, arbitrary: photoAgeArb },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: -1 }) },
  ),
  photoDefects: fc.oneof(
    { weight: 4, arbitrary: fc.constant([] as ReadonlyArray<PhotoDefect>) },
    { weight: 1, arbitrary: defectsArb },
  ),
  otherApplication: fc.integer({ min: 0, max: 39 }).map((n) => n === 0),
  renewal: renewalTermsArb,
  extension: fc.record({
    years: fc.integer({ min: 1, max: 10 }),
    classes: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: classesArb }),
  }),
  abnormal: fc.oneof(
    fc
      .constantFrom<LicenceStatus>('B', 'D', 'E', 'F', 'G', 'H', 'I', 'M', 'R', 'U')
      .map((status) => [status]),
    abnormalStatusesArb,
  ),
  eligible: fc.oneof(
    { weight: 4, arbitrary: fc.constant<ReadonlyArray<LicenceStatus>>(['A']) },
    { weight: 1, arbitrary: fc.constantFrom<ReadonlyArray<LicenceStatus>>(['H'], ['I'], ['H', 'I']) },
  ),
})

/** How long until the licence expires (00:00 in Shanghai after its last valid day); infinite for long-term. */
export const msUntilExpiry = (licence: RecordedLicence, nowMs: number): number =>
  licence.licence.validUntil === 'long-term'
    ? Number.POSITIVE_INFINITY
    : Date.parse(`${licence.licence.validUntil}T00:00:00+08:00`) + dayMs - nowMs

/** What a fitting step does, before it is made a step or a script's action. */
export type FittingKind =
  | 'apply'
  | 'review'
  | 'reject-photo'
  | 'submit-photo'
  | 'withdraw'
  | 'renew'
  | 'extend'
  | 'abnormal'
  | 'eligible'
  | 'outlive'
  | 'other'

export interface FittingWeightOptions {
  /**
   * The weight of outliving the licence while its e-licence is active, by how long it has left;
   * default 5 within 180 days and 0 beyond (one licence's history; a script of several licences,
   * whose time runs for all of them, outlives less eagerly).
   */
  readonly outlive?: (untilExpiryMs: number) => number
}

const outliveSoon = (untilExpiryMs: number): number => (untilExpiryMs < 180 * dayMs ? 5 : 0)

/** What the holder, the reviewer or the registry would most likely do next, by weight. */
const weightsIn = (
  state: RecordedLicence,
  nowMs: number,
  options: FittingWeightOptions,
): Partial<Record<FittingKind, number>> => {
  const { application, eLicence, licence } = state
  if (application?.stage === 'pending-review')
    return { review: 12, 'reject-photo': 1, withdraw: 1, renew: 1, abnormal: 1 }
  if (application?.stage === 'awaiting-photo')
    return { 'submit-photo': 12, withdraw: 1, renew: 1, abnormal: 1 }
  const expired = isExpiredAt(licence.validUntil, nowMs)
  if (eLicence !== null && expired) return { extend: 3, abnormal: 1, other: 2 }
  if (eLicence !== null) {
    // The e-licence lives on through steps that do not touch it, so that it may meet a renewal, a
    // status change or its licence's expiry later on.
    const normal = licence.statuses.length === 1 && licence.statuses[0] === 'A'
    const outlive = (options.outlive ?? outliveSoon)(msUntilExpiry(state, nowMs))
    return { renew: 2, abnormal: 2, eligible: normal ? 0 : 1, other: 3, outlive }
  }
  if (expired) return { extend: 4, abnormal: 1, apply: 1, other: 1 }
  if (!isEligibleToApply(licence.statuses)) return { eligible: 4, renew: 1, apply: 1, other: 1 }
  return { apply: 6, renew: 1, abnormal: 1, other: 1 }
}

const fittingSteps: Readonly<
  Record<FittingKind, (draw: FittingStepDraw, other: Step, state: RecordedLicence, nowMs: number) => Step>
> = {
  apply: ({ advanceMs }) => ({
    kind: 'apply',
    advanceMs,
    faceCheck: true,
    wrongStart: false,
    stranger: false,
  }),
  review: (draw) => ({
    kind: 'review',
    advanceMs: draw.reviewOffsetMs,
    toDue: true,
    otherApplication: draw.otherApplication,
    role: draw.reviewer,
  }),
  'reject-photo': ({ advanceMs, rejection, otherApplication }) => ({
    kind: 'reject-photo',
    advanceMs,
    reasons: rejection,
    otherApplication,
  }),
  'submit-photo': ({ advanceMs, photoAgeDays, photoDefects, otherApplication }) => ({
    kind: 'submit-photo',
    advanceMs,
    ageDays: photoAgeDays,
    defects: photoDefects,
    otherApplication,
  }),
  withdraw: ({ advanceMs, otherApplication }) => ({ kind: 'withdraw', advanceMs, otherApplication }),
  renew: ({ advanceMs, renewal }) => ({ kind: 'renew', advanceMs, ...renewal }),
  extend: ({ advanceMs, extension }) => ({
    kind: 'renew',
    advanceMs,
    classes: extension.classes,
    extendYears: extension.years,
    authority: null,
  }),
  abnormal: ({ advanceMs, abnormal }) => ({ kind: 'status', advanceMs, statuses: abnormal }),
  eligible: ({ advanceMs, eligible }) => ({ kind: 'status', advanceMs, statuses: eligible }),
  // Whatever comes next, once the licence has expired.
  outlive: ({ advanceMs }, other, state, nowMs) => ({
    ...other,
    advanceMs: msUntilExpiry(state, nowMs) + (Math.abs(advanceMs) % (2 * dayMs)),
  }),
  other: (_draw, other) => other,
}

/**
 * A step that fits the state at `nowMs`, its kind picked by weights that depend on the state: what
 * the holder, the reviewer or the registry would most likely do next, and now and then what they
 * might do anyway (`other`, a step of any kind, which the state may refuse).
 */
export const fittingStep = (state: LicenceState, nowMs: number, draw: FittingStepDraw, other: Step): Step => {
  if (state._tag !== 'Recorded') return other
  const kind = fittingKind(state, nowMs, draw.pick)
  return kind === undefined ? other : fittingSteps[kind](draw, other, state, nowMs)
}

/**
 * The kind of fitting step `pick` (any natural number) chooses for a recorded licence at `nowMs`,
 * by the weights of its state; undefined where no weight is above 0. Both this package's
 * `historyArb` and the projections' script arbitrary choose by it.
 */
export const fittingKind = (
  state: RecordedLicence,
  nowMs: number,
  pick: number,
  options: FittingWeightOptions = {},
): FittingKind | undefined => {
  const weights = Object.entries(weightsIn(state, nowMs, options)) as ReadonlyArray<[FittingKind, number]>
  let rest = pick % weights.reduce((sum, [, weight]) => sum + weight, 0)
  for (const [kind, weight] of weights) {
    if (rest < weight) return kind
    rest -= weight
  }
  return undefined
}
