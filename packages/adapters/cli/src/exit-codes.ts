/**
 * The `elicence` exit codes: the one place where error codes become process exit codes (DESIGN §7).
 * A run that meets several outcomes exits with the worst, and "worst" is the numeric order on
 * purpose: a store in trouble (3) needs an operator before anything else, input that could not be
 * understood (2) needs its author, and refusals by a rule (1) are an expected answer.
 *
 * @example
 * worst(exitCodes.refused, exitCodeOfError('store-failure')) // 3
 */
import type { HandlerErrorCode } from '@elicence/domain'

export const exitCodes = {
  /** Everything was applied (or was already applied: an idempotent replay). */
  ok: 0,
  /** Understood and refused by a rule: a domain rule, idempotency, or a broken history on import. */
  refused: 1,
  /** Not understood: bad arguments, a bad store URL, a line that is not JSON or fails its codec. */
  invalidInput: 2,
  /**
   * The store failed, conflicted or holds a corrupt event; or it is not in the state required; or
   * the output could not be written (a full disk; for `exec`, an output closed before its end).
   */
  storeFailure: 3,
} as const

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes]

/** A record, not a switch with a default: a new error code does not compile until it is placed. */
const exitCodeByError: Readonly<Record<HandlerErrorCode, ExitCode>> = {
  'invalid-command': exitCodes.invalidInput,
  forbidden: exitCodes.refused,
  'licence-not-found': exitCodes.refused,
  'licence-already-recorded': exitCodes.refused,
  'not-licence-holder': exitCodes.refused,
  'face-check-failed': exitCodes.refused,
  'validity-start-mismatch': exitCodes.refused,
  'licence-not-eligible': exitCodes.refused,
  'licence-expired': exitCodes.refused,
  'application-open': exitCodes.refused,
  'e-licence-active': exitCodes.refused,
  'no-open-application': exitCodes.refused,
  'application-mismatch': exitCodes.refused,
  'application-not-in-review': exitCodes.refused,
  'review-not-due': exitCodes.refused,
  'photo-not-requested': exitCodes.refused,
  'photo-date-in-future': exitCodes.refused,
  'statuses-unchanged': exitCodes.refused,
  'calendar-not-covered': exitCodes.refused,
  'instant-before-history': exitCodes.refused,
  'instant-in-future': exitCodes.refused,
  // The same id sent with another body: the caller's mistake, refused by the idempotency rule.
  'command-id-reused': exitCodes.refused,
  // The handler retried and still lost the race: nothing was decided, so it is the store's outcome.
  'concurrency-conflict': exitCodes.storeFailure,
  'corrupt-event': exitCodes.storeFailure,
  'store-failure': exitCodes.storeFailure,
}

export const exitCodeOfError = (code: HandlerErrorCode): ExitCode => exitCodeByError[code]

export const worst = (...codes: ReadonlyArray<ExitCode>): ExitCode =>
  codes.reduce<ExitCode>(
    // biome-ignore lint/complexity/useMathMinMax: Math.max widens to number; this keeps ExitCode
    (worstSoFar, code) => (code > worstSoFar ? code : worstSoFar),
    exitCodes.ok,
  )
