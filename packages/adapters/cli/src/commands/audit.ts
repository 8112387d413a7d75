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

import { defaultMaxClockSkewMs, type StoreError } from '@elicence/domain'
import { type AuditOptions, type AuditReport, auditHistory } from '@elicence/projections'
import { auditPartitioned, nodeSha256Hex } from '@elicence/projections/node'
import * as E from 'fp-ts/lib/Either.js'
import { calendarEnvironmentVariable, calendarOptionUsage, loadCalendarSchedules } from '../calendar-file.js'
import { type CliIo, complain, openInput, readLines, writeLine } from '../cli-io.js'
import { clockSkewEnvironmentVariable, clockSkewOf } from '../clock-skew.js'
import { type ExitCode, exitCodes, worst } from '../exit-codes.js'
import { openReadModelStore, redactStoreUrl } from '../store-url.js'
import {
  type CheckpointAudit,
  checkpointAudit,
  keptLogAnomalies,
  storeLogAnomalies,
  withAnomalies,
} from './audit-checkpoint.js'
import { jsonReport, progressLine, type ReportContext, textReport } from './audit-report.js'
import {
  eventsOfFile,
  eventsOfStore,
  isPartitionable,
  keptInputProblems,
  storedReadModels,
  storeUrlModule,
} from './audit-sources.js'
import { type CliCommand, storeOptionUsage, storeUrlOf, usageError, withReadOnlyStore } from './command.js'
import { asOfArguments, asOfFlags, parseCommandArguments } from './command-arguments.js'

const usage = `Usage: elicence audit (--store URL | --history FILE|-) [--as-of INSTANT [--axis record|business]] [--json]
                      [--checkpoint FILE --log-key FILE [--origin ORIGIN] [--witness-key FILE …]]
                      [--partitions N] [--calendar FILE] [--max-clock-skew MS]

Replays a whole history in global order and reports: counts, and every anomaly with its stream,
version and position — a broken hash chain (an edited, deleted or reordered event), an event out of
global order or that does not decode, a rule of the licence lifecycle broken in the recorded
history (e.g. an e-licence issued before its review was due, or left active across a change of
class, expiry or authority): every command the events record is decided again by the rules, from
the licence's state before it, and must give exactly those events. A due time recorded by a
calendar this audit does not have (a year added with --calendar where the service ran) is counted
as not re-checked. With --store, read models stored beside the events (the SQLite file's)
are compared with the rebuilt ones as of their checkpoint: a view that differs, is missing or has
no licence, and a checkpoint whose hash the history does not have (a cut-off history); so is
the transparency log kept there: the event its projection reached must be in the history, and the
history must have as many events as the largest checkpoint it keeps signed.
With --checkpoint, the history is also checked against a signed checkpoint of the transparency
log: the tree of its first events must have the signed root, so a history rewritten and re-sealed,
truncated or reordered after the checkpoint is an anomaly, even with every hash chain intact.

Options:
${storeOptionUsage}
  --history FILE   a history file as written by \`elicence export\` (- for standard input)
  --as-of INSTANT  audit the history as it stood then (ISO-8601 with offset or Z)
  --axis AXIS      record: events stored by then (metadata.recordedAt; the default)
                   business: events that happened by then (metadata.at)
  --json           print the report as one JSON object instead of text
  --checkpoint FILE  a signed checkpoint (\`elicence log checkpoint\`, GET /log/checkpoint)
  --log-key FILE     the log's verifier key string (log.vkey)
  --origin ORIGIN    the checkpoint's origin line (default: the log key's name), for a checkpoint
                     signed for another origin (\`elicence log checkpoint --origin\`)
  --witness-key FILE a witness's verifier key string: a cosignature by that key (its name and key
                     ID) must be on the checkpoint (repeatable)
${calendarOptionUsage}
  --max-clock-skew MS  how far an event's metadata.at may be ahead of its recordedAt, in ms: give
                   the service's (default: $${clockSkewEnvironmentVariable}, else ${defaultMaxClockSkewMs})
  --partitions N     with --store (SQLite, PostgreSQL): replay the streams in N worker threads, one
                     partition each, and build the log's tree beside them (default 1, this thread);
                     read models stored beside the events are compared in one reader all the same
  -h, --help       show this text

Exit status: 0 no anomaly; 1 anomalies found; 2 bad arguments; 3 the store failed (no report).`

const printReport = async (
  io: CliIo,
  source: string,
  report: AuditReport,
  json: boolean,
  context: ReportContext,
): Promise<ExitCode> => {
  await writeLine(io.stdout, json ? jsonReport(source, report, context) : textReport(source, report, context))
  return report.counts.anomalies === 0 ? exitCodes.ok : exitCodes.refused
}

export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'replay a whole store or history file: hash chains, rules, views; report anomalies',
  usage,
  run: async (args, io) => {
    const parsed = parseCommandArguments(io, auditCommand, args, {
      flags: {
        history: 'string',
        ...asOfFlags,
        json: 'boolean',
        checkpoint: 'string',
        'log-key': 'string',
        origin: 'string',
        'witness-key': 'strings',
        partitions: 'string',
        calendar: 'string',
        'max-clock-skew': 'string',
      },
      positionals: false,
    })
    if (E.isLeft(parsed)) return parsed.left
    const { values } = parsed.right
    if (values.store !== undefined && values.history !== undefined) {
      return usageError(io, auditCommand, 'give --store or --history, not both')
    }
    const asOfOptions = asOfArguments(values)
    if (E.isLeft(asOfOptions)) return usageError(io, auditCommand, asOfOptions.left)
    const calendarSchedules = loadCalendarSchedules(values.calendar ?? io.env[calendarEnvironmentVariable])
    if (E.isLeft(calendarSchedules)) return usageError(io, auditCommand, calendarSchedules.left)
    for (const note of calendarSchedules.right.notes) io.stderr.write(`${note}\n`)
    // Rule 10 as the service applied it: a history written under a wider skew is not an anomaly.
    const skew = clockSkewOf(values['max-clock-skew'] ?? io.env[clockSkewEnvironmentVariable])
    if (E.isLeft(skew)) return usageError(io, auditCommand, skew.left)
    const skewOption = skew.right === undefined ? {} : { maxClockSkewMs: skew.right }
    if ((values.checkpoint === undefined) !== (values['log-key'] === undefined))
      return usageError(io, auditCommand, '--checkpoint FILE and --log-key FILE go together')
    if (values['witness-key'] !== undefined && values.checkpoint === undefined)
      return usageError(io, auditCommand, '--witness-key goes with --checkpoint')
    if (values.origin !== undefined && values.checkpoint === undefined)
      return usageError(io, auditCommand, '--origin goes with --checkpoint')
    const partitions = values.partitions === undefined ? 1 : Number(values.partitions)
    if (!/^[1-9][0-9]{0,2}$/.test(values.partitions ?? '1'))
      return usageError(
        io,
        auditCommand,
        `--partitions ${values.partitions}: expected a whole number from 1 to 999`,
      )
    if (partitions > 1 && values.history !== undefined)
      return usageError(
        io,
        auditCommand,
        '--partitions goes with --store: a history file is read in one pass',
      )
    const againstCheckpoint = async (
      keepLeaves: boolean,
    ): Promise<E.Either<ExitCode, CheckpointAudit | undefined>> => {
      if (values.checkpoint === undefined || values['log-key'] === undefined) return E.right(undefined)
      const check = await checkpointAudit(
        {
          checkpoint: values.checkpoint,
          logKey: values['log-key'],
          ...(values.origin === undefined ? {} : { origin: values.origin }),
          witnessKeys: values['witness-key'] ?? [],
        },
        { keepLeaves },
      )
      return E.isLeft(check) ? E.left(usageError(io, auditCommand, check.left)) : E.right(check.right)
    }
    const json = values.json === true
    const options = (progress: ReturnType<typeof progressLine>): AuditOptions => ({
      digest: nodeSha256Hex,
      progressEvery: 5_000,
      onProgress: progress.update,
      calendarSchedules: calendarSchedules.right.schedules,
      ...skewOption,
      ...asOfOptions.right,
    })

    const history = values.history
    if (history !== undefined) {
      const input = await openInput(history, io)
      if (E.isLeft(input)) {
        complain(io, auditCommand.name, input.left)
        return exitCodes.invalidInput
      }
      const { stream, fractionRead, name: source } = input.right
      try {
        const progress = progressLine(io, fractionRead)
        const invalid = { messages: [] as string[], count: 0 }
        const check = await againstCheckpoint(false)
        if (E.isLeft(check)) return check.left
        const events = eventsOfFile(readLines(stream), invalid)
        const report = await auditHistory(check.right?.observed(events) ?? events, options(progress))
        progress.clear()
        const logAnomalies = (await check.right?.anomalies()) ?? []
        const printed = await printReport(io, source, withAnomalies(report, logAnomalies), json, {
          ...(check.right?.checked === undefined ? {} : { checkpoint: check.right.checked }),
          invalidLines: invalid.count,
        })
        if (report.counts.events === 0 && invalid.count === 0)
          complain(io, auditCommand.name, `${source} holds no events: an empty history`)
        if (invalid.count === 0) return printed
        for (const message of invalid.messages) complain(io, auditCommand.name, message)
        const more = invalid.count - Math.min(invalid.count, keptInputProblems)
        complain(
          io,
          auditCommand.name,
          `${invalid.count} line${invalid.count === 1 ? ' is' : 's are'} not a stored event${more > 0 ? ` (${more} not shown)` : ''}: invalid input, audited without ${invalid.count === 1 ? 'it' : 'them'}`,
        )
        return worst(printed, exitCodes.invalidInput)
      } finally {
        input.right.close()
      }
    }

    const url = storeUrlOf(values.store, io)
    const check = await againstCheckpoint(true)
    if (E.isLeft(check)) return check.left
    return withReadOnlyStore(io, auditCommand, url, async (store) => {
      // Read only, as the whole audit, and opened once for all that reads them: the stored views,
      // the log projection's record and nodes.
      const opened = await openReadModelStore(url ?? '', { readOnly: true })
      if (E.isLeft(opened)) {
        complain(io, auditCommand.name, `${opened.left.message}; no audit`)
        return exitCodes.storeFailure
      }
      const readModels = opened.right
      try {
        // As of an instant, the rebuild stops before the stored read models' checkpoint: nothing to compare.
        const stored =
          asOfOptions.right.asOf === undefined ? await storedReadModels(readModels) : E.right(undefined)
        if (E.isLeft(stored)) {
          complain(io, auditCommand.name, `${stored.left.message}; no audit`)
          return exitCodes.storeFailure
        }
        const failure: { error?: StoreError } = {}
        const progress = progressLine(io, undefined)
        const partitioned = partitions > 1 && stored.right === undefined && isPartitionable(url ?? '')
        let report: AuditReport
        if (partitioned) {
          // The workers read their partitions and hash their leaves; this thread merges them into the tree.
          const tree = check.right
          const audited = await auditPartitioned({
            store: { module: storeUrlModule, open: 'openEventStoreReadOnly', location: url ?? '' },
            partitions,
            progressEvery: 5_000,
            onProgress: progress.update,
            ...(tree === undefined ? {} : { onLeaf: tree.observeLeaf }),
            calendarSchedules: calendarSchedules.right.schedules,
            ...skewOption,
            ...asOfOptions.right,
          })
          if (E.isLeft(audited)) {
            progress.clear()
            complain(io, auditCommand.name, `${audited.left.message}; the audit is incomplete`)
            return exitCodes.storeFailure
          }
          report = audited.right
        } else {
          const events = eventsOfStore(store, failure)
          report = await auditHistory(check.right?.observed(events) ?? events, {
            ...options(progress),
            ...(stored.right === undefined ? {} : { storedViews: stored.right }),
          })
        }
        progress.clear()
        if (failure.error !== undefined) {
          complain(io, auditCommand.name, `${failure.error.message}; the audit is incomplete`)
          return exitCodes.storeFailure
        }
        const kept = await keptLogAnomalies(store, readModels, report.counts.events)
        if (E.isLeft(kept)) {
          complain(io, auditCommand.name, `${kept.left}; the audit is incomplete`)
          return exitCodes.storeFailure
        }
        const logAnomalies = [
          ...kept.right,
          ...(check.right === undefined ? [] : await storeLogAnomalies(check.right, store, readModels)),
        ]
        const compared = asOfOptions.right.asOf === undefined ? (stored.right?.checkpoint ?? null) : undefined
        return printReport(io, redactStoreUrl(url ?? ''), withAnomalies(report, logAnomalies), json, {
          ...(compared === undefined ? {} : { readModels: compared }),
          ...(check.right?.checked === undefined ? {} : { checkpoint: check.right.checked }),
        })
      } finally {
        await readModels?.close()
      }
    })
  },
}
