/**
 * How far a command's `metadata.at` may run ahead of the handler's clock (DESIGN §3 rule 10,
 * `instant-in-future`), for `exec` and `serve`: `--max-clock-skew MS` or
 * `$ELICENCE_MAX_CLOCK_SKEW_MS`, a whole number of milliseconds (0: never ahead of the clock);
 * absent, the handler's default (two minutes).
 *
 * @example
 * const skew = clockSkewOf(values['max-clock-skew'] ?? io.env[clockSkewEnvironmentVariable])
 * if (E.isLeft(skew)) return usageError(io, execCommand, skew.left)
 */
import { defaultMaxClockSkewMs } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'

export const clockSkewEnvironmentVariable = 'ELICENCE_MAX_CLOCK_SKEW_MS'

export const clockSkewOptionUsage = `  --max-clock-skew MS  how far a command's metadata.at may be ahead of this clock, in ms
                   (default: $${clockSkewEnvironmentVariable}, else ${defaultMaxClockSkewMs})`

/** Undefined when not given; a day at most, so a typo of a few digits cannot switch rule 10 off. */
export const clockSkewOf = (text: string | undefined): E.Either<string, number | undefined> => {
  if (text === undefined) return E.right(undefined)
  const maxMs = 24 * 60 * 60 * 1000
  if (!/^(0|[1-9][0-9]{0,7})$/.test(text) || Number(text) > maxMs)
    return E.left(
      `--max-clock-skew (or $${clockSkewEnvironmentVariable}) must be a whole number of milliseconds from 0 to ${maxMs}, got ${JSON.stringify(text)}`,
    )
  return E.right(Number(text))
}
