/**
 * What a `fitting` step becomes when its turn comes: the command that fits the licence's state, by
 * weights that depend on it — what the holder, the reviewer or the registry would most likely do
 * next, and now and then something else — and the instant it is sent at (a review waits until its
 * application is due; a step that outlives its licence waits until the licence expired). The
 * weights follow the domain's `historyArb` (packages/domain/src/testing/steps.ts).
 *
 * @example
 * fittingAction(state, nowMs, action) // { action: { kind: 'review' }, atMs: Date.parse(dueAt) + 20 * 60_000 }
 */
import { isEligibleToApply, isExpiredAt, type LicenceState, type RecordedLicence } from '@elicence/domain'
import type { FittingAction, ScriptedAction } from './histories.js'

const dayMs = 86_400_000

type FittingKind =
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

/** A licence expires from 00:00 in Shanghai of the day after its last valid day. */
const expiryMs = (state: RecordedLicence): number =>
  state.licence.validUntil === 'long-term'
    ? Number.POSITIVE_INFINITY
    : Date.parse(`${state.licence.validUntil}T00:00:00+08:00`) + dayMs

const weightsIn = (state: RecordedLicence, nowMs: number): Partial<Record<FittingKind, number>> => {
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
    return { renew: 2, abnormal: 2, eligible: normal ? 0 : 1, other: 3, outlive: 1 }
  }
  if (expired) return { extend: 4, abnormal: 1, apply: 1, other: 1 }
  if (!isEligibleToApply(licence.statuses)) return { eligible: 4, renew: 1, apply: 1, other: 1 }
  return { apply: 6, renew: 1, abnormal: 1, other: 1 }
}

interface Fitted {
  readonly action: ScriptedAction
  readonly atMs: number
}

const fittingActions: Readonly<
  Record<
    FittingKind,
    (action: FittingAction, state: RecordedLicence, nowMs: number, advancedMs: number) => Fitted
  >
> = {
  apply: (_action, _state, _nowMs, atMs) => ({ action: { kind: 'apply' }, atMs }),
  review: ({ reviewOffsetMinutes }, { application }, nowMs, atMs) => {
    const due = application?.reviewDueAt
    return {
      action: { kind: 'review' },
      atMs: due == null ? atMs : Math.max(nowMs, Date.parse(due) + reviewOffsetMinutes * 60_000),
    }
  },
  'reject-photo': ({ rejection }, _state, _nowMs, atMs) => ({ action: rejection, atMs }),
  'submit-photo': ({ photo }, _state, _nowMs, atMs) => ({ action: photo, atMs }),
  withdraw: (_action, _state, _nowMs, atMs) => ({ action: { kind: 'withdraw' }, atMs }),
  renew: ({ renewal }, _state, _nowMs, atMs) => ({ action: renewal, atMs }),
  // A new validity from the day of renewal.
  extend: ({ renewal }, _state, _nowMs, atMs) => ({ action: { ...renewal, validYears: 10 }, atMs }),
  abnormal: ({ abnormal }, _state, _nowMs, atMs) => ({ action: abnormal, atMs }),
  eligible: ({ eligible }, _state, _nowMs, atMs) => ({ action: eligible, atMs }),
  // Whatever comes next, once the licence has expired.
  outlive: ({ other }, state, nowMs, atMs) => ({
    action: other,
    atMs: Math.max(atMs, expiryMs(state) + ((atMs - nowMs) % (2 * dayMs))),
  }),
  other: ({ other }, _state, _nowMs, atMs) => ({ action: other, atMs }),
}

/**
 * The command a fitting step sends against `state`, and when: `nowMs` is the instant of the step
 * before, `advancedMs` the step's own instant as its wait gives it.
 */
export const fittingAction = (
  state: LicenceState,
  nowMs: number,
  advancedMs: number,
  action: FittingAction,
): Fitted => {
  if (state._tag !== 'Recorded') return { action: action.other, atMs: advancedMs }
  const weights = Object.entries(weightsIn(state, advancedMs)) as ReadonlyArray<[FittingKind, number]>
  let rest = action.pick % weights.reduce((sum, [, weight]) => sum + weight, 0)
  for (const [kind, weight] of weights) {
    if (rest < weight) return fittingActions[kind](action, state, nowMs, advancedMs)
    rest -= weight
  }
  return { action: action.other, atMs: advancedMs }
}
