/**
 * Random licence histories: a recorded licence (now and then after a command or two that met no
 * licence yet) followed by steps (apply, review, photo, withdraw, renew, status change) at
 * advancing times (now and then one stated before the stream's last event, as a sender's slow
 * clock would; now and then the last steps past the calendar's data), each decided by the real
 * decider against the state folded so far. Refused steps stay in the history with their error,
 * accepted ones add events, so a property can look at every decision and every reachable state.
 * Most steps are chosen to fit the state they meet (fitting-steps.ts), so that histories get past
 * the first refusals and into the states the rules are about: an issued e-licence, then its
 * renewal, revocation or expiry.
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
import type { LicenceStatus } from '../licence/values.js'
import { type FittingStepDraw, fittingStep, fittingStepDrawArb } from './fitting-steps.js'
import { commandForStep, commandIdFor, stepTime } from './step-commands.js'
import { type Step, stepArb, unrecordedStepArb } from './steps.js'
import {
  authorityArb,
  classesArb,
  formatInstant,
  holderArb,
  licenceNumberArb,
  localDateArb,
  statusesArb,
} from './values.js'

const dayMs = 86_400_000

const yearOf = (date: string): number => Number(date.slice(0, 4))
/** Years after a date, keeping its month and day (02-29 becomes 02-28). */
const yearsAfter = (date: string, years: number): string =>
  `${yearOf(date) + years}${date.slice(4)}`.replace('-02-29', '-02-28')
const utcDateOf = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 10)

/** A licence's last valid day from its first and the instant it is recorded at, never before its first. */
type Validity = (validFrom: string, recordedAtMs: number) => string
const yearsAfterRecording =
  (years: number): Validity =>
  (validFrom, recordedAtMs) =>
    yearsAfter(validFrom, Math.max(0, yearOf(utcDateOf(recordedAtMs)) - yearOf(validFrom)) + years)
const daysAfterRecording =
  (days: number): Validity =>
  (validFrom, recordedAtMs) =>
    utcDateOf(Math.max(recordedAtMs + days * dayMs, Date.parse(`${validFrom}T00:00:00Z`)))
const yearsAfterStart =
  (years: number): Validity =>
  (validFrom) =>
    yearsAfter(validFrom, years)

/**
 * How long a recorded licence is valid: mostly beyond any history (years after it is recorded, or
 * long-term), now and then until a day within the history (so that a pending application or an
 * issued e-licence meets the expiry), or for a term from its start that may be over already.
 */
const validityArb: fc.Arbitrary<Validity> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 10 }).map(yearsAfterRecording) },
  { weight: 2, arbitrary: fc.constant<Validity>(() => 'long-term') },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 }).map(daysAfterRecording) },
  { weight: 2, arbitrary: fc.integer({ min: 7, max: 90 }).map(daysAfterRecording) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 10 }).map(yearsAfterStart) },
)

/** Statuses at recording: mostly ones under which the holder may apply. */
const recordedStatusesArb: fc.Arbitrary<ReadonlyArray<LicenceStatus>> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<ReadonlyArray<LicenceStatus>>(['A']) },
  { weight: 1, arbitrary: fc.constantFrom<ReadonlyArray<LicenceStatus>>(['H'], ['I'], ['H', 'I']) },
  { weight: 2, arbitrary: statusesArb },
)

/** A RecordLicence command at a given instant. */
export const recordLicenceArb = (atMs: fc.Arbitrary<number>): fc.Arbitrary<RecordLicence> =>
  fc
    .record({
      licenceNumber: licenceNumberArb,
      holder: holderArb,
      classes: classesArb,
      // Before every start instant of `coveredStartArb`: a licence is recorded once it is in force.
      validFrom: localDateArb('2014-01-01', '2023-12-31'),
      validity: validityArb,
      authority: authorityArb,
      statuses: recordedStatusesArb,
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
            validUntil: r.validity(r.validFrom, r.atMs),
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
  /** The command that recorded the licence. */
  readonly record: RecordLicence
  readonly entries: ReadonlyArray<HistoryEntry>
  readonly events: ReadonlyArray<TimedEvent>
  readonly state: LicenceState
}

/** A history's last `stepsLeft` steps come `ms` after `fromMs` (after the step before, where that is later). */
interface YearsLater {
  readonly stepsLeft: number
  readonly fromMs: number
  readonly ms: number
}

/**
 * Decides the `unrecorded` steps (which meet no licence yet), the record command, then `count`
 * steps, each given by `stepFor` from the state folded so far and the time of the step before it.
 */
const decideSteps = (
  decider: LicenceDecider,
  unrecorded: ReadonlyArray<Step>,
  record: RecordLicence,
  count: number,
  stepFor: (index: number, state: LicenceState, nowMs: number) => Step,
  later: YearsLater | null = null,
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
  // Before the record each step is stated its wait before the one after it, so the record stays
  // where `start` put it: the first at the record's instant less every wait.
  let unrecordedMs = unrecorded.reduce((ms, step) => ms - Math.abs(step.advanceMs), nowMs)
  for (const [index, step] of unrecorded.entries()) {
    run(commandForStep(step, state, record, unrecordedMs, index + 1))
    unrecordedMs += Math.abs(step.advanceMs)
  }
  run(record)
  for (let index = 0; index < count; index++) {
    if (later !== null && index === count - later.stepsLeft) nowMs = Math.max(nowMs, later.fromMs) + later.ms
    const step = stepFor(index, state, nowMs)
    const atMs = stepTime(step, state, nowMs)
    run(commandForStep(step, state, record, atMs, unrecorded.length + index + 1))
    // A step stated before the last event does not take the history's time back with it.
    nowMs = Math.max(nowMs, atMs)
  }
  return { record, entries, events, state }
}

/** Decides the record command and every step in order, folding accepted events. */
export const simulate = (
  decider: LicenceDecider,
  record: RecordLicence,
  steps: ReadonlyArray<Step>,
): History => decideSteps(decider, [], record, steps.length, (index) => steps[index] as Step)

/**
 * When a calendar's data ends: 00:00 in Shanghai of the year after the last it covers; undefined for
 * a calendar that answers every year.
 */
const calendarEndMs = (decider: LicenceDecider): number | undefined => {
  const lastYear = decider.calendar.coveredYears.at(-1)
  return lastYear === undefined ? undefined : Date.parse(`${lastYear + 1}-01-01T00:00:00+08:00`)
}

/**
 * In one history of seven, its last steps (three to twelve) come after the calendar's data ends, up
 * to two years after (rule 9: `calendar-not-covered`, or with the weekday fallback, `fallback:
 * true`); for a calendar that answers every year, up to two years later. At the end, so that the
 * history has issued what it would before: a wait of years in any step left more histories without
 * an e-licence for the same share, and rarely got past a calendar with years added.
 */
const yearsLaterArb = (endMs: number | undefined) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(null) },
    {
      weight: 1,
      arbitrary: fc.record({
        stepsLeft: fc.integer({ min: 3, max: 12 }),
        fromMs: fc.constant(endMs ?? 0),
        ms: fc.integer({ min: 0, max: 2 * 365 * dayMs }),
      }),
    },
  )

/** Instants inside the State Council data the calendar covers, with room for a long history. */
export const coveredStartArb = fc.integer({
  min: Date.parse('2024-01-01T00:00:00Z'),
  max: Date.parse('2026-03-31T00:00:00Z'),
})

export interface HistoryOptions {
  readonly decider?: LicenceDecider
  readonly maxSteps?: number
  readonly start?: fc.Arbitrary<number>
  /**
   * The share of steps, from 0 to 1 (default 0.8), chosen to fit the state they meet: a review once
   * the application is due, a photo when one is awaited, an application when none is open, a
   * renewal once the licence has expired. The others are steps of any kind (`stepArb`), which the
   * state mostly refuses. 0 gives histories of random steps only, which rarely get past the first
   * refusals; 1 leaves out most refusals.
   */
  readonly fitting?: number
}

let defaultDecider: LicenceDecider | undefined

/**
 * In one history of twelve, a command or two reach the stream before the licence is recorded (a
 * holder applying before the registry has the record): refused, `licence-not-found`.
 */
const unrecordedStepsArb: fc.Arbitrary<ReadonlyArray<Step>> = fc.oneof(
  { weight: 11, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.array(unrecordedStepArb, { minLength: 1, maxLength: 2 }) },
)

/** One step's turn: both draws are made, and the state it meets decides which one is taken. */
interface Turn {
  readonly fits: boolean
  readonly any: Step
  readonly fitting: FittingStepDraw
}

/**
 * Random valid histories of one licence, decided by the real decider: up to `maxSteps` (default 30)
 * steps after the record, any length up to it as likely as any other. (fast-check's default size
 * would stop arrays at 10 whatever the maximum.) Most steps fit the state they meet (see
 * `fitting`), so most histories issue an e-licence and many go on to what ends it (a renewal, a
 * revoking status) or what it outlives (an abnormal status, its licence's expiry);
 * `histories.test.ts` holds the shares.
 */
export const historyArb = (options: HistoryOptions = {}): fc.Arbitrary<History> => {
  defaultDecider ??= licenceDecider({ calendar: chinaMainlandCalendar() })
  const decider = options.decider ?? defaultDecider
  const fitting = options.fitting ?? 0.8
  if (!(fitting >= 0 && fitting <= 1)) throw new RangeError(`fitting is a share from 0 to 1, not ${fitting}`)
  const permille = Math.round(fitting * 1000)
  const turnArb: fc.Arbitrary<Turn> = fc.record({
    fits: fc.integer({ min: 0, max: 999 }).map((n) => n < permille),
    any: stepArb,
    fitting: fittingStepDrawArb,
  })
  const maxSteps = options.maxSteps ?? 30
  return fc
    .tuple(
      unrecordedStepsArb,
      recordLicenceArb(options.start ?? coveredStartArb),
      fc.array(turnArb, { maxLength: maxSteps, size: 'max' }),
      yearsLaterArb(calendarEndMs(decider)),
    )
    .map(([drawnUnrecorded, record, drawnTurns, later]) => {
      // Steps before the record count towards maxSteps too.
      const unrecorded = drawnUnrecorded.slice(0, maxSteps)
      const turns = drawnTurns.slice(0, maxSteps - unrecorded.length)
      return decideSteps(
        decider,
        unrecorded,
        record,
        turns.length,
        (index, state, nowMs) => {
          const turn = turns[index] as Turn
          return turn.fits ? fittingStep(state, nowMs, turn.fitting, turn.any) : turn.any
        },
        later,
      )
    })
}

/** States reachable by a valid history (the final state of one). */
export const reachableStateArb = (options: HistoryOptions = {}): fc.Arbitrary<LicenceState> =>
  historyArb(options).map((history) => history.state)
