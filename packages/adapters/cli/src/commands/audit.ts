/**
 * `elicence audit`: the auditor's replay (DESIGN §7, `auditHistory` of @elicence/projections) over a
 * whole store or a history file: every hash chain, the global order, every event's decoding, the
 * rules of DESIGN §3 over the recorded history, the views rebuilt. It prints a report and exits 1 on
 * any anomaly. Memory holds per-licence state, never the history: the store is read page by page and
 * a file line by line. A progress line goes to stderr only when stderr is a terminal, so reports
 * piped or redirected stay clean.
 *
 * @example
 * $ elicence audit --store sqlite:./data/elicence.db
 * $ elicence audit --history history.ndjson --as-of 2026-10-01T00:00:00+08:00 --json > report.json
 */

import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { type EventStore, type StoredEvent, type StoreError, storedPages } from '@elicence/domain'
import {
  type AuditAnomaly,
  type AuditOptions,
  type AuditReport,
  auditHistory,
  type Checkpoint,
  readModelQueries,
  type StoredReadModels,
} from '@elicence/projections'
import { nodeSha256Hex } from '@elicence/projections/node'
import * as E from 'fp-ts/lib/Either.js'
import { type CliIo, complain, type Line, readLines, writeLine } from '../cli-io.js'
import { type ExitCode, exitCodes } from '../exit-codes.js'
import { parseHistoryJson } from '../history-file.js'
import { type OpenStoreError, openReadModelStore, redactStoreUrl } from '../store-url.js'
import { progressLine, textReport } from './audit-report.js'
import { type CliCommand, storeOptionUsage, storeUrlOf, usageError, withReadOnlyStore } from './command.js'
import { asOfArguments, asOfFlags, parseCommandArguments } from './command-arguments.js'
import { exportPageSize } from './export.js'

const usage = `Usage: elicence audit (--store URL | --history FILE|-) [--as-of INSTANT [--axis record|business]] [--json]

Replays a whole history in global order and reports: counts, and every anomaly with its stream,
version and position — a broken hash chain (an edited, deleted or reordered event), an event out of
global order or that does not decode, a rule of the licence lifecycle broken in the recorded
history (e.g. an e-licence issued before its review was due, or left active across a change of
class, expiry or authority). With --store, read models stored beside the events (the SQLite file's)
are compared with the rebuilt ones as of their checkpoint: a view that differs, is missing or has
no licence, and a checkpoint whose hash the history does not have (a cut-off history).

Options:
${storeOptionUsage}
  --history FILE   a history file as written by \`elicence export\` (- for standard input)
  --as-of INSTANT  audit the history as it stood then (ISO-8601 with offset or Z)
  --axis AXIS      record: events stored by then (metadata.recordedAt; the default)
                   business: events that happened by then (metadata.at)
  --json           print the report as one JSON object instead of text
  -h, --help       show this text

Exit status: 0 no anomaly; 1 anomalies found; 2 bad arguments; 3 the store failed (no report).`

/** Reads the store page by page; a store error ends the iteration and is kept for the caller. */
async function* eventsOfStore(
  store: EventStore,
  failure: { error?: StoreError },
): AsyncGenerator<StoredEvent> {
  for await (const page of storedPages(store, { pageSize: exportPageSize })) {
    if (E.isLeft(page)) {
      failure.error = page.left
      return
    }
    yield* page.right.events
  }
}

/**
 * Each line's JSON goes to the replay as it is: `auditHistory` treats entries as untrusted and
 * reports one without a stored event's shape. A line that is not JSON at all, or nests deeper than
 * `maxJsonDepth`, is reported here, where its line number is known.
 */
async function* eventsOfFile(
  lines: AsyncIterable<Line>,
  unreadable: AuditAnomaly[],
): AsyncGenerator<unknown> {
  for await (const line of lines) {
    const entry = parseHistoryJson(line)
    if (E.isLeft(entry)) {
      unreadable.push({ streamId: '', version: -1, position: null, kind: 'undecodable', message: entry.left })
      continue
    }
    yield entry.right
  }
}

/** The read models stored beside the events, when there are any to compare. */
const storedReadModels = async (
  url: string,
): Promise<E.Either<OpenStoreError, StoredReadModels | undefined>> => {
  const opened = await openReadModelStore(url, { readOnly: true })
  if (E.isLeft(opened)) return opened
  const readModels = opened.right
  if (readModels === undefined) return E.right(undefined)
  try {
    const queries = readModelQueries(readModels)
    const checkpoint = await queries.checkpoint()
    if (E.isLeft(checkpoint)) return checkpoint
    if (checkpoint.right.position === 0) return E.right(undefined)
    const views = await queries.views()
    if (E.isLeft(views)) return views
    const statistics = await queries.statistics()
    if (E.isLeft(statistics)) return statistics
    return E.right({ checkpoint: checkpoint.right, views: views.right, statistics: statistics.right })
  } finally {
    await readModels.close()
  }
}

/** Unreadable lines join the replay's anomalies, so counts and exit status cover them. */
const withUnreadable = (report: AuditReport, unreadable: ReadonlyArray<AuditAnomaly>): AuditReport =>
  unreadable.length === 0
    ? report
    : {
        ...report,
        counts: {
          ...report.counts,
          anomalies: report.counts.anomalies + unreadable.length,
          anomaliesByKind: {
            ...report.counts.anomaliesByKind,
            undecodable: (report.counts.anomaliesByKind.undecodable ?? 0) + unreadable.length,
          },
        },
        anomalies: [...unreadable, ...report.anomalies],
      }

/** `readModels`: the checkpoint compared, null when none was stored, undefined when not looked for. */
const printReport = async (
  io: CliIo,
  source: string,
  report: AuditReport,
  json: boolean,
  readModels?: Checkpoint | null,
): Promise<ExitCode> => {
  await writeLine(
    io.stdout,
    json
      ? JSON.stringify({ source, ...report, ...(readModels === undefined ? {} : { readModels }) })
      : textReport(source, report, readModels),
  )
  return report.counts.anomalies === 0 ? exitCodes.ok : exitCodes.refused
}

export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'replay a whole store or history file: hash chains, rules, views; report anomalies',
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, auditCommand, args, {
      flags: { history: 'string', ...asOfFlags, json: 'boolean' },
      positionals: false,
    })
    if (E.isLeft(parsed)) return parsed.left
    const { values } = parsed.right
    if (values.store !== undefined && values.history !== undefined) {
      return usageError(io, auditCommand, 'give --store or --history, not both')
    }
    const asOfOptions = asOfArguments(values)
    if (E.isLeft(asOfOptions)) return usageError(io, auditCommand, asOfOptions.left)
    const json = values.json === true
    const options = (progress: ReturnType<typeof progressLine>): AuditOptions => ({
      digest: nodeSha256Hex,
      progressEvery: 5_000,
      onProgress: progress.update,
      ...asOfOptions.right,
    })

    const history = values.history
    if (history !== undefined) {
      const fromStdin = history === '-'
      let size: number | undefined
      if (!fromStdin) {
        try {
          size = (await stat(history)).size
        } catch (error) {
          complain(
            io,
            auditCommand.name,
            `cannot read ${history}: ${error instanceof Error ? error.message : String(error)}`,
          )
          return exitCodes.invalidInput
        }
      }
      const stream = fromStdin ? io.stdin : createReadStream(history)
      const progress = progressLine(
        io,
        size === undefined || size === 0 || !('bytesRead' in stream)
          ? undefined
          : () => Number(stream.bytesRead) / size,
      )
      const unreadable: AuditAnomaly[] = []
      try {
        const report = await auditHistory(eventsOfFile(readLines(stream), unreadable), options(progress))
        progress.clear()
        return await printReport(
          io,
          fromStdin ? 'standard input' : history,
          withUnreadable(report, unreadable),
          json,
        )
      } finally {
        if (!fromStdin) stream.destroy()
      }
    }

    const url = storeUrlOf(values.store, io)
    return withReadOnlyStore(io, auditCommand, url, async (store) => {
      // As of an instant, the rebuild stops before the stored read models' checkpoint: nothing to compare.
      const stored =
        asOfOptions.right.asOf === undefined ? await storedReadModels(url ?? '') : E.right(undefined)
      if (E.isLeft(stored)) {
        complain(io, auditCommand.name, `${stored.left.message}; no audit`)
        return exitCodes.storeFailure
      }
      const failure: { error?: StoreError } = {}
      const progress = progressLine(io, undefined)
      const report = await auditHistory(eventsOfStore(store, failure), {
        ...options(progress),
        ...(stored.right === undefined ? {} : { storedViews: stored.right }),
      })
      progress.clear()
      if (failure.error !== undefined) {
        complain(io, auditCommand.name, `${failure.error.message}; the audit is incomplete`)
        return exitCodes.storeFailure
      }
      const readModels = asOfOptions.right.asOf === undefined ? (stored.right?.checkpoint ?? null) : undefined
      return printReport(io, redactStoreUrl(url ?? ''), report, json, readModels)
    })
  },
}
