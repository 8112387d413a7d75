/**
 * Statistics of DESIGN §5: licences per e-licence state, applications and their outcomes, photo
 * rejection reasons and the time from application to issue. Counting licences per state needs each
 * licence's state before and after an event, so statistics follow the e-licence view's transitions.
 *
 * @example
 * const { statistics } = foldView(statisticsView, decodedEvents)
 * statistics.byState.issued // 42
 */
import {
  type DecodedStoredEvent,
  type InvalidationReason,
  instantMs,
  type PhotoDefect,
  type VoidReason,
} from '@elicence/domain'
import { type ELicenceState, type ELicenceViewState, evolveELicenceView } from './e-licence.js'
import type { View } from './view.js'

const dayMs = 86_400_000

export const issueDelayBuckets = [
  'up-to-1-day',
  'up-to-2-days',
  'up-to-3-days',
  'up-to-7-days',
  'longer',
] as const
export type IssueDelayBucket = (typeof issueDelayBuckets)[number]

export interface IssueDelays {
  readonly count: number
  readonly totalMs: number
  readonly minMs: number | null
  readonly maxMs: number | null
  readonly buckets: Readonly<Record<IssueDelayBucket, number>>
}

export interface Statistics {
  readonly events: number
  readonly licences: number
  readonly byState: Readonly<Record<ELicenceState, number>>
  readonly applications: number
  readonly issued: number
  readonly withdrawn: number
  readonly voided: Readonly<Record<VoidReason, number>>
  readonly invalidated: Readonly<Record<InvalidationReason, number>>
  readonly photoRejections: number
  readonly rejectionReasons: Readonly<Partial<Record<PhotoDefect, number>>>
  /** From `appliedAt` to `issuedAt` of every issued e-licence. */
  readonly applicationToIssue: IssueDelays
}

export const emptyStatistics: Statistics = {
  events: 0,
  licences: 0,
  byState: { none: 0, 'pending-review': 0, 'awaiting-photo': 0, issued: 0, invalidated: 0 },
  applications: 0,
  issued: 0,
  withdrawn: 0,
  voided: { 'licence-renewed': 0, 'licence-status': 0, 'licence-expired': 0 },
  invalidated: { renewal: 0, 'licence-revoked': 0 },
  photoRejections: 0,
  rejectionReasons: {},
  applicationToIssue: {
    count: 0,
    totalMs: 0,
    minMs: null,
    maxMs: null,
    buckets: { 'up-to-1-day': 0, 'up-to-2-days': 0, 'up-to-3-days': 0, 'up-to-7-days': 0, longer: 0 },
  },
}

/** One event and the e-licence view of its licence just before and just after it. */
export interface LicenceTransition {
  readonly event: DecodedStoredEvent
  readonly before: ELicenceViewState
  readonly after: ELicenceViewState
}

const bucketOf = (delayMs: number): IssueDelayBucket =>
  delayMs <= dayMs
    ? 'up-to-1-day'
    : delayMs <= 2 * dayMs
      ? 'up-to-2-days'
      : delayMs <= 3 * dayMs
        ? 'up-to-3-days'
        : delayMs <= 7 * dayMs
          ? 'up-to-7-days'
          : 'longer'

const withDelay = (delays: IssueDelays, delayMs: number): IssueDelays => {
  const bucket = bucketOf(delayMs)
  return {
    count: delays.count + 1,
    totalMs: delays.totalMs + delayMs,
    minMs: delays.minMs === null ? delayMs : Math.min(delays.minMs, delayMs),
    maxMs: delays.maxMs === null ? delayMs : Math.max(delays.maxMs, delayMs),
    buckets: { ...delays.buckets, [bucket]: delays.buckets[bucket] + 1 },
  }
}

type Counting = { -readonly [K in keyof Statistics]: Statistics[K] }

/**
 * Counts what the event is an outcome of into `next`, a copy of the statistics this step made:
 * its top-level counts in place, a nested record replaced by a copy with the change.
 */
const countOutcomes = (next: Counting, { event, before }: LicenceTransition): void => {
  switch (event.type) {
    case 'ELicenceApplied':
      next.applications++
      return
    case 'ELicenceIssued': {
      next.issued++
      const appliedAt = before?.appliedAt ?? null
      if (appliedAt === null) return
      const delayMs = instantMs(event.data.issuedAt) - instantMs(appliedAt)
      if (Number.isFinite(delayMs)) next.applicationToIssue = withDelay(next.applicationToIssue, delayMs)
      return
    }
    case 'ApplicationWithdrawn':
      next.withdrawn++
      return
    case 'ApplicationVoided': {
      const voided = { ...next.voided }
      voided[event.data.reason]++
      next.voided = voided
      return
    }
    case 'ELicenceInvalidated': {
      const invalidated = { ...next.invalidated }
      invalidated[event.data.reason]++
      next.invalidated = invalidated
      return
    }
    case 'PhotoRejected': {
      const rejectionReasons: Partial<Record<PhotoDefect, number>> = { ...next.rejectionReasons }
      for (const reason of event.data.reasons) rejectionReasons[reason] = (rejectionReasons[reason] ?? 0) + 1
      next.photoRejections++
      next.rejectionReasons = rejectionReasons
      return
    }
    default:
      return
  }
}

/**
 * Counts one transition into `next`. `byStateOwned`: `next.byState` is `next`'s own, to count in
 * place; otherwise it is replaced by a copy with the change. Events that leave the view unchanged
 * (before the licence is recorded) count only as events.
 */
const countTransition = (next: Counting, transition: LicenceTransition, byStateOwned: boolean): void => {
  const { before, after } = transition
  next.events++
  if (after === null) return
  countOutcomes(next, transition)
  if (before === null) next.licences++
  // A licence that stays in its state leaves the counts per state as they are: no copy needed.
  if (before === null || before.state !== after.state) {
    const byState = (byStateOwned ? next.byState : { ...next.byState }) as Record<ELicenceState, number>
    if (before !== null) byState[before.state]--
    byState[after.state]++
    next.byState = byState
  }
}

/**
 * Adds one transition. The step copies the statistics once and counts into its copy; what it is
 * given is never changed.
 */
export const statisticsStep = (statistics: Statistics, transition: LicenceTransition): Statistics => {
  const next: Counting = { ...statistics }
  countTransition(next, transition, false)
  return next
}

export interface StatisticsTally {
  readonly add: (transition: LicenceTransition) => void
  /** The statistics so far, a value of its own: later `add`s do not change it. */
  readonly current: () => Statistics
}

/**
 * `statisticsStep` over many transitions for a reader that wants only the sums (the auditor, the
 * replays: a step per event), counting in place instead of copying the statistics each time —
 * that copy was most of their time in statistics.
 */
export const statisticsTally = (from: Statistics = emptyStatistics): StatisticsTally => {
  // The per-state counts are the tally's own; every other record is replaced on change, never written.
  const counting: Counting = { ...from, byState: { ...from.byState } }
  return {
    add: (transition) => countTransition(counting, transition, true),
    current: () => ({ ...counting, byState: { ...counting.byState } }),
  }
}

export interface StatisticsState {
  readonly statistics: Statistics
  readonly views: ReadonlyMap<string, ELicenceViewState>
}

/**
 * Statistics as a view over all licences' events. Like `reviewQueueView` it copies its map of views
 * on every event, which suits embedders with small histories; the projection runner does not.
 */
export const statisticsView: View<StatisticsState, DecodedStoredEvent> = {
  initialState: { statistics: emptyStatistics, views: new Map() },
  evolve: (state, event) => {
    const before = state.views.get(event.streamId) ?? null
    const after = evolveELicenceView(before, event)
    const views = new Map(state.views)
    views.set(event.streamId, after)
    return { statistics: statisticsStep(state.statistics, { event, before, after }), views }
  },
}

const sumRecords = <K extends string>(
  a: Readonly<Record<K, number>>,
  b: Readonly<Record<K, number>>,
): Record<K, number> => {
  const sum = { ...a } as Record<K, number>
  for (const key of Object.keys(b) as K[]) sum[key] = (sum[key] ?? 0) + b[key]
  return sum
}

const minOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b)
const maxOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b)

/**
 * Statistics of two disjoint sets of licences, as one: streams are independent, so a history
 * replayed in partitions by stream (DESIGN §8) adds up to the statistics of the whole.
 */
export const mergeStatistics = (a: Statistics, b: Statistics): Statistics => ({
  events: a.events + b.events,
  licences: a.licences + b.licences,
  byState: sumRecords(a.byState, b.byState),
  applications: a.applications + b.applications,
  issued: a.issued + b.issued,
  withdrawn: a.withdrawn + b.withdrawn,
  voided: sumRecords(a.voided, b.voided),
  invalidated: sumRecords(a.invalidated, b.invalidated),
  photoRejections: a.photoRejections + b.photoRejections,
  rejectionReasons: sumRecords<PhotoDefect>(
    a.rejectionReasons as Record<PhotoDefect, number>,
    b.rejectionReasons as Record<PhotoDefect, number>,
  ),
  applicationToIssue: {
    count: a.applicationToIssue.count + b.applicationToIssue.count,
    totalMs: a.applicationToIssue.totalMs + b.applicationToIssue.totalMs,
    minMs: minOf(a.applicationToIssue.minMs, b.applicationToIssue.minMs),
    maxMs: maxOf(a.applicationToIssue.maxMs, b.applicationToIssue.maxMs),
    buckets: sumRecords(a.applicationToIssue.buckets, b.applicationToIssue.buckets),
  },
})
