/**
 * `elicence export`: the whole history as NDJSON on stdout, one stored event per line in global
 * order (DESIGN §4's history file). It reads the store page by page and waits for stdout to drain
 * between lines, so memory stays bounded however long the history is.
 *
 * @example
 * $ elicence export --store sqlite:./data/elicence.db > history.ndjson
 */
import { type EventStore, type StoreError, storedPages } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { complain, writeLine } from '../cli-io.js'
import { exitCodes } from '../exit-codes.js'
import { historyLineOf } from '../history-file.js'
import { type CliCommand, storeOptionUsage, storeUrlOf, withReadOnlyStore } from './command.js'
import { parseCommandArguments } from './command-arguments.js'

const usage = `Usage: elicence export --store URL

Writes every stored event to standard output as NDJSON, in global order, one per line:
  {"streamId":"licence-…","version":0,"position":1,"type":"LicenceRecorded","data":{…},"metadata":{…}}
The output is what \`elicence import\` and \`elicence audit --history\` read.

Options:
${storeOptionUsage}
  -h, --help       show this text

Exit status: 0 written; 2 bad arguments; 3 the store failed (the output is then incomplete).`

/** Events per read: large enough to amortise a round trip, small enough to keep memory flat. */
export const exportPageSize = 1_000

/** Writes every event, in global order, as one line each through `write`. */
export const exportHistory = async (
  store: EventStore,
  write: (line: string) => Promise<void>,
  pageSize: number = exportPageSize,
): Promise<E.Either<StoreError, { readonly events: number; readonly lastPosition: number }>> => {
  let events = 0
  let lastPosition = 0
  for await (const page of storedPages(store, { pageSize })) {
    if (E.isLeft(page)) return page
    for (const event of page.right.events) await write(historyLineOf(event))
    events += page.right.events.length
    lastPosition = page.right.lastPosition
  }
  return E.right({ events, lastPosition })
}

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'write the whole history as NDJSON, in global order',
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, exportCommand, args, { flags: {}, positionals: false })
    if (E.isLeft(parsed)) return parsed.left
    return withReadOnlyStore(io, exportCommand, storeUrlOf(parsed.right.values.store, io), async (store) => {
      const exported = await exportHistory(store, (line) => writeLine(io.stdout, line))
      if (E.isRight(exported)) return exitCodes.ok
      complain(io, exportCommand.name, `${exported.left.message}; the output is incomplete`)
      return exitCodes.storeFailure
    })
  },
}
