/**
 * The steps of a random licence history, before they become commands: any step of any kind
 * (`stepArb`, most of which a given state refuses), and the steps that fit a state (`fittingStep`),
 * which `historyArb` takes most of the time so that its histories go on through the lifecycle
 * instead of being refused on the spot: a review comes when an application is open and due, a photo
 * when one is awaited, a renewal when the licence has expired.
 *
 * @example
 * fc.sample(stepArb, 3) // e.g. [{ kind: 'review', advanceMs: 1200, toDue: true, role: 'system' }, …]
 */
import * as fc from 'fast-check'
import { isEligibleToApply, isExpiredAt } from '../licence/rules.js'
import type { LicenceState, RecordedLicence } from '../licence/state.js'
import {
  type ActorRole,
  type Authority,
  actorRoles,
  type LicenceClass,
  type LicenceStatus,
  type PhotoDefect,
} from '../licence/values.js'
import { abnormalStatusesArb, authorityArb, classesArb, defectsArb, statusesArb } from './values.js'

const hourMs = 3_600_000
const dayMs = 86_400_000

/**
 * One step of a history. `advanceMs` is how long after the step before it is taken; a negative one
 * states it that long before the stream's last event instead, which rule 10 refuses
 * (`instant-before-history`) unless an earlier check does. `role` is who sends it where that is not
 * the command's own sender (DESIGN §3's table: the holder applies, the registry renews): a verifier,
 * an auditor or any role the table does not name for the command is refused `forbidden`.
 * `otherApplication` names an application other than the open one (`application-mismatch`).
 */
export type Step =
  | {
      readonly kind: 'apply'
      readonly advanceMs: number
      readonly faceCheck: boolean
      readonly wrongStart: boolean
      readonly stranger: boolean
      readonly role?: ActorRole
    }
  | {
      readonly kind: 'review'
      readonly advanceMs: number
      readonly toDue: boolean
      readonly otherApplication: boolean
      readonly role: ActorRole
    }
  | {
      readonly kind: 'reject-photo'
      readonly advanceMs: number
      readonly reasons: ReadonlyArray<PhotoDefect>
      readonly otherApplication: boolean
      readonly role?: ActorRole
    }
  | {
      readonly kind: 'submit-photo'
      readonly advanceMs: number
      /** Days before the local date of submission the photo was taken; negative: in the future. */
      readonly ageDays: number
      readonly defects: ReadonlyArray<PhotoDefect>
      readonly otherApplication: boolean
      readonly role?: ActorRole
    }
  | {
      readonly kind: 'withdraw'
      readonly advanceMs: number
      readonly otherApplication: boolean
      readonly role?: ActorRole
    }
  | {
      readonly kind: 'renew'
      readonly advanceMs: number
      readonly classes: ReadonlyArray<LicenceClass> | null
      readonly extendYears: number | null
      readonly authority: Authority | null
      readonly role?: ActorRole
    }
  | {
      readonly kind: 'status'
      readonly advanceMs: number
      readonly statuses: ReadonlyArray<LicenceStatus>
      readonly role?: ActorRole
    }
  /** The licence's RecordLicence sent again: refused once it is recorded (`licence-already-recorded`). */
  | { readonly kind: 'record'; readonly advanceMs: number; readonly role?: ActorRole }

/**
 * The time between two steps: mostly hours or a few days, now and then weeks. A history of 30 steps
 * so spans about three months; with a long wait in one step of three (as before) it spanned eight,
 * and outlived most licences it recorded. In one step of a hundred the sender's clock is behind
 * the stream's (a negative advance), so that about one history in twelve states a command that
 * would otherwise apply before the last event (rule 10).
 */
const advanceArb = fc.oneof(
  { weight: 50, arbitrary: fc.integer({ min: 0, max: 6 * hourMs }) },
  { weight: 40, arbitrary: fc.integer({ min: 0, max: 3 * dayMs }) },
  { weight: 10, arbitrary: fc.integer({ min: 0, max: 45 * dayMs }) },
  { weight: 1, arbitrary: fc.integer({ min: -3 * dayMs, max: -1 }) },
)

const photoAgeArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 150 }) },
  { weight: 2, arbitrary: fc.integer({ min: 150, max: 400 }) },
  // Around the six-month boundary, where clamping to the month's end matters.
  { weight: 3, arbitrary: fc.integer({ min: 178, max: 188 }) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: -1 }) },
)
const rejectionReasonsArb = defectsArb.filter((defects) => defects.length > 0)
// Each term kept half of the time, so renewals that change nothing are common too.
const renewalTermsArb = fc.record({
  classes: fc.option(classesArb, { nil: null, freq: 2 }),
  extendYears: fc.option(fc.integer({ min: 1, max: 10 }), { nil: null, freq: 2 }),
  authority: fc.option(authorityArb, { nil: null, freq: 2 }),
})

/**
 * Mostly none (the command's own sender), in one step of twelve any role: verifiers and auditors,
 * who have no command of their own, three times as often as each of the others.
 */
const senderArb: fc.Arbitrary<ActorRole | undefined> = fc.oneof(
  { weight: 11, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<ActorRole>(...actorRoles, 'verifier', 'auditor', 'verifier', 'auditor'),
  },
)
/** One application in ten another than the open one. */
const otherApplicationArb = fc.integer({ min: 0, max: 9 }).map((n) => n === 0)
const sentBy = <S extends Step>(stepArb: fc.Arbitrary<S>): fc.Arbitrary<S> =>
  fc.tuple(stepArb, senderArb).map(([step, role]) => (role === undefined ? step : { ...step, role }))

/** Steps of every kind but the record, by weight. */
const actingStepArbs: ReadonlyArray<fc.WeightedArbitrary<Step>> = [
  {
    weight: 8,
    arbitrary: sentBy(
      fc.record({
        kind: fc.constant('apply' as const),
        advanceMs: advanceArb,
        faceCheck: fc.integer({ min: 0, max: 9 }).map((n) => n !== 0),
        wrongStart: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
        stranger: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      }),
    ),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('review' as const),
      advanceMs: advanceArb,
      toDue: fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
      otherApplication: otherApplicationArb,
      role: fc.constantFrom<ActorRole>('reviewer', 'system', 'system', 'holder'),
    }),
  },
  {
    weight: 2,
    arbitrary: sentBy(
      fc.record({
        kind: fc.constant('reject-photo' as const),
        advanceMs: advanceArb,
        reasons: rejectionReasonsArb,
        otherApplication: otherApplicationArb,
      }),
    ),
  },
  {
    weight: 6,
    arbitrary: sentBy(
      fc.record({
        kind: fc.constant('submit-photo' as const),
        advanceMs: advanceArb,
        ageDays: photoAgeArb,
        defects: defectsArb,
        otherApplication: otherApplicationArb,
      }),
    ),
  },
  {
    weight: 2,
    arbitrary: sentBy(
      fc.record({
        kind: fc.constant('withdraw' as const),
        advanceMs: advanceArb,
        otherApplication: otherApplicationArb,
      }),
    ),
  },
  {
    weight: 4,
    arbitrary: sentBy(
      fc
        .tuple(advanceArb, renewalTermsArb)
        .map(([advanceMs, terms]) => ({ kind: 'renew' as const, advanceMs, ...terms })),
    ),
  },
  {
    weight: 4,
    arbitrary: sentBy(
      fc.record({
        kind: fc.constant('status' as const),
        advanceMs: advanceArb,
        statuses: statusesArb,
      }),
    ),
  },
]

/**
 * Any step of any kind, faults included: a stranger applying, a holder reviewing, a verifier
 * renewing, a future photo, the licence recorded again.
 */
export const stepArb: fc.Arbitrary<Step> = fc.oneof(...actingStepArbs, {
  weight: 1,
  arbitrary: sentBy(fc.record({ kind: fc.constant('record' as const), advanceMs: advanceArb })),
})

/** A step that reaches a stream before its licence is recorded: of any kind but the record. */
export const unrecordedStepArb: fc.Arbitrary<Step> = fc.oneof(...actingStepArbs)

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

/** A licence expires from 00:00 in Shanghai of the day after its last valid day. */
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
