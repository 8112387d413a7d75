import {
  type DecodedStoredEvent,
  evolve,
  initialState,
  isExpiredAt,
  isRevoking,
  type LicenceState,
} from '@elicence/domain'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeHistory, historyScriptArbitrary, licenceNumberFor } from '../testing/histories.js'
import { runHistoryScript } from '../testing/run-history.js'
import { type ELicenceViewState, eLicenceView } from './e-licence.js'
import { maskLicenceNumber, maskName, verifyAt } from './verification.js'
import { foldView } from './view.js'

const dayMs = 86_400_000

describe('verification at an instant', () => {
  it('never says valid for an e-licence that is invalidated, expired, revoked or never issued', async () => {
    // The property is only as good as its histories: they must reach valid verdicts too.
    const verdicts = new Set<string>()
    await fc.assert(
      fc.asyncProperty(
        historyScriptArbitrary(),
        fc.array(fc.integer({ min: -2 * dayMs, max: 12 * 365 * dayMs }), { minLength: 1, maxLength: 4 }),
        async (script, offsets) => {
          const { events } = await runHistoryScript(script)
          const states = new Map<string, { state: LicenceState; view: ELicenceViewState }>()
          for (const event of decodeHistory(events)) {
            const previous = states.get(event.streamId) ?? { state: initialState, view: null }
            const current = {
              state: evolve(previous.state, event),
              view: eLicenceView.evolve(previous.view, event),
            }
            states.set(event.streamId, current)
            for (const offset of offsets) {
              const atMs = Date.parse(event.metadata.at) + offset
              const verdict = verifyAt(current.view, new Date(atMs).toISOString())
              const { state } = current
              // The oracle is the domain's own state and rules, not the view.
              const neverIssued = state._tag === 'Unrecorded' || state.issuedCount === 0
              const invalidated =
                state._tag === 'Recorded' && state.issuedCount > 0 && state.eLicence === null
              const expired = state._tag === 'Recorded' && isExpiredAt(state.licence.validUntil, atMs)
              const revoked = state._tag === 'Recorded' && isRevoking(state.licence.statuses)
              if (neverIssued || invalidated || expired || revoked) expect(verdict.eLicence).not.toBe('valid')
              if (neverIssued) expect(verdict.eLicence).toBe('none')
              if (verdict.eLicence === 'valid')
                expect(state._tag === 'Recorded' && state.eLicence !== null).toBe(true)
              verdicts.add(`${verdict.eLicence} ${verdict.driving}`)
            }
          }
        },
      ),
      // Few random histories reach a valid e-licence checked inside its validity (about 2 in 100):
      // enough runs that the coverage check below does not fail by chance.
      { numRuns: 500 },
    )
    expect([...verdicts]).toEqual(
      expect.arrayContaining(['valid allowed', 'invalid not-allowed', 'none allowed', 'none not-allowed']),
    )
  })

  it('says nothing of a licence it does not know but that it is not found', () => {
    expect(verifyAt(null, '2026-10-09T10:00:00+08:00')).toMatchObject({
      eLicence: 'none',
      driving: 'not-allowed',
      reasons: ['licence-not-found'],
    })
  })

  it('masks the name but its first character, and the number but its region and last four', () => {
    expect(maskName('张三丰')).toBe('张**')
    expect(maskName('欧阳娜娜')).toBe('欧***')
    expect(maskName('李')).toBe('*')
    expect(maskLicenceNumber('11010519491231002X')).toBe('110105********002X')
  })

  const issuedView = async (statusesAfter?: ReadonlyArray<'D' | 'H' | 'F'>) => {
    const { events } = await runHistoryScript({
      licences: [{ licenceNumber: licenceNumberFor(0), photoOnFile: true, statuses: ['A'] }],
      steps: [
        { licence: 0, advanceMinutes: 0, recordLagMinutes: 0, action: { kind: 'apply' } },
        { licence: 0, advanceMinutes: 3 * 24 * 60, recordLagMinutes: 0, action: { kind: 'review' } },
        ...(statusesAfter === undefined
          ? []
          : [
              {
                licence: 0,
                advanceMinutes: 60,
                recordLagMinutes: 0,
                action: { kind: 'change-status' as const, statuses: statusesAfter },
              },
            ]),
      ],
    })
    const decoded: ReadonlyArray<DecodedStoredEvent> = decodeHistory(events)
    return { view: foldView(eLicenceView, decoded), at: decoded[decoded.length - 1]?.metadata.at ?? '' }
  }

  it('given an issued e-licence for C1, when verified, then it is valid, driving is allowed and C1 implies C2 C3 C4', async () => {
    const { view, at } = await issuedView()
    expect(verifyAt(view, at)).toMatchObject({
      eLicence: 'valid',
      driving: 'allowed',
      holderName: '张**',
      licenceNumber: maskLicenceNumber(licenceNumberFor(0)),
      classes: ['C1'],
      mayDrive: ['C1', 'C2', 'C3', 'C4'],
      abnormal: false,
      reasons: [],
    })
  })

  it('given a suspended licence (D), then the e-licence stays valid but shown abnormal, and driving is not allowed', async () => {
    const { view, at } = await issuedView(['D'])
    expect(verifyAt(view, at)).toMatchObject({
      eLicence: 'valid',
      driving: 'not-allowed',
      abnormal: true,
      reasons: ['abnormal-status', 'driving-barred-by-status'],
    })
  })

  it('given a revoked licence (F), then the e-licence is invalid and invalidated', async () => {
    const { view, at } = await issuedView(['F'])
    expect(verifyAt(view, at)).toMatchObject({ eLicence: 'invalid', driving: 'not-allowed' })
    expect(verifyAt(view, at).reasons).toEqual(expect.arrayContaining(['invalidated', 'revoked']))
  })

  it('given an issued e-licence, when verified after the licence expired, then it is invalid and expired', async () => {
    const { view } = await issuedView()
    if (view === null || view.validUntil === 'long-term') throw new Error('the scenario has a dated licence')
    const dayAfter = new Date(Date.parse(`${view.validUntil}T16:00:00Z`) + 1000).toISOString()
    expect(verifyAt(view, dayAfter)).toMatchObject({
      eLicence: 'invalid',
      driving: 'not-allowed',
      reasons: ['expired'],
    })
  })
})
