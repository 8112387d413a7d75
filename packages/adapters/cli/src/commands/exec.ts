/**
 * `elicence exec`: runs commands through the command handler (DESIGN §4) and prints one JSON result
 * per command, in input order. Commands run one after another, since later ones usually depend on
 * earlier ones (record, then apply, then review). A refused command does not stop the batch: every
 * command gets its result line, and the exit status is the worst outcome seen.
 *
 * @example
 * $ elicence exec --store sqlite:./data/elicence.db commands.ndjson
 * {"line":1,"commandId":"5b0c…","status":"applied","version":0,"events":[{"streamId":"licence-…",…}]}
 * {"line":2,"commandId":"9d1e…","status":"refused","error":{"code":"licence-not-found","message":"…"}}
 */

import {
  type CommandOutcome,
  chinaMainlandCalendar,
  commandHandler,
  type EventStore,
  type HandlerError,
  licenceDecider,
  parseJsonText,
  storeFailure,
  type WorkingDayCalendar,
} from '@elicence/domain'
import { nodeSha256Hex } from '@elicence/projections/node'
import * as E from 'fp-ts/lib/Either.js'
import { calendarEnvironmentVariable, calendarOptionUsage, loadCalendar } from '../calendar-file.js'
import { type CliIo, complain, type Line, readLines, writeLine } from '../cli-io.js'
import { clockSkewEnvironmentVariable, clockSkewOf, clockSkewOptionUsage } from '../clock-skew.js'
import { type ExitCode, exitCodeOfError, exitCodes, worst } from '../exit-codes.js'
import {
  type CliCommand,
  storeOptionUsage,
  storeUrlOf,
  usageError,
  withInputFile,
  withStore,
} from './command.js'
import { parseCommandArguments } from './command-arguments.js'

const usage = `Usage: elicence exec --store URL [--calendar FILE] [--max-clock-skew MS] [FILE|-]

Runs one command (a JSON document) or many (NDJSON: one command per line) from FILE, or from
standard input when FILE is - or absent, and prints one JSON result per command:
  {"line":1,"commandId":"…","status":"applied","version":0,"events":[…stored events…]}
  {"line":2,"commandId":"…","status":"refused","error":{"code":"licence-not-found","message":"…"}}
status: applied, replayed (already recorded: nothing appended), refused, invalid, failed.

Options:
${storeOptionUsage}
${calendarOptionUsage}
${clockSkewOptionUsage}
  -h, --help       show this text

Exit status, the worst seen over all commands (3 > 2 > 1 > 0):
  0  every command applied or replayed
  1  a rule refused a command (a domain rule, or a reused commandId)
  2  invalid input: a line that is not JSON or not a valid command; bad arguments
  3  a concurrency conflict that outlasted the retries, or a store failure`

/** A command as read: its first line and its JSON, or why it is not JSON. */
interface ReadCommand {
  readonly line: number
  readonly json: E.Either<string, unknown>
}

/**
 * NDJSON when the first line is JSON by itself, which also covers one command on one line. If not,
 * the input may be one pretty-printed command: it is read whole and parsed as one document; if that
 * fails too, each line gets its own result, so a broken first line of an NDJSON batch does not hide
 * the others.
 */
/** A line that could not be read as text (too long, not UTF-8) keeps its problem. */
const jsonOfLine = (line: Line): E.Either<string, unknown> =>
  line.problem === undefined ? parseJsonText(line.text) : E.left(`not JSON: ${line.problem}`)

async function* commandsOf(lines: AsyncGenerator<Line>): AsyncGenerator<ReadCommand> {
  const first = await lines.next()
  if (first.done === true) return
  const firstJson = jsonOfLine(first.value)
  if (E.isRight(firstJson)) {
    yield { line: first.value.number, json: firstJson }
    for await (const line of lines) yield { line: line.number, json: jsonOfLine(line) }
    return
  }
  const all: Line[] = [first.value]
  for await (const line of lines) all.push(line)
  const document = parseJsonText(all.map((line) => line.text).join('\n'))
  if (E.isRight(document)) {
    yield { line: first.value.number, json: document }
    return
  }
  for (const line of all) yield { line: line.number, json: jsonOfLine(line) }
}

const commandIdOf = (json: unknown): string | undefined => {
  if (typeof json !== 'object' || json === null || !('metadata' in json)) return undefined
  const metadata = json.metadata
  if (typeof metadata !== 'object' || metadata === null || !('commandId' in metadata)) return undefined
  return typeof metadata.commandId === 'string' ? metadata.commandId : undefined
}

const statusOfExitCode = {
  [exitCodes.ok]: 'applied',
  [exitCodes.refused]: 'refused',
  [exitCodes.invalidInput]: 'invalid',
  [exitCodes.storeFailure]: 'failed',
} as const satisfies Record<ExitCode, string>

interface ExecResult {
  readonly exitCode: ExitCode
  readonly output: Record<string, unknown>
}

const resultOf = (command: ReadCommand, outcome: E.Either<HandlerError, CommandOutcome>): ExecResult => {
  const commandId = E.isRight(command.json) ? commandIdOf(command.json.right) : undefined
  const head = commandId === undefined ? { line: command.line } : { line: command.line, commandId }
  if (E.isRight(outcome)) {
    const { events, version, replayed } = outcome.right
    return {
      exitCode: exitCodes.ok,
      output: { ...head, status: replayed ? 'replayed' : 'applied', version, events },
    }
  }
  const exitCode = exitCodeOfError(outcome.left.code)
  return { exitCode, output: { ...head, status: statusOfExitCode[exitCode], error: outcome.left } }
}

/** Runs every command read from `lines` against `store`, writing results to `io.stdout`. */
export const execCommands = async (
  store: EventStore,
  lines: AsyncGenerator<Line>,
  io: CliIo,
  calendar: WorkingDayCalendar = chinaMainlandCalendar(),
  maxClockSkewMs?: number,
): Promise<{ readonly exitCode: ExitCode; readonly commands: number }> => {
  const handle = commandHandler({
    store,
    decider: licenceDecider({ calendar }),
    digest: nodeSha256Hex,
    ...(io.clock === undefined ? {} : { clock: io.clock }),
    ...(maxClockSkewMs === undefined ? {} : { maxClockSkewMs }),
  })
  let exitCode: ExitCode = exitCodes.ok
  let commands = 0
  for await (const command of commandsOf(lines)) {
    commands++
    let outcome: E.Either<HandlerError, CommandOutcome>
    if (E.isLeft(command.json)) {
      const message = command.json.left
      // The shape of the handler's own invalid-command: every problem with its path.
      outcome = E.left({ code: 'invalid-command', message, issues: [{ path: '(root)', message }] })
    } else {
      try {
        outcome = await handle(command.json.right)
      } catch (error) {
        // The port promises errors as values; a driver that throws anyway still gets a result line.
        outcome = E.left(
          storeFailure(`the store threw: ${error instanceof Error ? error.message : String(error)}`),
        )
      }
    }
    const result = resultOf(command, outcome)
    exitCode = worst(exitCode, result.exitCode)
    await writeLine(io.stdout, JSON.stringify(result.output))
  }
  return { exitCode, commands }
}

export const execCommand: CliCommand = {
  name: 'exec',
  summary: 'run commands (JSON or NDJSON) through the command handler',
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, execCommand, args, {
      flags: { calendar: 'string', 'max-clock-skew': 'string' },
      positionals: true,
    })
    if (E.isLeft(parsed)) return parsed.left
    const { values, positionals } = parsed.right
    const calendar = loadCalendar(values.calendar ?? io.env[calendarEnvironmentVariable])
    if (E.isLeft(calendar)) return usageError(io, execCommand, calendar.left)
    for (const note of calendar.right.notes) io.stderr.write(`${note}\n`)
    const skew = clockSkewOf(values['max-clock-skew'] ?? io.env[clockSkewEnvironmentVariable])
    if (E.isLeft(skew)) return usageError(io, execCommand, skew.left)
    return withInputFile(io, execCommand, positionals, 'commands', (input) =>
      withStore(io, execCommand, storeUrlOf(values.store, io), async (store) => {
        const { exitCode, commands } = await execCommands(
          store,
          readLines(input.stream),
          io,
          calendar.right.calendar,
          skew.right,
        )
        if (commands === 0) complain(io, execCommand.name, `no commands in ${input.name}`)
        return exitCode
      }),
    )
  },
}
