/**
 * The audit timeline of one licence (DESIGN §5): every event of its stream in order, with who did it,
 * when it happened (`at`), when it was recorded (`recordedAt`), its chain hash and a one-line summary.
 *
 * @example
 * foldView(auditTimelineView, decodedEvents).map((entry) => entry.summary)
 * // ['licence recorded (C1, valid until 2032-01-15, 粤A)', 'applied for an e-licence (app-1), review due …', …]
 */
import type { Actor, DecodedStoredEvent } from '@elicence/domain'
import { absurd } from 'fp-ts/lib/function.js'
import type { View } from './view.js'

export interface TimelineEntry {
  readonly streamId: string
  readonly version: number
  readonly position: number
  readonly type: DecodedStoredEvent['type']
  readonly at: string
  readonly recordedAt: string
  readonly actor: Actor
  readonly eventId: string
  readonly commandId: string
  readonly hash: string
  readonly summary: string
  readonly data: DecodedStoredEvent['data']
}

export type AuditTimeline = ReadonlyArray<TimelineEntry>

const list = (values: ReadonlyArray<string>): string => (values.length === 0 ? 'none' : values.join(' '))

export const summarise = (event: DecodedStoredEvent): string => {
  switch (event.type) {
    case 'LicenceRecorded':
      return `licence recorded (${list(event.data.classes)}, valid ${event.data.validFrom} to ${event.data.validUntil}, ${event.data.authority.code}, statuses ${event.data.statuses.join('')})`
    case 'ELicenceApplied':
      return `applied for an e-licence (${event.data.applicationId}), review due ${event.data.reviewDueAt}`
    case 'PhotoRejected':
      return `photo rejected by ${event.data.source} (${list(event.data.reasons)})`
    case 'PhotoSubmitted':
      return `photo ${event.data.photo.id} submitted, review due ${event.data.reviewDueAt}`
    case 'ELicenceIssued':
      return `e-licence ${event.data.eLicenceId} issued`
    case 'ApplicationWithdrawn':
      return `application ${event.data.applicationId} withdrawn`
    case 'LicenceRenewed':
      return `licence renewed (${list(event.data.classes)}, valid ${event.data.validFrom} to ${event.data.validUntil}, ${event.data.authority.code}; changes: ${list(event.data.changes)})`
    case 'ELicenceInvalidated':
      return `e-licence ${event.data.eLicenceId} invalidated (${event.data.reason}${event.data.changes.length > 0 ? `: ${event.data.changes.join(' ')}` : ''})`
    case 'ApplicationVoided':
      return `application ${event.data.applicationId} voided (${event.data.reason})`
    case 'LicenceStatusChanged':
      return `statuses changed from ${event.data.previous.join('')} to ${event.data.statuses.join('')}`
    default:
      return absurd(event)
  }
}

export const timelineEntryOf = (event: DecodedStoredEvent): TimelineEntry => ({
  streamId: event.streamId,
  version: event.version,
  position: event.position,
  type: event.type,
  at: event.metadata.at,
  recordedAt: event.metadata.recordedAt,
  actor: event.metadata.actor,
  eventId: event.metadata.eventId,
  commandId: event.metadata.commandId,
  hash: event.metadata.hash,
  summary: summarise(event),
  data: event.data,
})

/** The audit timeline of one licence stream; fold it over that stream's decoded events. */
export const auditTimelineView: View<AuditTimeline, DecodedStoredEvent> = {
  initialState: [],
  evolve: (timeline, event) => [...timeline, timelineEntryOf(event)],
}
