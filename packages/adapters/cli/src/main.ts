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
    io.stderr.write(
      `elicence ${command.name}: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`,
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

if (isEntryPoint()) {
  // A reader that stops early (`elicence export | head`) is not a failure of ours; leave quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? exitCodes.ok)
    throw error
  })
  process.exitCode = await main(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  })
}
