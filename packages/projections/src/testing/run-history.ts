/**
 * Runs a history script through the real command handler: licences are recorded first, then each
 * step's command is sent at its time; refused commands simply leave no events. Time moves forward by
 * the steps; `recordedAt` lags `at` by each step's lag, so business and record time differ. A
 * `fitting` step becomes the command that fits the licence's state as folded from the store
 * (fitting-actions.ts). Each step's decision is reported beside the history, so a test can tell how
 * far its scripts reach.
 *
 * @example
 * const { store, events } = await runHistoryScript(script) // events: every stored event in global order
 */
import {
  commandHandler,
  type EventStore,
  fold,
  inMemoryEventStore,
  type LicenceState,
  licenceDecider,
  localDateOf,
  type StoredEvent,
  weekdayCalendar,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { fittingAction } from './fitting-actions.js'
import { type HistoryScript, licenceNumberFor, type ScriptedAction } from './histories.js'

const start = Date.parse('2026-01-05T09:00:00+08:00')
const authorities = [
  { code: '京A', name: '北京市公安局公安交通管理局' },
  { code: '粤A', name: '广东省广州市公安局交通警察支队' },
] as const
const names = ['张三丰', '李四', '王小明', '欧阳娜娜'] as const

const addYears = (date: string, years: number): string =>
  `${Number(date.slice(0, 4)) + years}${date.slice(4) === '-02-29' ? '-02-28' : date.slice(4)}`

/** How one step was decided. */
export interface StepDecision {
  readonly licence: number
  /** The command sent, a fitting step's as it turned out. */
  readonly action: ScriptedAction
  readonly at: string
  /** The licence's state the command met. */
  readonly before: LicenceState
  /** The error code of a refused command; undefined when it was accepted. */
  readonly refused: string | undefined
}

export interface HistoryRun {
  readonly store: EventStore
  /** Every stored event in global order. */
  readonly events: ReadonlyArray<StoredEvent>
  /** One per step, in the script's order. */
  readonly decisions: ReadonlyArray<StepDecision>
}

/** Sends the script's commands through the command handler; returns the store and its history. */
export const runHistoryScript = async (
  script: HistoryScript,
  options: { readonly store?: EventStore } = {},
): Promise<HistoryRun> => {
  const store = options.store ?? inMemoryEventStore()
  let nowMs = start
  let recordedMs = start
  let commandCount = 0
  const handle = commandHandler({
    store,
    decider: licenceDecider({ calendar: weekdayCalendar() }),
    clock: () => new Date(recordedMs),
  })
  const validFrom = localDateOf(start - 86_400_000 * 400)
  for (const [index, licence] of script.licences.entries()) {
    commandCount++
    await handle({
      type: 'RecordLicence',
      data: {
        licenceNumber: licence.licenceNumber,
        holder: { accountId: `acct-${index}`, name: names[index % names.length] },
        classes: ['C1'],
        validFrom,
        validUntil: addYears(validFrom, 6),
        authority: authorities[0],
        statuses: licence.statuses,
        photoOnFile: licence.photoOnFile,
      },
      metadata: {
        commandId: `00000000-0000-4000-8000-${String(commandCount).padStart(12, '0')}`,
        at: new Date(nowMs).toISOString(),
        actor: { role: 'registry', id: 'registry-1' },
      },
    })
  }
  const decisions: StepDecision[] = []
  for (const step of script.steps) {
    const licenceNumber = script.licences[step.licence]?.licenceNumber ?? licenceNumberFor(0)
    const state = await streamState(store, licenceNumber)
    const advancedMs = nowMs + step.advanceMinutes * 60_000
    const fitted =
      step.action.kind === 'fitting'
        ? fittingAction(state, nowMs, advancedMs, step.action)
        : { action: step.action, atMs: advancedMs }
    nowMs = fitted.atMs
    recordedMs = Math.max(recordedMs, nowMs + step.recordLagMinutes * 60_000)
    const index = step.licence
    const holderId = `acct-${index}`
    const applicationId = `app-${index}-${commandCount}`
    const openApplicationId = `app-open`
    commandCount++
    const commandId = `00000000-0000-4000-8000-${String(commandCount).padStart(12, '0')}`
    const metadata = (role: string, id: string) => ({
      commandId,
      at: new Date(nowMs).toISOString(),
      actor: { role, id },
    })
    const { action } = fitted
    const today = localDateOf(nowMs)
    let command: unknown
    switch (action.kind) {
      case 'apply':
        command = {
          type: 'ApplyForELicence',
          data: {
            licenceNumber,
            applicationId,
            declaredValidFrom: state._tag === 'Recorded' ? state.licence.validFrom : validFrom,
            faceCheck: { passed: true },
          },
          metadata: metadata('holder', holderId),
        }
        break
      case 'review':
      case 'reject-photo':
      case 'submit-photo':
      case 'withdraw': {
        const open =
          (state._tag === 'Recorded' ? state.application?.applicationId : undefined) ?? openApplicationId
        command =
          action.kind === 'review'
            ? {
                type: 'ReviewApplication',
                data: { licenceNumber, applicationId: open },
                metadata: metadata('system', 'review-bot'),
              }
            : action.kind === 'reject-photo'
              ? {
                  type: 'RejectPhoto',
                  data: { licenceNumber, applicationId: open, reasons: action.reasons },
                  metadata: metadata('reviewer', 'reviewer-1'),
                }
              : action.kind === 'submit-photo'
                ? {
                    type: 'SubmitPhoto',
                    data: {
                      licenceNumber,
                      applicationId: open,
                      photo: {
                        id: `photo-${commandCount}`,
                        capturedOn: localDateOf(nowMs - action.ageDays * 86_400_000),
                        defects: action.defects,
                      },
                    },
                    metadata: metadata('holder', holderId),
                  }
                : {
                    type: 'WithdrawApplication',
                    data: { licenceNumber, applicationId: open },
                    metadata: metadata('holder', holderId),
                  }
        break
      }
      case 'renew':
        command = {
          type: 'RenewLicence',
          data: {
            licenceNumber,
            classes: action.classes,
            validFrom: action.validYears === 10 ? today : validFrom,
            validUntil: action.validYears === 10 ? addYears(today, 10) : addYears(validFrom, 6),
            authority: authorities[action.authority],
          },
          metadata: metadata('registry', 'registry-1'),
        }
        break
      case 'change-status':
        command = {
          type: 'ChangeLicenceStatus',
          data: { licenceNumber, statuses: action.statuses },
          metadata: metadata('registry', 'registry-1'),
        }
        break
    }
    const outcome = await handle(command)
    decisions.push({
      licence: step.licence,
      action,
      at: new Date(nowMs).toISOString(),
      before: state,
      refused: E.isLeft(outcome) ? outcome.left.code : undefined,
    })
  }
  const events: StoredEvent[] = []
  for (let after = 0; ; ) {
    const page = await store.readAll({ after, limit: 1000 })
    if (E.isLeft(page) || page.right.events.length === 0) break
    events.push(...page.right.events)
    after = page.right.lastPosition
  }
  return { store, events, decisions }
}

const streamState = async (store: EventStore, licenceNumber: string): Promise<LicenceState> => {
  const read = await store.readStream(`licence-${licenceNumber}`)
  return fold(E.isLeft(read) ? [] : read.right.events)
}
