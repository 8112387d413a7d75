/**
 * The steps of a random licence history, before they become commands: any step of any kind
 * (`stepArb`), most of which a given state refuses, faults included (another sender, another
 * application, a time before the stream's last event, a photo from the future). The steps that fit
 * a state, which `historyArb` takes most of the time, are fitting-steps.ts's.
 *
 * @example
 * fc.sample(stepArb, 3) // e.g. [{ kind: 'review', advanceMs: 1200, toDue: true, otherApplication: false, role: 'system' }, …]
 */
import * as fc from 'fast-check'
import {
  type ActorRole,
  type Authority,
  actorRoles,
  type LicenceClass,
  type LicenceStatus,
  type PhotoDefect,
} from '../licence/values.js'
import { authorityArb, classesArb, defectsArb, statusesArb } from './values.js'

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
export const advanceArb = fc.oneof(
  { weight: 50, arbitrary: fc.integer({ min: 0, max: 6 * hourMs }) },
  { weight: 40, arbitrary: fc.integer({ min: 0, max: 3 * dayMs }) },
  { weight: 10, arbitrary: fc.integer({ min: 0, max: 45 * dayMs }) },
  { weight: 1, arbitrary: fc.integer({ min: -3 * dayMs, max: -1 }) },
)

export const photoAgeArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 150 }) },
  { weight: 2, arbitrary: fc.integer({ min: 150, max: 400 }) },
  // Around the six-month boundary, where clamping to the month's end matters.
  { weight: 3, arbitrary: fc.integer({ min: 178, max: 188 }) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: -1 }) },
)
export const rejectionReasonsArb = defectsArb.filter((defects) => defects.length > 0)
// Each term kept half of the time, so renewals that change nothing are common too.
export const renewalTermsArb = fc.record({
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
