/**
 * What a `fitting` step becomes when its turn comes: the command that fits the licence's state, by
 * weights that depend on it — what the holder, the reviewer or the registry would most likely do
 * next, and now and then something else — and the instant it is sent at (a review waits until its
 * application is due; a step that outlives its licence waits until the licence expired). The kind
 * is picked by the weights of the domain's `historyArb` (`fittingKind`), outliving less eagerly.
 *
 * @example
 * fittingAction(state, nowMs, action) // { action: { kind: 'review' }, atMs: Date.parse(dueAt) + 20 * 60_000 }
 */
import type { LicenceState, RecordedLicence } from '@elicence/domain'
import { type FittingKind, fittingKind, msUntilExpiry } from '@elicence/domain/testing'
import type { FittingAction, ScriptedAction } from './histories.js'

const dayMs = 86_400_000

// Time runs for every licence of a script at once: outliving one ages them all, so less often.
const outliveNowAndThen = (): number => 1

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
    atMs: Math.max(atMs, atMs + msUntilExpiry(state, atMs) + ((atMs - nowMs) % (2 * dayMs))),
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
  const kind = fittingKind(state, advancedMs, action.pick, { outlive: outliveNowAndThen })
  return kind === undefined
    ? { action: action.other, atMs: advancedMs }
    : fittingActions[kind](action, state, nowMs, advancedMs)
}
