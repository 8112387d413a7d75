/**
 * The arguments of every `elicence` command, read one way: flags declared by type, `--store URL` and
 * `-h, --help` given to every command, `node:util` parseArgs' exceptions turned into a usage error,
 * `--help` answered before anything else runs; then the checks of the arguments several commands
 * share (a LICENCE number, an instant, `--as-of` with `--axis`). The `[FILE|-]` argument is read
 * where the file is opened, `withInputFile` in `command.ts`.
 *
 * A helper returns `Left` with the exit code when the command is already answered (usage shown or
 * a usage error reported), or `Left` with a message the command reports through `usageError`.
 *
 * @example
 * const parsed = parseCommandArguments(io, viewCommand, args, { flags: asOfFlags, positionals: true })
 * if (E.isLeft(parsed)) return parsed.left
 * const asOf = asOfArguments(parsed.right.values)
 * if (E.isLeft(asOf)) return usageError(io, viewCommand, asOf.left)
 */
import { parseArgs } from 'node:util'
import { isCitizenIdNumber, isInstant } from '@elicence/domain'
import { type TimeAxis, timeAxes } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import type { CliIo } from '../cli-io.js'
import type { ExitCode } from '../exit-codes.js'
import { type CliCommand, showUsage, usageError } from './command.js'

/**
 * A command's own flags by name: each takes a value (`string`), a value each time it is given
 * (`strings`), or is a switch (`boolean`).
 */
export type FlagTypes = Readonly<Record<string, 'string' | 'strings' | 'boolean'>>

/** What the flags were given as; an absent flag is absent. */
export type FlagValues<Flags extends FlagTypes> = {
  readonly [Name in keyof Flags]?: Flags[Name] extends 'string'
    ? string
    : Flags[Name] extends 'strings'
      ? ReadonlyArray<string>
      : boolean
}

/** The flags every command takes. */
const everyCommandsFlags = { store: 'string', help: 'boolean' } as const satisfies FlagTypes

export interface CommandArguments<Flags extends FlagTypes> {
  readonly values: FlagValues<Flags & typeof everyCommandsFlags>
  readonly positionals: ReadonlyArray<string>
}

/**
 * The first flag given more than once that takes one value or is a switch. parseArgs would keep the
 * last value and drop the others unseen: `audit --checkpoint A --checkpoint B` would audit against B
 * alone, and a fork that A shows would go unnoticed. Only a `strings` flag takes a value each time.
 */
const repeatedFlag = (
  tokens: ReadonlyArray<{ readonly kind: string; readonly name?: string }>,
  repeatable: (name: string) => boolean,
): string | undefined => {
  const seen = new Set<string>()
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined || repeatable(token.name)) continue
    if (seen.has(token.name)) return token.name
    seen.add(token.name)
  }
  return undefined
}

/**
 * Parses `args` strictly: an unknown flag, a flag without its value, a flag that is not `strings`
 * given twice, or a positional argument where `positionals` is false is a usage error (2). `--help`
 * shows the usage (0). Either way the command has been answered, and `Left` holds its exit code.
 */
export const parseCommandArguments = <const Flags extends FlagTypes>(
  io: CliIo,
  command: CliCommand,
  args: ReadonlyArray<string>,
  spec: { readonly flags: Flags; readonly positionals: boolean },
): E.Either<ExitCode, CommandArguments<Flags>> => {
  const options: Record<
    string,
    { readonly type: 'string' | 'boolean'; readonly short?: string; readonly multiple?: boolean }
  > = {
    store: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }
  for (const [name, type] of Object.entries(spec.flags))
    options[name] = type === 'strings' ? { type: 'string', multiple: true } : { type }
  let parsed: CommandArguments<Flags>
  let repeated: string | undefined
  try {
    const { values, positionals, tokens } = parseArgs({
      args: [...args],
      options,
      allowPositionals: spec.positionals,
      strict: true,
      tokens: true,
    })
    // In strict mode parseArgs gives each flag a value of its declared type, or leaves it out.
    parsed = { values: values as FlagValues<Flags & typeof everyCommandsFlags>, positionals }
    repeated = repeatedFlag(tokens, (name) => options[name]?.multiple === true)
  } catch (error) {
    // parseArgs throws on an unknown flag or a missing value; to the user that is a usage error.
    return E.left(usageError(io, command, error instanceof Error ? error.message : String(error)))
  }
  if (parsed.values.help === true) return E.left(showUsage(io, command))
  return repeated === undefined
    ? E.right(parsed)
    : E.left(usageError(io, command, `--${repeated} is given twice; give it once`))
}

/** The LICENCE argument of the reading commands: exactly one valid licence (citizen ID) number. */
export const licenceNumberArgument = (positionals: ReadonlyArray<string>): E.Either<string, string> => {
  const [licenceNumber, ...extra] = positionals
  if (licenceNumber === undefined) return E.left('LICENCE (the 18-character licence number) is required')
  if (extra.length > 0) return E.left(`one LICENCE only; also given: ${extra.join(' ')}`)
  return isCitizenIdNumber(licenceNumber)
    ? E.right(licenceNumber)
    : E.left(`${licenceNumber} is not a licence number (18 characters, a valid GB 11643 check character)`)
}

/** An instant flag: absent, or ISO-8601 with an offset or Z (DESIGN §2), never a local time. */
export const instantOption = (
  value: string | undefined,
  flag: string,
): E.Either<string, string | undefined> =>
  value === undefined || isInstant(value)
    ? E.right(value)
    : E.left(
        `${flag} ${value} is not an ISO-8601 instant with an offset or Z, e.g. 2026-10-01T09:00:00+08:00`,
      )

const isTimeAxis = (value: string): value is TimeAxis => (timeAxes as ReadonlyArray<string>).includes(value)

const timeAxisOption = (value: string | undefined): E.Either<string, TimeAxis | undefined> =>
  value === undefined || isTimeAxis(value)
    ? E.right(value)
    : E.left(`--axis ${value}: expected business (when it happened) or record (when it was stored)`)

/** The flags of a command that reads the history as it stood at a past instant. */
export const asOfFlags = { 'as-of': 'string', axis: 'string' } as const satisfies FlagTypes

/** `--as-of` and `--axis` as the projections take them; an absent flag is an absent field. */
export interface AsOf {
  readonly asOf?: string
  readonly axis?: TimeAxis
}

/** `--axis` picks which time `--as-of` is on, so it means nothing alone. */
export const asOfArguments = (values: FlagValues<typeof asOfFlags>): E.Either<string, AsOf> => {
  const asOf = instantOption(values['as-of'], '--as-of')
  if (E.isLeft(asOf)) return asOf
  const axis = timeAxisOption(values.axis)
  if (E.isLeft(axis)) return axis
  if (axis.right !== undefined && asOf.right === undefined) return E.left('--axis only applies with --as-of')
  return E.right({
    ...(asOf.right === undefined ? {} : { asOf: asOf.right }),
    ...(axis.right === undefined ? {} : { axis: axis.right }),
  })
}
