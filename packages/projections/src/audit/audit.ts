/**
 * The auditor's replay: one pass over a whole history in global order that checks every stream's
 * hash chain, decodes every event, re-checks the rules of DESIGN §3 on the folded state, rebuilds
 * the read models and compares them with stored ones. Memory holds per-licence state only (the
 * domain state, the rebuilt view and the chain's head), never the history. An edited event breaks
 * its hash, a deleted one leaves a version gap, a reordered one both; a deleted last event shows
 * only against stored read models, which recorded the hash they reached.
 *
 * @example
 * const report = await auditHistory(historyFile, { onProgress: (p) => bar.update(p.events) })
 * report.anomalies // [{ streamId, version, kind: 'hash-mismatch', message }]
 */
import {
  type ChainHead,
  chinaMainlandCalendar,
  compareInstants,
  type DecodedStoredEvent,
  decodeStoredEventShape,
  defaultMaxClockSkewMs,
  defaultStoredEventDecoder,
  evolve,
  headAfter,
  initialState,
  type LicenceState,
  licenceDecider,
  linkBreaks,
  type StoredEvent,
  sealBreak,
  sha256Hex,
  shapeProblems,
  streamStart,
  type Terms,
  type WorkingDayCalendar,
  weekdayCalendar,
  withYearSchedule,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { type ELicenceViewState, evolveELicenceView } from '../views/e-licence.js'
import { statisticsTally } from '../views/statistics.js'
import type { AuditAnomaly, AuditAnomalyKind, AuditOptions, AuditReport } from './audit-report.js'
import { compareStored, type RebuiltReadModels } from './compare-stored.js'
import { type Deciders, type RecordedEvent, recordedEvent, redecided } from './redecide.js'
import { eventFindings, invariantFindings } from './rules.js'

// The report's types live beside the replay; callers import them from here as before.
export {
  type AuditAnomaly,
  type AuditAnomalyKind,
  type AuditCounts,
  type AuditOptions,
  type AuditProgress,
  type AuditReport,
  auditAnomalyKinds,
} from './audit-report.js'

interface StreamAudit {
  head: ChainHead
  state: LicenceState
  view: ELicenceViewState
  /** Terms of the active e-licence when issued, to catch it surviving a change of terms. */
  issuedTerms: Terms | null
  commandId: string | null
  /** The open command's events, and the stream's state before them: to decide it again. */
  command: RecordedEvent[]
  beforeCommand: LicenceState
  /** Rule findings on the open command's events: deciding it again would only repeat them. */
  commandFindings: number
}

const streamAudit = (): StreamAudit => ({
  head: streamStart,
  state: initialState,
  view: null,
  issuedTerms: null,
  commandId: null,
  command: [],
  beforeCommand: initialState,
  commandFindings: 0,
})

/**
 * The deciders the audit decides each command again with (`redecide.ts`), one per calendar it can
 * reproduce: the State Council schedule with the year schedules it was given, with and without the
 * weekday fallback, and the weekday calendar; each chosen by the calendar an event records.
 */
const auditDeciders = (schedules: ReadonlyArray<unknown>): E.Either<string, Deciders> => {
  const extendedCalendar = (weekdayFallback: boolean): E.Either<string, WorkingDayCalendar> => {
    let calendar = chinaMainlandCalendar({ weekdayFallback })
    for (const schedule of schedules) {
      const extended = withYearSchedule(schedule)(calendar)
      if (E.isLeft(extended)) return extended
      calendar = extended.right
    }
    return E.right(calendar)
  }
  const strict = extendedCalendar(false)
  if (E.isLeft(strict)) return strict
  const lenient = extendedCalendar(true)
  if (E.isLeft(lenient)) return lenient
  const weekdays = weekdayCalendar()
  const known = [
    { calendar: strict.right, fallback: false },
    { calendar: lenient.right, fallback: true },
    { calendar: weekdays, fallback: false },
  ].map(({ calendar, fallback }) => ({ calendar, fallback, decider: licenceDecider({ calendar }) }))
  return E.right({
    forCalendar: (record) =>
      known.find(
        ({ calendar, fallback }) =>
          calendar.id === record.id && calendar.version === record.version && fallback === record.fallback,
      )?.decider,
    any: (known[0] as (typeof known)[number]).decider,
    unknownCalendar: (known[2] as (typeof known)[number]).decider,
  })
}

/** Entries are untrusted (a history file's lines): each is checked against the stored-event codec. */
export const auditHistory = (
  events: AsyncIterable<unknown> | Iterable<unknown>,
  options: AuditOptions = {},
): Promise<AuditReport> => runAudit({ events }, options)

/**
 * `auditHistory` of a history read a page at a time (a store's pages): one await per page rather
 * than per event, which is a tenth of the replay's time per event where the rest is this quick.
 */
export const auditHistoryPages = (
  pages: AsyncIterable<ReadonlyArray<unknown>> | Iterable<ReadonlyArray<unknown>>,
  options: AuditOptions = {},
): Promise<AuditReport> => runAudit({ pages }, options)

const runAudit = async (
  history:
    | { readonly events: AsyncIterable<unknown> | Iterable<unknown> }
    | { readonly pages: AsyncIterable<ReadonlyArray<unknown>> | Iterable<ReadonlyArray<unknown>> },
  options: AuditOptions,
): Promise<AuditReport> => {
  const maxAnomalies = options.maxAnomalies ?? 10_000
  const progressEvery = options.progressEvery ?? 10_000
  const axis = options.axis ?? 'record'
  const asOf = options.asOf
  const asOfMs = asOf === undefined ? undefined : Date.parse(asOf)
  const maxClockSkewMs = options.maxClockSkewMs ?? defaultMaxClockSkewMs
  const dueTimesUnchecked: Record<string, number> = {}
  // Stored read models hold the present: a rebuild as of an earlier instant has nothing to compare.
  const stored = asOf === undefined ? options.storedViews : undefined
  const decoder = options.decoder ?? defaultStoredEventDecoder
  const digest = options.digest ?? sha256Hex
  const anomalies: AuditAnomaly[] = []
  const anomaliesByKind: Partial<Record<AuditAnomalyKind, number>> = {}
  const byType: Record<string, number> = {}
  const streams = new Map<string, StreamAudit>()
  let anomalyCount = 0
  let count = 0
  let skipped = 0
  let licences = 0
  let eLicencesIssued = 0
  let lastPosition = 0
  const statistics = statisticsTally()
  let snapshot: RebuiltReadModels | undefined
  let hashAtCheckpoint: string | null = null

  const report = (anomaly: AuditAnomaly) => {
    anomalyCount++
    anomaliesByKind[anomaly.kind] = (anomaliesByKind[anomaly.kind] ?? 0) + 1
    if (anomalies.length < maxAnomalies) anomalies.push(anomaly)
  }
  // Where one event is: built only for an anomaly, not for every event.
  const reportAt = (event: StoredEvent, kind: AuditAnomalyKind, message: string) =>
    report({ streamId: event.streamId, version: event.version, position: event.position, kind, message })
  const takeSnapshot = () => {
    snapshot = {
      views: new Map([...streams].map(([streamId, audit]) => [streamId, audit.view])),
      statistics: statistics.current(),
      hash: hashAtCheckpoint,
    }
  }
  const closeCommand = (streamId: string, audit: StreamAudit, version: number, position: number | null) => {
    for (const found of invariantFindings(audit.state, audit.issuedTerms)) {
      audit.commandFindings++
      report({ streamId, version, position, ...found })
    }
    const first = audit.command[0]
    if (deciders !== undefined && first !== undefined && audit.commandFindings === 0) {
      const again = redecided(deciders, audit.beforeCommand, streamId, audit.command)
      for (const found of again.findings)
        report({ streamId, version: first.version, position: first.position, ...found })
      if (again.calendarUnchecked !== undefined)
        dueTimesUnchecked[again.calendarUnchecked] = (dueTimesUnchecked[again.calendarUnchecked] ?? 0) + 1
    }
    audit.command = []
    audit.commandFindings = 0
  }
  const deciders = (() => {
    const made = auditDeciders(options.calendarSchedules ?? [])
    if (E.isRight(made)) return made.right
    report({
      streamId: '',
      version: -1,
      position: null,
      kind: 'undecodable',
      message: `calendar: ${made.left}`,
    })
    return undefined
  })()

  if (asOfMs !== undefined && !Number.isFinite(asOfMs)) {
    report({
      streamId: '',
      version: -1,
      position: null,
      kind: 'undecodable',
      message: `as-of ${options.asOf} is not an instant`,
    })
  }

  const auditEntry = (entry: unknown): void => {
    const shaped = decodeStoredEventShape(entry)
    if (E.isLeft(shaped)) {
      count++
      const claimed = (typeof entry === 'object' && entry !== null ? entry : {}) as Partial<StoredEvent>
      report({
        streamId: typeof claimed.streamId === 'string' ? claimed.streamId : '',
        version: typeof claimed.version === 'number' ? claimed.version : -1,
        position: typeof claimed.position === 'number' ? claimed.position : null,
        kind: 'undecodable',
        message: `not a stored event: ${shapeProblems(shaped.left)}`,
      })
      return
    }
    const event = shaped.right
    if (stored !== undefined && snapshot === undefined && event.position > stored.checkpoint.position)
      takeSnapshot()
    count++
    const { streamId, version, position } = event
    let audit = streams.get(streamId)
    if (audit === undefined) {
      audit = streamAudit()
      streams.set(streamId, audit)
    }

    // The chain: global order, then this stream's versions and hashes.
    if (!(position > lastPosition)) {
      reportAt(event, 'position-out-of-order', `position ${position} after ${lastPosition}`)
    }
    lastPosition = Math.max(lastPosition, position)
    if (stored !== undefined && position === stored.checkpoint.position)
      hashAtCheckpoint = event.metadata.hash ?? null
    for (const broken of linkBreaks(audit.head, event)) reportAt(event, broken.reason, broken.message)
    const sealed = sealBreak(event, digest)
    if (sealed !== undefined) reportAt(event, sealed.reason, sealed.message)
    audit.head = headAfter(event)

    // The chain covers the whole store; the rules and views only the history known as of the instant.
    if (asOf !== undefined) {
      // To the last digit of the fractions, as rule 10 orders instants.
      const time = axis === 'record' ? event.metadata.recordedAt : event.metadata.at
      if (!(compareInstants(time, asOf) <= 0)) {
        skipped++
        return
      }
    }

    const decoded = decoder.decodeShaped(event)
    if (E.isLeft(decoded)) {
      reportAt(event, 'undecodable', decoded.left.message)
      return
    }
    const decodedEvent: DecodedStoredEvent = decoded.right
    byType[decodedEvent.type] = (byType[decodedEvent.type] ?? 0) + 1

    // A command's events are consecutive in its stream; its invariants hold once all are applied.
    if (audit.commandId !== null && audit.commandId !== decodedEvent.metadata.commandId) {
      closeCommand(streamId, audit, version - 1, null)
    }
    if (audit.command.length === 0) audit.beforeCommand = audit.state
    audit.command.push(recordedEvent(decodedEvent))
    audit.commandId = decodedEvent.metadata.commandId
    for (const found of eventFindings(audit.state, decodedEvent, maxClockSkewMs)) {
      audit.commandFindings++
      reportAt(event, found.kind, found.message)
    }

    if (audit.state._tag === 'Unrecorded' && decodedEvent.type === 'LicenceRecorded') licences++
    audit.state = evolve(audit.state, decodedEvent)
    if (decodedEvent.type === 'ELicenceIssued') {
      eLicencesIssued++
      audit.issuedTerms = decodedEvent.data
    }
    const before = audit.view
    audit.view = evolveELicenceView(before, decodedEvent)
    statistics.add({ event: decodedEvent, before, after: audit.view })

    if (options.onProgress !== undefined && count % progressEvery === 0) {
      options.onProgress({
        events: count,
        streams: streams.size,
        anomalies: anomalyCount,
        position: lastPosition,
      })
    }
  }
  if ('pages' in history) {
    for await (const page of history.pages) for (const entry of page) auditEntry(entry)
  } else for await (const entry of history.events) auditEntry(entry)
  for (const [streamId, audit] of streams) {
    if (audit.commandId !== null) closeCommand(streamId, audit, audit.head.version, null)
  }
  options.onProgress?.({
    events: count,
    streams: streams.size,
    anomalies: anomalyCount,
    position: lastPosition,
  })

  if (stored !== undefined) {
    if (snapshot === undefined) takeSnapshot()
    await compareStored(stored, snapshot as RebuiltReadModels, report)
  }

  return {
    counts: {
      events: count,
      skipped,
      streams: streams.size,
      licences,
      eLicencesIssued,
      byType,
      anomalies: anomalyCount,
      anomaliesByKind,
      dueTimesUnchecked,
    },
    anomalies,
    lastPosition,
    statistics: statistics.current(),
    asOf: options.asOf ?? null,
  }
}
