/**
 * What the auditor's replay is asked (`AuditOptions`) and what it answers (`AuditReport`, its
 * counts and anomalies), apart from the replay itself (audit.ts), which re-exports them.
 *
 * @example
 * const report: AuditReport = await auditHistory(events, { asOf } satisfies AuditOptions)
 */
import type { Digest, StoredEventDecoder } from '@elicence/domain'
import { logFindingKinds } from '../log/log-audit.js'
import type { TimeAxis } from '../views/as-of.js'
import type { Statistics } from '../views/statistics.js'
import type { StoredReadModels } from './compare-stored.js'
import { decisionFindingKinds } from './redecide.js'
import { ruleFindingKinds } from './rules.js'

export const auditAnomalyKinds = [
  'position-out-of-order',
  'version-gap',
  'prev-hash-mismatch',
  'hash-mismatch',
  'undecodable',
  ...ruleFindingKinds,
  // Each command decided again by the domain's decider (redecide.ts).
  ...decisionFindingKinds,
  'view-mismatch',
  'view-missing',
  'view-unexpected',
  'statistics-mismatch',
  'checkpoint-mismatch',
  // Against a signed checkpoint of the transparency log (log-audit.ts).
  ...logFindingKinds,
] as const
export type AuditAnomalyKind = (typeof auditAnomalyKinds)[number]

export interface AuditAnomaly {
  readonly streamId: string
  /** -1 for anomalies of a read model as a whole. */
  readonly version: number
  readonly position: number | null
  readonly kind: AuditAnomalyKind
  readonly message: string
}

export interface AuditProgress {
  readonly events: number
  readonly streams: number
  readonly anomalies: number
  readonly position: number
}

export interface AuditOptions {
  /**
   * Re-check rules and rebuild views over the history known at this instant (events after it on
   * `axis` are skipped); hash chains are checked over every event all the same.
   */
  readonly asOf?: string
  /** Default `record`: the history the store held then. */
  readonly axis?: TimeAxis
  /**
   * Stored read models to compare with the rebuilt ones as of their checkpoint. Not compared with
   * `asOf`: they hold the present, and the rebuild stops at the instant (the CLI does not read them).
   */
  readonly storedViews?: StoredReadModels
  readonly onProgress?: (progress: AuditProgress) => void
  /** Events between progress reports; default 10 000. */
  readonly progressEvery?: number
  /** SHA-256 as hex; default the domain's. On Node, `nodeSha256Hex` (`@elicence/projections/node`) is faster. */
  readonly digest?: Digest
  /** How stored events are read: the embedder's upcasters, bound once (`storedEventDecoder`). */
  readonly decoder?: StoredEventDecoder
  /** Anomalies kept in the report (all are counted); default 10 000. */
  readonly maxAnomalies?: number
  /**
   * Year schedules (`withYearSchedule`'s data: `{ year, holidays, workdays }`) added to the State
   * Council calendar the commands are decided again with, as the service was given them: a due
   * time recorded by a calendar the audit does not have is counted in `dueTimesUnchecked`.
   */
  readonly calendarSchedules?: ReadonlyArray<unknown>
  /** How far an event's `at` may run ahead of its `recordedAt` (rule 10); default the handler's 2 minutes. */
  readonly maxClockSkewMs?: number
}

export interface AuditCounts {
  /** Every event read (and chain-checked). */
  readonly events: number
  /** Events after `asOf`: chain-checked, but not folded into rules and views. */
  readonly skipped: number
  readonly streams: number
  readonly licences: number
  readonly eLicencesIssued: number
  readonly byType: Readonly<Record<string, number>>
  readonly anomalies: number
  readonly anomaliesByKind: Readonly<Partial<Record<AuditAnomalyKind, number>>>
  /** Commands whose due time was not decided again, by the calendar (`id@version`) that recorded it. */
  readonly dueTimesUnchecked: Readonly<Record<string, number>>
}

export interface AuditReport {
  readonly counts: AuditCounts
  readonly anomalies: ReadonlyArray<AuditAnomaly>
  /** Position of the last event audited. */
  readonly lastPosition: number
  /** Statistics rebuilt from the audited history. */
  readonly statistics: Statistics
  readonly asOf: string | null
}
