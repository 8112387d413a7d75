#!/usr/bin/env node
/**
 * The `elicence` binary (DESIGN §7): a dispatch table from a verb to its command module. A new verb
 * is a module in `commands/` that exports a `CliCommand`, plus one entry in `commands` below; usage
 * text, `help VERB` and unknown-verb errors follow from the table.
 *
 * @example
 * $ elicence exec --store sqlite:./data/elicence.db commands.ndjson
 * $ elicence export --store sqlite:./data/elicence.db | elicence import --store postgres://localhost/elicence
 */
import { readFileSync, realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { CliIo } from './cli-io.js'
import { auditCommand } from './commands/audit.js'
import type { CliCommand } from './commands/command.js'
import { execCommand } from './commands/exec.js'
import { exportCommand } from './commands/export.js'
import { importCommand } from './commands/import.js'
import { keysCommand } from './commands/keys.js'
import { logCommand } from './commands/log.js'
import { serveCommand } from './commands/serve.js'
import { verifyCommand } from './commands/verify.js'
import { viewCommand } from './commands/view.js'
import { witnessCommand } from './commands/witness.js'
import { type ExitCode, exitCodes } from './exit-codes.js'

/** In the order `elicence --help` lists them. */
export const commands: ReadonlyArray<CliCommand> = [
  serveCommand,
  execCommand,
  viewCommand,
  verifyCommand,
  exportCommand,
  importCommand,
  auditCommand,
  keysCommand,
  logCommand,
  witnessCommand,
]

const overview = (available: ReadonlyArray<CliCommand>): string => {
  const width = Math.max(...available.map((command) => command.name.length))
  return [
    'Usage: elicence COMMAND [OPTIONS]',
    '',
    'Commands:',
    ...available.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `elicence COMMAND --help` for its options and exit status.',
    'Stores: memory:, sqlite:PATH, postgres://…, esdb://… (--store URL, or $ELICENCE_STORE)',
  ].join('\n')
}

const versionOf = (): string => {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  return typeof manifest === 'object' && manifest !== null && 'version' in manifest
    ? String(manifest.version)
    : 'unknown'
}

export const main = async (
  argv: ReadonlyArray<string>,
  io: CliIo,
  available: ReadonlyArray<CliCommand> = commands,
): Promise<ExitCode> => {
  const [verb, ...rest] = argv
  if (verb === undefined) {
    io.stderr.write(`${overview(available)}\n`)
    return exitCodes.invalidInput
  }
  if (verb === '--help' || verb === '-h' || (verb === 'help' && rest.length === 0)) {
    io.stdout.write(`${overview(available)}\n`)
    return exitCodes.ok
  }
  if (verb === '--version' || verb === '-V') {
    io.stdout.write(`${versionOf()}\n`)
    return exitCodes.ok
  }
  const [name, args] = verb === 'help' ? [rest[0], ['--help']] : [verb, rest]
  const command = available.find((candidate) => candidate.name === name)
  if (command === undefined) {
    io.stderr.write(`elicence: unknown command '${name}'\n\n${overview(available)}\n`)
    return exitCodes.invalidInput
  }
  try {
    return await command.run(args, io)
  } catch (error) {
    // Commands return their failures as exit codes; reaching here means I/O failed under them.
    const code = (error as NodeJS.ErrnoException | undefined)?.code
    io.stderr.write(
      `elicence ${command.name}: ${typeof code === 'string' ? 'input or output failed' : 'unexpected failure'}: ${error instanceof Error ? error.message : String(error)}\n`,
    )
    return exitCodes.storeFailure
  }
}

/** True when this module is the process's script (also through the symlink a package manager makes). */
const isEntryPoint = (): boolean => {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

/**
 * What a run does when its standard output fails under it. A reader that stops early
 * (`elicence export | head`) is no failure of a verb that only reports: it leaves quietly. `exec`
 * prints each command's outcome as it goes, so a closed output stops it with most of its file
 * perhaps not run, which its exit status must not hide; and output that cannot be written (a full
 * disk: ENOSPC, EIO) is a failure of any verb. Both are exit 3, said on standard error: never a
 * stack trace, never an exit status that reads as a verdict (1 is a refusal, an anomaly, "not valid").
 */
const onOutputError = (
  verb: string | undefined,
  error: NodeJS.ErrnoException,
): { readonly exitCode: ExitCode | undefined; readonly message: string | undefined } => {
  const stopsCommands = verb === 'exec'
  if (error.code === 'EPIPE' && !stopsCommands) return { exitCode: undefined, message: undefined }
  const what =
    error.code === 'EPIPE'
      ? 'standard output was closed before every outcome was written'
      : `cannot write to standard output: ${error.message}`
  return {
    exitCode: exitCodes.storeFailure,
    message: `elicence ${verb ?? ''}: ${what}${stopsCommands ? '; it stopped there, so the commands whose outcome is missing may not have run: run the same commands again (those applied are replayed)' : ''}\n`,
  }
}

if (isEntryPoint()) {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    const { exitCode, message } = onOutputError(process.argv[2], error)
    if (message !== undefined) process.stderr.write(message)
    process.exit(exitCode ?? process.exitCode ?? exitCodes.ok)
  })
  process.exitCode = await main(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  })
}
