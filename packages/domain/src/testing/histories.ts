/**
 * Random licence histories: a recorded licence followed by steps (apply, review, photo, withdraw,
 * renew, status change) at advancing times, each decided by the real decider against the state
 * folded so far. Refused steps stay in the history with their error, accepted ones add events, so a
 * property can look at every decision and every reachable state.
 *
 * @example
 * fc.assert(fc.property(historyArb(), (history) => history.entries.every(({ outcome }) => outcome !== undefined)))
 */
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import type { LicenceCommand, RecordLicence } from '../licence/commands.js'
import type { Decision } from '../licence/decide.js'
import { type LicenceDecider, licenceDecider } from '../licence/decider.js'
import type { LicenceEvent } from '../licence/events.js'
import type { LicenceState } from '../licence/state.js'
import type { ActorRole, Authority, LicenceClass, LicenceStatus, PhotoDefect } from '../licence/values.js'
import {
  authorityArb,
  classesArb,
  defectsArb,
  formatInstant,
  holderArb,
  licenceNumberArb,
  localDateArb,
  statusesArb,
} from './values.js'

const dayMs = 86_400_000

export type Step =
  | {
      readonly kind: 'apply'
      readonly advanceMs: number
      readonly faceCheck: boolean
      readonly wrongStart: boolean
      readonly stranger: boolean
    }
  | { readonly kind: 'review'; readonly advanceMs: number; readonly toDue: boolean; readonly role: ActorRole }
  | {
      readonly kind: 'reject-photo'
      readonly advanceMs: number
      readonly reasons: ReadonlyArray<PhotoDefect>
    }
  | {
      readonly kind: 'submit-photo'
      readonly advanceMs: number
      /** Days before the local date of submission the photo was taken; negative: in the future. */
      readonly ageDays: number
      readonly defects: ReadonlyArray<PhotoDefect>
    }
  | { readonly kind: 'withdraw'; readonly advanceMs: number; readonly otherApplication: boolean }
  | {
      readonly kind: 'renew'
      readonly advanceMs: number
      readonly classes: ReadonlyArray<LicenceClass> | null
      readonly extendYears: number | null
      readonly authority: Authority | null
    }
  | { readonly kind: 'status'; readonly advanceMs: number; readonly statuses: ReadonlyArray<LicenceStatus> }

const advanceArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 6 * 3_600_000 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 3 * dayMs }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 120 * dayMs }) },
)

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('apply' as const),
      advanceMs: advanceArb,
      faceCheck: fc.integer({ min: 0, max: 9 }).map((n) => n !== 0),
      wrongStart: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      stranger: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('review' as const),
      advanceMs: advanceArb,
      toDue: fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
      role: fc.constantFrom<ActorRole>('reviewer', 'system', 'system', 'holder'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('reject-photo' as const),
      advanceMs: advanceArb,
      reasons: defectsArb.filter((defects) => defects.length > 0),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('submit-photo' as const),
      advanceMs: advanceArb,
      ageDays: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0, max: 150 }) },
        { weight: 2, arbitrary: fc.integer({ min: 150, max: 400 }) },
        // Around the six-month boundary, where clamping to the month's end matters.
        { weight: 3, arbitrary: fc.integer({ min: 178, max: 188 }) },
        { weight: 1, arbitrary: fc.integer({ min: -5, max: -1 }) },
      ),
      defects: defectsArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('withdraw' as const),
      advanceMs: advanceArb,
      otherApplication: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('renew' as const),
      advanceMs: advanceArb,
      // Each term kept half of the time, so renewals that change nothing are common too.
      classes: fc.option(classesArb, { nil: null, freq: 2 }),
      extendYears: fc.option(fc.integer({ min: 1, max: 10 }), { nil: null, freq: 2 }),
      authority: fc.option(authorityArb, { nil: null, freq: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('status' as const),
      advanceMs: advanceArb,
      statuses: statusesArb,
    }),
  },
)

/** A RecordLicence command at a given instant. */
export const recordLicenceArb = (atMs: fc.Arbitrary<number>): fc.Arbitrary<RecordLicence> =>
  fc
    .record({
      licenceNumber: licenceNumberArb,
      holder: holderArb,
      classes: classesArb,
      // Before every start instant, so validity is never reversed.
      validFrom: localDateArb('2014-01-01', '2023-12-31'),
      years: fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }),
      expiresWithinDays: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null, freq: 4 }),
      authority: authorityArb,
      statuses: statusesArb,
      photoOnFile: fc.boolean(),
      atMs,
    })
    .map(
      (r) =>
        ({
          type: 'RecordLicence',
          data: {
            licenceNumber: r.licenceNumber,
            holder: r.holder,
            classes: r.classes,
            validFrom: r.validFrom,
            validUntil:
              r.expiresWithinDays !== null
                ? new Date(r.atMs + r.expiresWithinDays * dayMs).toISOString().slice(0, 10)
                : r.years === null
                  ? 'long-term'
                  : `${Number(r.validFrom.slice(0, 4)) + r.years}${r.validFrom.slice(4)}`.replace(
                      '-02-29',
                      '-02-28',
                    ),
            authority: r.authority,
            statuses: r.statuses,
            photoOnFile: r.photoOnFile,
          },
          metadata: {
            commandId: commandIdFor(0),
            at: formatInstant(r.atMs),
            actor: { role: 'registry', id: 'registry-1' },
          },
        }) as RecordLicence,
    )

/** A deterministic UUID for the n-th command of a history. */
export const commandIdFor = (n: number): string =>
  `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`

export interface HistoryEntry {
  readonly command: LicenceCommand
  /** The state the command was decided against. */
  readonly before: LicenceState
  readonly outcome: Decision
  readonly after: LicenceState
}

export type TimedEvent = LicenceEvent & {
  readonly metadata: { readonly at: string; readonly commandId: string }
}

export interface History {
  readonly entries: ReadonlyArray<HistoryEntry>
  readonly events: ReadonlyArray<TimedEvent>
  readonly state: LicenceState
}

/** Turns a step into a command against the current state (ids and actors filled in from it). */
export const commandForStep = (
  step: Step,
  state: LicenceState,
  record: RecordLicence,
  atMs: number,
  n: number,
): LicenceCommand => {
  const { licenceNumber } = record.data
  const holderId = record.data.holder.accountId
  const metadata = (role: ActorRole, id: string) => ({
    commandId: commandIdFor(n),
    at: formatInstant(atMs, '+08:00'),
    actor: { role, id },
  })
  const recorded = state._tag === 'Recorded' ? state : undefined
  const openId = recorded?.application?.applicationId ?? `app-${n}`
  switch (step.kind) {
    case 'apply':
      return {
        type: 'ApplyForELicence',
        data: {
          licenceNumber,
          applicationId: `app-${n}`,
          declaredValidFrom: step.wrongStart
            ? '1999-01-01'
            : (recorded?.licence.validFrom ?? record.data.validFrom),
          faceCheck: { passed: step.faceCheck },
        },
        metadata: metadata('holder', step.stranger ? 'acct-stranger' : holderId),
      } as LicenceCommand
    case 'review':
      return {
        type: 'ReviewApplication',
        data: { licenceNumber, applicationId: openId },
        metadata: metadata(step.role, `${step.role}-1`),
      } as LicenceCommand
    case 'reject-photo':
      return {
        type: 'RejectPhoto',
        data: { licenceNumber, applicationId: openId, reasons: step.reasons },
        metadata: metadata('reviewer', 'reviewer-1'),
      } as LicenceCommand
    case 'submit-photo': {
      const localDay = Math.floor((atMs + 8 * 3_600_000) / dayMs)
      return {
        type: 'SubmitPhoto',
        data: {
          licenceNumber,
          applicationId: openId,
          photo: {
            id: `photo-${n}`,
            capturedOn: new Date((localDay - step.ageDays) * dayMs).toISOString().slice(0, 10),
            defects: step.defects,
          },
        },
        metadata: metadata('holder', holderId),
      } as LicenceCommand
    }
    case 'withdraw':
      return {
        type: 'WithdrawApplication',
        data: { licenceNumber, applicationId: step.otherApplication ? 'app-other' : openId },
        metadata: metadata('holder', holderId),
      } as LicenceCommand
    case 'renew': {
      const current = recorded?.licence ?? record.data
      const validFrom =
        step.extendYears === null ? current.validFrom : new Date(atMs).toISOString().slice(0, 10)
      const validUntil =
        step.extendYears === null
          ? current.validUntil
          : `${Number(validFrom.slice(0, 4)) + step.extendYears}${validFrom.slice(4)}`.replace(
              '-02-29',
              '-02-28',
            )
      return {
        type: 'RenewLicence',
        data: {
          licenceNumber,
          classes: step.classes ?? current.classes,
          validFrom,
          validUntil,
          authority: step.authority ?? current.authority,
        },
        metadata: metadata('registry', 'registry-1'),
      } as LicenceCommand
    }
    case 'status':
      return {
        type: 'ChangeLicenceStatus',
        data: { licenceNumber, statuses: step.statuses },
        metadata: metadata('registry', 'registry-1'),
      } as LicenceCommand
  }
}

const stepTime = (step: Step, state: LicenceState, nowMs: number): number => {
  const due = state._tag === 'Recorded' ? state.application?.reviewDueAt : undefined
  // Around the due time, on both sides of it, where rule 3 is decided.
  if (step.kind === 'review' && step.toDue && due != null) {
    return Math.max(nowMs, Date.parse(due) + (step.advanceMs % (4 * 3_600_000)) - 2 * 3_600_000)
  }
  return nowMs + step.advanceMs
}

/** Decides the record command and every step in order, folding accepted events. */
export const simulate = (
  decider: LicenceDecider,
  record: RecordLicence,
  steps: ReadonlyArray<Step>,
): History => {
  const entries: HistoryEntry[] = []
  const events: TimedEvent[] = []
  let state = decider.initialState
  let nowMs = Date.parse(record.metadata.at)
  const run = (command: LicenceCommand) => {
    const outcome = decider.decide(command, state)
    const before = state
    if (E.isRight(outcome)) {
      for (const event of outcome.right) {
        const timed = {
          ...event,
          metadata: { at: command.metadata.at, commandId: command.metadata.commandId },
        } as TimedEvent
        events.push(timed)
        state = decider.evolve(state, timed)
      }
    }
    entries.push({ command, before, outcome, after: state })
  }
  run(record)
  steps.forEach((step, index) => {
    nowMs = stepTime(step, state, nowMs)
    run(commandForStep(step, state, record, nowMs, index + 1))
  })
  return { entries, events, state }
}

/** Instants inside the State Council data the calendar covers, with room for a long history. */
export const coveredStartArb = fc.integer({
  min: Date.parse('2024-01-01T00:00:00Z'),
  max: Date.parse('2026-03-31T00:00:00Z'),
})

export interface HistoryOptions {
  readonly decider?: LicenceDecider
  readonly maxSteps?: number
  readonly start?: fc.Arbitrary<number>
}

let defaultDecider: LicenceDecider | undefined

/**
 * Random valid histories of one licence, decided by the real decider: up to `maxSteps` (default 30)
 * steps after the record, any length up to it as likely as any other. (fast-check's default size
 * would stop arrays at 10 whatever the maximum, and most histories would never reach an issued
 * e-licence.)
 */
export const historyArb = (options: HistoryOptions = {}): fc.Arbitrary<History> => {
  defaultDecider ??= licenceDecider({ calendar: chinaMainlandCalendar() })
  const decider = options.decider ?? defaultDecider
  return fc
    .tuple(
      recordLicenceArb(options.start ?? coveredStartArb),
      fc.array(stepArb, { maxLength: options.maxSteps ?? 30, size: 'max' }),
    )
    .map(([record, steps]) => simulate(decider, record, steps))
}

/** States reachable by a valid history (the final state of one). */
export const reachableStateArb = (options: HistoryOptions = {}): fc.Arbitrary<LicenceState> =>
  historyArb(options).map((history) => history.state)
