/**
 * What `elicence audit` shows a person: the progress line on a terminal while the replay runs, and
 * the text report after it (`--json` prints the report object instead).
 *
 * @example
 * const progress = progressLine(io, () => stream.bytesRead / size)
 * await auditHistory(events, { onProgress: progress.update }); progress.clear()
 * console.log(textReport('sqlite:./data/elicence.db', report, { readModels: checkpoint }))
 */
import type { AuditProgress, AuditReport, Checkpoint } from '@elicence/projections'
import type { CliIo } from '../cli-io.js'
import type { CheckpointChecked } from './audit-checkpoint.js'

/** Anomalies listed in the text report; `--json` carries every one the replay kept. */
const listedAnomalies = 100

const thousands = (value: number): string => value.toLocaleString('en-US')

/**
 * A one-line progress display on a terminal: a bar when the total is known (a file's size), else
 * running counts. Redrawn at most ten times a second.
 */
export const progressLine = (
  io: CliIo,
  fraction: (() => number) | undefined,
  clock: () => number = Date.now,
) => {
  const started = clock()
  let drawnAt = 0
  const enabled = io.stderr.isTTY === true
  return {
    update: (progress: AuditProgress) => {
      const now = clock()
      if (!enabled || now - drawnAt < 100) return
      drawnAt = now
      const rate = Math.round(progress.events / Math.max(0.001, (now - started) / 1000))
      const counts = `${thousands(progress.events)} events, ${thousands(progress.streams)} streams, ${thousands(progress.anomalies)} anomalies, ${thousands(rate)}/s`
      const done = fraction === undefined ? undefined : Math.min(1, fraction())
      const bar =
        done === undefined
          ? ''
          : `[${'#'.repeat(Math.round(done * 30)).padEnd(30, '-')}] ${Math.floor(done * 100)}% `
      io.stderr.write(`\r\x1b[2K${bar}${counts}`)
    },
    clear: () => {
      if (enabled && drawnAt > 0) io.stderr.write('\r\x1b[2K')
    },
  }
}

/** What the audit was checked against beside the history, for both forms of the report. */
export interface ReportContext {
  /** The stored read models' checkpoint compared, null when none was stored; absent: not looked for. */
  readonly readModels?: Checkpoint | null
  /** The signed checkpoint as verified; absent: none given, or it did not verify (an anomaly says). */
  readonly checkpoint?: CheckpointChecked
  /** Lines of a history file that are not stored events, audited without them (exit 2). */
  readonly invalidLines?: number
}

/** The report as `--json` prints it: the replay's, with what it was checked against. */
export const jsonReport = (source: string, report: AuditReport, context: ReportContext): string =>
  JSON.stringify({
    source,
    ...report,
    ...(context.readModels === undefined ? {} : { readModels: context.readModels }),
    ...(context.checkpoint === undefined ? {} : { checkpoint: context.checkpoint }),
    ...(context.invalidLines === undefined || context.invalidLines === 0
      ? {}
      : { invalidLines: context.invalidLines }),
  })

export const textReport = (source: string, report: AuditReport, context: ReportContext = {}): string => {
  const { counts } = report
  const { readModels, checkpoint, invalidLines = 0 } = context
  const compared =
    readModels === undefined
      ? []
      : [
          `  read models ${readModels === null ? 'none stored' : `compared as of position ${readModels.position}`}`,
        ]
  const signed =
    checkpoint === undefined
      ? []
      : [
          `  checkpoint tree of ${thousands(checkpoint.size)} (${checkpoint.origin}, root ${checkpoint.root}) signed by ${checkpoint.logKey}${
            checkpoint.cosignedBy.length === 0 ? '' : `, cosigned by ${checkpoint.cosignedBy.join(', ')}`
          }: its root compared with the tree of the history's first ${thousands(checkpoint.size)} events`,
        ]
  const unread =
    invalidLines === 0
      ? []
      : [
          `  not read   ${thousands(invalidLines)} line${invalidLines === 1 ? ' is' : 's are'} not a stored event (invalid input, listed on stderr): audited without ${invalidLines === 1 ? 'it' : 'them'}`,
        ]
  const lines = [
    `Audit of ${source}${report.asOf === null ? '' : ` as of ${report.asOf}`}`,
    `  events     ${thousands(counts.events)}${counts.skipped > 0 ? ` (${thousands(counts.skipped)} after the instant: chains checked, rules and views not)` : ''}, up to position ${report.lastPosition}`,
    `  streams    ${thousands(counts.streams)}; licences recorded ${thousands(counts.licences)}; e-licences issued ${thousands(counts.eLicencesIssued)}`,
    `  by type    ${
      Object.entries(counts.byType)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([type, count]) => `${type} ${thousands(count)}`)
        .join(', ') || 'none'
    }`,
    ...compared,
    ...signed,
    ...unread,
    ...Object.entries(counts.dueTimesUnchecked).map(
      ([calendar, commands]) =>
        `  due times  ${thousands(commands)} not re-checked: recorded by calendar ${calendar}, which this audit does not have (--calendar FILE)`,
    ),
  ]
  if (counts.anomalies === 0)
    return [...lines, invalidLines === 0 ? 'No anomalies.' : 'No anomalies in the events read.'].join('\n')
  const byKind = Object.entries(counts.anomaliesByKind)
    .map(([kind, count]) => `${kind} ${thousands(count ?? 0)}`)
    .join(', ')
  const listed = report.anomalies.slice(0, listedAnomalies).map((anomaly) => {
    const where =
      anomaly.streamId === ''
        ? ''
        : `${anomaly.streamId}${anomaly.version >= 0 ? `@${anomaly.version}` : ''} `
    const position = anomaly.position === null ? '' : `(position ${anomaly.position}) `
    return `  ${where}${position}${anomaly.kind}: ${anomaly.message}`
  })
  const unlisted = counts.anomalies - listed.length
  return [
    ...lines,
    `${thousands(counts.anomalies)} ANOMALIES: ${byKind}`,
    ...listed,
    ...(unlisted > 0 ? [`  … ${thousands(unlisted)} more (--json lists up to 10,000)`] : []),
  ].join('\n')
}
