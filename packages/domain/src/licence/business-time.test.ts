// Rule 10 in the decider (DESIGN §3): business time never runs backwards on a stream. A command
// stated earlier than the stream's last event is refused with `instant-before-history`, and only
// when no earlier check in the error order refuses it: the oracle is the same decision with the
// stream's past instant forgotten. Properties over random histories and random commands, then the
// rule as given/when/then examples.
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import { commandForStep, deciderSpecification, historyArb, stepArb } from '../testing/index.js'
import { licenceDecider } from './decider.js'
import type { LicenceState } from './state.js'

const decider = licenceDecider({ calendar: chinaMainlandCalendar() })
const spec = deciderSpecification(decider)
const runs = { numRuns: 300 }
const hourMs = 3_600_000

const forgettingTime = (state: LicenceState): LicenceState =>
  state._tag === 'Recorded' ? { ...state, lastAt: null } : state

/** A random command against the history's final state, stated `shiftMs` from the last event's instant. */
const shiftedCommandArb = fc
  .tuple(historyArb({ maxSteps: 12 }), stepArb, fc.integer({ min: -90 * 24 * hourMs, max: 2 * hourMs }))
  .map(([history, step, shiftMs]) => {
    const { record } = history
    const lastAt = history.events[history.events.length - 1]?.metadata.at ?? record.metadata.at
    const atMs = Date.parse(lastAt) + shiftMs
    const command = commandForStep(step, history.state, record, atMs, history.entries.length + 1)
    return { history, command, lastAt, atMs }
  })

describe('rule 10: business time never runs backwards', () => {
  it('refuses a command stated before the last event exactly when it would otherwise apply', () => {
    const seen = { refusedForTime: 0, refusedEarlier: 0, applied: 0 }
    fc.assert(
      fc.property(shiftedCommandArb, ({ history, command, lastAt, atMs }) => {
        const timeless = decider.decide(command, forgettingTime(history.state))
        const decision = decider.decide(command, history.state)
        if (atMs >= Date.parse(lastAt) || E.isLeft(timeless)) {
          expect(decision).toEqual(timeless)
          if (atMs < Date.parse(lastAt)) seen.refusedEarlier++
          else if (E.isRight(decision)) seen.applied++
        } else {
          expect(E.isLeft(decision) && decision.left.code).toBe('instant-before-history')
          seen.refusedForTime++
        }
      }),
      runs,
    )
    // The random commands reach every branch of the rule, or the property would prove little.
    expect(Object.values(seen).every((count) => count > 0)).toBe(true)
  })

  it('orders instants to the last of their nine fraction digits, not to the millisecond', () => {
    // The history's last instant and the command's, both within one millisecond, with up to six
    // digits beyond it and each in its own offset: refused exactly when the command's is earlier.
    const withinMs = fc.tuple(
      shiftedCommandArb,
      fc.integer({ min: 0, max: 999_999 }),
      fc.integer({ min: 0, max: 999_999 }),
      fc.constantFrom('Z', '+08:00', '-05:30'),
    )
    const seen = { refused: 0, applied: 0 }
    fc.assert(
      fc.property(withinMs, ([{ history, command }, lastNs, commandNs, offset]) => {
        if (history.state._tag !== 'Recorded') return
        const baseMs = Math.floor(Date.parse(history.state.lastAt ?? command.metadata.at))
        const instant = (subNs: number) => {
          const shifted = new Date(baseMs + (offset === 'Z' ? 0 : offset === '+08:00' ? 8 : -5.5) * hourMs)
          const local = shifted.toISOString().slice(0, 23)
          return `${local}${String(subNs).padStart(6, '0')}${offset}`
        }
        const state = { ...history.state, lastAt: instant(lastNs) }
        const at = instant(commandNs)
        const stated = { ...command, metadata: { ...command.metadata, at } } as typeof command
        const timeless = decider.decide(stated, forgettingTime(state))
        if (E.isLeft(timeless)) return
        const decision = decider.decide(stated, state)
        if (commandNs < lastNs) {
          expect(E.isLeft(decision) && decision.left.code).toBe('instant-before-history')
          seen.refused++
        } else {
          expect(decision).toEqual(timeless)
          seen.applied++
        }
      }),
      runs,
    )
    expect(seen.refused > 0 && seen.applied > 0).toBe(true)
  })

  it('keeps the last event’s instant in the state: its metadata.at, else the instant in its data', () => {
    fc.assert(
      fc.property(historyArb({ maxSteps: 12 }), (history) => {
        const last = history.events[history.events.length - 1]
        const state = history.state
        if (state._tag !== 'Recorded' || last === undefined) return
        expect(state.lastAt).toBe(last.metadata.at)
        // Without metadata the data's instant stands in (a LicenceRecorded has none).
        const bare = history.events.map(({ type, data }) => ({ type, data }))
        const folded = bare.reduce(decider.evolve, decider.initialState)
        const instants = history.events.filter((event) => event.type !== 'LicenceRecorded')
        expect(folded._tag === 'Recorded' && folded.lastAt).toBe(
          instants.length === 0 ? null : instants[instants.length - 1]?.metadata.at,
        )
      }),
      runs,
    )
  })

  it('in every random history, no accepted decision is stated before the one before it', () => {
    fc.assert(
      fc.property(historyArb(), (history) => {
        let lastMs = Number.NEGATIVE_INFINITY
        for (const entry of history.entries) {
          const atMs = Date.parse(entry.command.metadata.at)
          if (E.isRight(entry.outcome) && entry.outcome.right.length > 0) {
            expect(atMs).toBeGreaterThanOrEqual(lastMs)
            lastMs = atMs
          }
        }
      }),
      runs,
    )
  })
})

describe('rule 10 as examples', () => {
  const licenceNumber = '11010519491231002X'
  const authority = { code: '粤A', name: '广东省广州市公安局交通警察支队' }
  const recorded = {
    type: 'LicenceRecorded',
    data: {
      licenceNumber,
      holder: { accountId: 'acct-zhang', name: '张三' },
      classes: ['C1'],
      validFrom: '2020-03-15',
      validUntil: '2032-03-15',
      authority,
      statuses: ['A'],
      photoOnFile: true,
    },
    metadata: { at: '2026-03-02T09:00:00+08:00' },
  }
  const applied = {
    type: 'ELicenceApplied',
    data: {
      applicationId: 'app-1',
      declaredValidFrom: '2020-03-15',
      appliedAt: '2026-03-02T10:00:00+08:00',
      reviewDueAt: '2026-03-03T02:00:00.000Z',
      calendar: { id: 'cn-state-council', version: 'chinese-days@1.5.7', fallback: false },
    },
    metadata: { at: '2026-03-02T10:00:00+08:00' },
  }
  const command = (type: string, data: Record<string, unknown>, role: string, id: string, at: string) => ({
    type,
    data: { licenceNumber, ...data },
    metadata: { commandId: '00000000-0000-4000-8000-00000000a001', at, actor: { role, id } },
  })
  const renew = (at: string) =>
    command(
      'RenewLicence',
      { classes: ['C1'], validFrom: '2020-03-15', validUntil: '2034-03-15', authority },
      'registry',
      'gz-registry',
      at,
    )

  it('given a licence recorded at 09:00, when the registry renews it stated at 08:59, then instant-before-history', () => {
    spec.given([recorded]).when(renew('2026-03-02T08:59:59+08:00')).thenFails('instant-before-history')
  })
  it('given a licence recorded at 09:00, when renewed at exactly 09:00 (another offset), then it applies', () => {
    spec
      .given([recorded])
      .when(renew('2026-03-02T01:00:00Z'))
      .thenEmits([
        {
          type: 'LicenceRenewed',
          data: {
            classes: ['C1'],
            validFrom: '2020-03-15',
            validUntil: '2034-03-15',
            authority,
            changes: ['expiry'],
            renewedAt: '2026-03-02T01:00:00Z',
          },
        },
      ] as never)
  })
  it('given a licence recorded at 09:00:00.123999999, when renewed at 09:00:00.123000001, then instant-before-history', () => {
    spec
      .given([{ ...recorded, metadata: { at: '2026-03-02T09:00:00.123999999+08:00' } }])
      .when(renew('2026-03-02T09:00:00.123000001+08:00'))
      .thenFails('instant-before-history')
  })
  it('given an application, when a holder withdraws it stated earlier, then instant-before-history', () => {
    spec
      .given([recorded, applied])
      .when(
        command(
          'WithdrawApplication',
          { applicationId: 'app-1' },
          'holder',
          'acct-zhang',
          '2026-03-02T09:30:00+08:00',
        ),
      )
      .thenFails('instant-before-history')
  })
  it('the error order: forbidden, not-licence-holder and review-not-due come before instant-before-history', () => {
    const early = '2026-03-01T09:00:00+08:00'
    const holderRenewing = renew(early)
    spec
      .given([recorded, applied])
      .when({
        ...holderRenewing,
        metadata: { ...holderRenewing.metadata, actor: { role: 'holder', id: 'acct-zhang' } },
      })
      .thenFails('forbidden')
    spec
      .given([recorded, applied])
      .when(command('WithdrawApplication', { applicationId: 'app-1' }, 'holder', 'acct-li', early))
      .thenFails('not-licence-holder')
    spec
      .given([recorded, applied])
      .when(command('ReviewApplication', { applicationId: 'app-1' }, 'system', 'review-job', early))
      .thenFails('review-not-due')
  })
  it('given events without metadata, the instants in their data are the history', () => {
    const { metadata: _recordedAt, ...bareRecorded } = recorded
    const { metadata: _appliedAt, ...bareApplied } = applied
    spec
      .given([bareRecorded])
      .when(renew('2020-01-01T00:00:00Z'))
      .thenEmits([
        {
          type: 'LicenceRenewed',
          data: {
            classes: ['C1'],
            validFrom: '2020-03-15',
            validUntil: '2034-03-15',
            authority,
            changes: ['expiry'],
            renewedAt: '2020-01-01T00:00:00Z',
          },
        },
      ] as never)
    spec
      .given([bareRecorded, bareApplied])
      .when(renew('2026-03-02T09:59:00+08:00'))
      .thenFails('instant-before-history')
  })
})
