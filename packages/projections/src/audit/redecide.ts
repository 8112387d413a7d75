/**
 * Every command of a history decided again. A recorded command's events imply the command that made
 * them (an `ELicenceApplied` an `ApplyForELicence` of its application and validity start; an
 * `ELicenceIssued`, a `PhotoRejected` of the review or an `ApplicationVoided` alone a
 * `ReviewApplication`; a `LicenceRenewed` the `RenewLicence` of its new terms; …), and the domain's
 * own `decide`, given that command and the licence's state before it, must answer exactly those
 * events: the rules of DESIGN §3 are then re-checked by the code that states them, not by a second
 * statement of them that could miss one (a shortened `reviewDueAt`, a photo older than six months
 * accepted, a renewal that voids nothing, an invalidation that no rule asked for).
 *
 * What the events do not record is taken as the only value the rules let through: the face check
 * passed (no application is recorded otherwise), and for a photo rejected on submission, the photo
 * its reasons describe. A `reviewDueAt` computed by a calendar this audit does not have (another
 * year's schedule, another data version) is not re-checked but counted as such; the rest of that
 * decision is, with the recorded due time.
 *
 * @example
 * redecided(deciders, state, streamId, group)
 * // { findings: [{ kind: 'refused-by-rules', message: 'review-not-due: …' }], calendarUnchecked: undefined }
 */
import {
  type CalendarRecord,
  canonicalJson,
  type DecodedStoredEvent,
  type LicenceCommand,
  type LicenceDecider,
  type LicenceEvent,
  type LicenceState,
  licenceNumberOfStream,
  localDateOf,
  parseCommand,
  type StoredEventMetadata,
  streamIdFor,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'

export const decisionFindingKinds = [
  'split-command',
  'wrong-stream',
  'not-a-decision',
  'refused-by-rules',
  'not-as-decided',
] as const
export type DecisionFindingKind = (typeof decisionFindingKinds)[number]

export interface DecisionFinding {
  readonly kind: DecisionFindingKind
  readonly message: string
}

/**
 * What deciding a command again needs of each of its events: type, data, where it is, and the
 * metadata one command's events share. The audit holds each stream's open command until the next
 * begins — the last to the end of the history — so it keeps this much of them, not their hashes.
 */
export type RecordedEvent = LicenceEvent & {
  readonly version: number
  readonly position: number
  readonly metadata: Pick<StoredEventMetadata, 'commandId' | 'at' | 'recordedAt' | 'actor'>
}

/** `event` as the audit keeps it until its command is decided again. */
export const recordedEvent = (event: DecodedStoredEvent): RecordedEvent => {
  const { commandId, at, recordedAt, actor } = event.metadata
  return {
    type: event.type,
    data: event.data,
    version: event.version,
    position: event.position,
    metadata: { commandId, at, recordedAt, actor },
  } as RecordedEvent
}

export interface Deciders {
  /** The decider of the calendar that writes this record beside a due time, if the audit has it. */
  readonly forCalendar: (record: CalendarRecord) => LicenceDecider | undefined
  /** Decides what records no due time. */
  readonly any: LicenceDecider
  /**
   * Decides where the recorded calendar is not one the audit has: a calendar that knows every day
   * (weekdays), so the rest of the decision is checked; its due times are not compared.
   */
  readonly unknownCalendar: LicenceDecider
}

export interface Redecided {
  readonly findings: ReadonlyArray<DecisionFinding>
  /** The recorded calendar (`id@version`) of a due time not re-checked, for want of its data. */
  readonly calendarUnchecked: string | undefined
}

const finding = (kind: DecisionFindingKind, message: string): Redecided => ({
  findings: [{ kind, message }],
  calendarUnchecked: undefined,
})

/** The command the first event of a command's events implies, as JSON for `parseCommand`. */
const impliedCommandData = (
  first: RecordedEvent,
  licenceNumber: string,
): { readonly type: string; readonly data: unknown } | undefined => {
  switch (first.type) {
    case 'LicenceRecorded':
      return { type: 'RecordLicence', data: first.data }
    case 'ELicenceApplied':
      return {
        type: 'ApplyForELicence',
        data: {
          licenceNumber,
          applicationId: first.data.applicationId,
          declaredValidFrom: first.data.declaredValidFrom,
          // No application is recorded for a failed face check: it passed.
          faceCheck: { passed: true },
        },
      }
    case 'PhotoSubmitted':
      return {
        type: 'SubmitPhoto',
        data: { licenceNumber, applicationId: first.data.applicationId, photo: first.data.photo },
      }
    case 'PhotoRejected': {
      const { applicationId, reasons, source, photoId } = first.data
      if (source === 'reviewer')
        return { type: 'RejectPhoto', data: { licenceNumber, applicationId, reasons } }
      if (source === 'review') return { type: 'ReviewApplication', data: { licenceNumber, applicationId } }
      // The rejected photo is not recorded: the one its reasons describe, taken that day.
      return {
        type: 'SubmitPhoto',
        data: {
          licenceNumber,
          applicationId,
          photo: { id: photoId, capturedOn: localDateOf(Date.parse(first.metadata.at)), defects: reasons },
        },
      }
    }
    case 'ELicenceIssued':
    case 'ApplicationVoided':
      return { type: 'ReviewApplication', data: { licenceNumber, applicationId: first.data.applicationId } }
    case 'ApplicationWithdrawn':
      return { type: 'WithdrawApplication', data: { licenceNumber, applicationId: first.data.applicationId } }
    case 'LicenceRenewed': {
      const { classes, validFrom, validUntil, authority } = first.data
      return { type: 'RenewLicence', data: { licenceNumber, classes, validFrom, validUntil, authority } }
    }
    case 'LicenceStatusChanged':
      return { type: 'ChangeLicenceStatus', data: { licenceNumber, statuses: first.data.statuses } }
    // Only a renewal or a status change invalidates, in the same command as it.
    case 'ELicenceInvalidated':
      return undefined
  }
}

/**
 * Whether two JSON values are equal: the same primitives, arrays of equal items, objects of the
 * same names with equal members. Decoded events hold nothing else. Every command of a history is
 * compared this way, where writing both as canonical JSON cost a tenth of the audit's time.
 */
const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let index = 0; index < a.length; index++) if (!sameJson(a[index], b[index])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const names = Object.keys(a)
  if (names.length !== Object.keys(b).length) return false
  for (const name of names) {
    if (!Object.hasOwn(b, name)) return false
    if (!sameJson((a as Record<string, unknown>)[name], (b as Record<string, unknown>)[name])) return false
  }
  return true
}

/** A due time and the calendar that computed it, where an event has them. */
const dueOf = (event: LicenceEvent): { readonly calendar: CalendarRecord } | undefined =>
  event.type === 'ELicenceApplied' || event.type === 'PhotoSubmitted' ? event.data : undefined

/** The event as compared: with the recorded due time and calendar where those are not re-checked. */
const comparable = (
  event: LicenceEvent,
  recorded: LicenceEvent | undefined,
  keepDue: boolean,
): LicenceEvent => {
  const due = dueOf(event)
  const recordedDue = recorded === undefined ? undefined : dueOf(recorded)
  if (keepDue || due === undefined || recordedDue === undefined) return event
  const { reviewDueAt, calendar } = recordedDue as { reviewDueAt: string; calendar: CalendarRecord }
  return { type: event.type, data: { ...event.data, reviewDueAt, calendar } } as LicenceEvent
}

/**
 * The findings of deciding again the command whose events (consecutive on one stream, one
 * `commandId`) are `group`, in `before`, the stream's state before them.
 */
export const redecided = (
  deciders: Deciders,
  before: LicenceState,
  streamId: string,
  group: ReadonlyArray<RecordedEvent>,
): Redecided => {
  const first = group[0]
  if (first === undefined) return { findings: [], calendarUnchecked: undefined }
  const { commandId, at, actor, recordedAt } = first.metadata
  const apart = group.find(
    (event) =>
      event.metadata.at !== at ||
      event.metadata.recordedAt !== recordedAt ||
      event.metadata.actor.role !== actor.role ||
      event.metadata.actor.id !== actor.id,
  )
  if (apart !== undefined)
    return finding(
      'split-command',
      `the events of command ${commandId} differ in time or actor (version ${apart.version}): one command's events are decided and appended at once`,
    )
  const licenceNumber =
    first.type === 'LicenceRecorded' ? first.data.licenceNumber : (licenceNumberOfStream(streamId) ?? '')
  if (streamIdFor(licenceNumber) !== streamId)
    return finding('wrong-stream', `${first.type} of licence ${licenceNumber} on stream ${streamId}`)
  const implied = impliedCommandData(first, licenceNumber)
  if (implied === undefined)
    return finding('not-a-decision', `no command decides ${first.type} first, as this command's events begin`)
  // Made of decoded events' values, the command needs no decoding again, but for what only the
  // command's codec checks: a recorded licence's validity in order, its holder's birth before it.
  const metadata = { commandId, at, actor }
  const command =
    implied.type === 'RecordLicence'
      ? parseCommand({ ...implied, metadata })
      : E.right({ ...implied, metadata } as LicenceCommand)
  if (E.isLeft(command))
    return finding('not-a-decision', `the command these events imply is invalid: ${command.left.message}`)
  const recordedDue = group.map(dueOf).find((due) => due !== undefined)
  const calendarDecider =
    recordedDue === undefined ? deciders.any : deciders.forCalendar(recordedDue.calendar)
  const keepDue = calendarDecider !== undefined
  const decided = (calendarDecider ?? deciders.unknownCalendar).decide(command.right, before)
  const calendarUnchecked =
    recordedDue === undefined || keepDue
      ? undefined
      : `${recordedDue.calendar.id}@${recordedDue.calendar.version}${recordedDue.calendar.fallback ? ' (weekday fallback)' : ''}`
  if (E.isLeft(decided))
    return {
      findings: [
        {
          kind: 'refused-by-rules',
          message: `the rules refuse the ${command.right.type} these events record: ${decided.left.code}: ${decided.left.message}`,
        },
      ],
      calendarUnchecked,
    }
  const count = Math.max(decided.right.length, group.length)
  for (let index = 0; index < count; index++) {
    const recorded = group[index]
    const decidedEvent = decided.right[index]
    const expected =
      decidedEvent === undefined
        ? undefined
        : comparable(decidedEvent, recorded as LicenceEvent | undefined, keepDue)
    if (
      expected !== undefined &&
      recorded !== undefined &&
      expected.type === recorded.type &&
      sameJson(expected.data, recorded.data)
    )
      continue
    const what =
      expected === undefined
        ? `${recorded?.type} is recorded, and no rule decides it`
        : recorded === undefined
          ? `${expected.type} is decided, and not recorded`
          : `decided ${canonicalJson(expected)}, recorded ${canonicalJson({ type: recorded.type, data: recorded.data })}`
    return {
      findings: [
        {
          kind: 'not-as-decided',
          message: `the rules decide ${command.right.type} as ${decided.right.map((event) => event.type).join(' + ')}, recorded as ${group.map((event) => event.type).join(' + ')}: event ${index + 1}: ${what}`,
        },
      ],
      calendarUnchecked,
    }
  }
  return { findings: [], calendarUnchecked }
}
