/**
 * The shape every `elicence` command has, and what they share: argument parsing that turns
 * `node:util` parseArgs' exceptions into values, the usage error, and a store opened from `--store`
 * (or `ELICENCE_STORE`) that is closed whatever the command's outcome.
 *
 * @example
 * export const fooCommand: CliCommand = { name: 'foo', summary: '…', usage: '…', run: async (args, io) => exitCodes.ok }
 */
import { type EventStore, isCitizenIdNumber, isInstant } from '@elicence/domain'
import { type TimeAxis, timeAxes } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import { type CliIo, complain } from '../cli-io.js'
import { type ExitCode, exitCodes } from '../exit-codes.js'
import { isInvalidStoreUrl, openEventStore } from '../store-url.js'

export interface CliCommand {
  readonly name: string
  /** One line for `elicence --help`. */
  readonly summary: string
  /** The full text for `elicence COMMAND --help` and usage errors. */
  readonly usage: string
  readonly run: (args: ReadonlyArray<string>, io: CliIo) => Promise<ExitCode>
}

export const storeEnvironmentVariable = 'ELICENCE_STORE'

export const storeOptionUsage = `  --store URL      memory:, sqlite:PATH, postgres://…, esdb://… (default: $${storeEnvironmentVariable})`

/** parseArgs throws on an unknown flag or a missing value; a command wants that as a value. */
export const parseArguments = <T>(parse: () => T): E.Either<string, T> => {
  try {
    return E.right(parse())
  } catch (error) {
    return E.left(error instanceof Error ? error.message : String(error))
  }
}

export const usageError = (io: CliIo, command: CliCommand, message: string): ExitCode => {
  complain(io, command.name, message)
  io.stderr.write(`\n${command.usage}\n`)
  return exitCodes.invalidInput
}

export const showUsage = (io: CliIo, command: CliCommand): ExitCode => {
  io.stdout.write(`${command.usage}\n`)
  return exitCodes.ok
}

export const storeUrlOf = (flag: string | undefined, io: CliIo): string | undefined =>
  flag ?? io.env[storeEnvironmentVariable]

/**
 * Opens the store, runs `use`, and closes the store even when `use` throws. A bad URL is the
 * caller's input (2); a store that does not open is a store failure (3).
 */
export const withStore = async (
  io: CliIo,
  command: CliCommand,
  url: string | undefined,
  use: (store: EventStore) => Promise<ExitCode>,
): Promise<ExitCode> => {
  if (url === undefined) {
    return usageError(io, command, `--store URL is required (or set ${storeEnvironmentVariable})`)
  }
  const opened = await openEventStore(url)
  if (E.isLeft(opened)) {
    complain(io, command.name, opened.left.message)
    return isInvalidStoreUrl(opened.left) ? exitCodes.invalidInput : exitCodes.storeFailure
  }
  const store = opened.right
  try {
    return await use(store)
  } finally {
    await store.close()
  }
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

export const timeAxisOption = (value: string | undefined): E.Either<string, TimeAxis | undefined> =>
  value === undefined || isTimeAxis(value)
    ? E.right(value)
    : E.left(`--axis ${value}: expected business (when it happened) or record (when it was stored)`)
