/**
 * The shape every `elicence` command has, and what they share once their arguments are read (see
 * `command-arguments.ts`): the usage error, an input opened from FILE or standard input, and a store
 * opened from `--store` (or `ELICENCE_STORE`), each closed whatever the command's outcome.
 *
 * @example
 * export const fooCommand: CliCommand = { name: 'foo', summary: '…', usage: '…', run: async (args, io) => exitCodes.ok }
 */
import type { EventStore } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { type CliIo, complain, type Input, openInput } from '../cli-io.js'
import { type ExitCode, exitCodes } from '../exit-codes.js'
import { isInvalidStoreUrl, type OpenStoreOptions, openEventStore } from '../store-url.js'

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

/** Neither `--store` nor the environment names a store: a usage error. */
export const missingStoreUrl = (io: CliIo, command: CliCommand): ExitCode =>
  usageError(io, command, `--store URL is required (or set ${storeEnvironmentVariable})`)

/**
 * Opens the store, runs `use`, and closes the store even when `use` throws. A bad URL is the
 * caller's input (2); a store that does not open (or, read only, does not exist) is a store
 * failure (3).
 */
export const withStore = async (
  io: CliIo,
  command: CliCommand,
  url: string | undefined,
  use: (store: EventStore) => Promise<ExitCode>,
  options: OpenStoreOptions = {},
): Promise<ExitCode> => {
  if (url === undefined) return missingStoreUrl(io, command)
  const opened = await openEventStore(url, options)
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

/** `withStore` for the commands that only read a store (export, audit, view, verify, log): see `OpenStoreOptions`. */
export const withReadOnlyStore = (
  io: CliIo,
  command: CliCommand,
  url: string | undefined,
  use: (store: EventStore) => Promise<ExitCode>,
): Promise<ExitCode> => withStore(io, command, url, use, { readOnly: true })

/**
 * The `[FILE|-]` argument of the commands that read input: opens FILE, or standard input for none
 * or `-`, runs `use`, and releases the file even when `use` throws. More than one FILE, or none while
 * standard input is a terminal (a user who forgot FILE would see the command hang), is a usage
 * error; an explicit `-` reads a terminal all the same. A file that cannot be read is the caller's
 * input (2). `what` names the input in the usage error, e.g. "commands".
 */
export const withInputFile = async (
  io: CliIo,
  command: CliCommand,
  positionals: ReadonlyArray<string>,
  what: string,
  use: (input: Input, file: string | undefined) => Promise<ExitCode>,
): Promise<ExitCode> => {
  if (positionals.length > 1) return usageError(io, command, 'give at most one FILE')
  const file = positionals[0]
  if (file === undefined && io.stdin.isTTY === true) {
    return usageError(
      io,
      command,
      `no FILE given and standard input is a terminal; give FILE or pipe ${what} in`,
    )
  }
  const input = await openInput(file, io)
  if (E.isLeft(input)) {
    complain(io, command.name, input.left)
    return exitCodes.invalidInput
  }
  try {
    return await use(input.right, file)
  } finally {
    input.right.close()
  }
}
