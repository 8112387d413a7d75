// How far `historyScriptArbitrary` reaches: over a fixed seed, the share of scripts that get to each
// state the projections' properties are about. A property over these scripts proves only as much as
// they reach (an outside measurement found 6 % issuing an e-licence, none with an accepted photo), so
// an arbitrary that stops reaching a state fails here instead of leaving the properties idle.
import { isAbnormal, isExpiredAt, isRevoking, type LicenceStatus } from '@elicence/domain'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { historyScriptArbitrary } from './histories.js'
import { type HistoryRun, runHistoryScript } from './run-history.js'

const reaches = [
  'an application',
  'an issued e-licence',
  'a photo submitted and accepted',
  'a photo rejected',
  'a withdrawal',
  'an application voided',
  'a renewal invalidating an active e-licence',
  'an abnormal status beside an active e-licence',
  'a status revoking an active e-licence',
  'a decision while the e-licence is active and its licence expired',
  'an e-licence issued after an invalidation',
  'a decision while the licence is expired',
] as const
type Reach = (typeof reaches)[number]

const reachOf = ({ events, decisions }: HistoryRun): ReadonlySet<Reach> => {
  const reached = new Set<Reach>()
  const active = new Set<string>()
  const invalidated = new Set<string>()
  for (const { type, streamId, data } of events) {
    const fields = data as { readonly statuses?: ReadonlyArray<LicenceStatus>; readonly reason?: string }
    if (type === 'ELicenceApplied') reached.add('an application')
    if (type === 'PhotoSubmitted') reached.add('a photo submitted and accepted')
    if (type === 'PhotoRejected') reached.add('a photo rejected')
    if (type === 'ApplicationWithdrawn') reached.add('a withdrawal')
    if (type === 'ApplicationVoided') reached.add('an application voided')
    if (type === 'ELicenceIssued') {
      reached.add('an issued e-licence')
      if (invalidated.has(streamId)) reached.add('an e-licence issued after an invalidation')
      active.add(streamId)
    }
    const statuses = fields.statuses ?? []
    if (
      type === 'LicenceStatusChanged' &&
      active.has(streamId) &&
      isAbnormal(statuses) &&
      !isRevoking(statuses)
    )
      reached.add('an abnormal status beside an active e-licence')
    if (type === 'ELicenceInvalidated') {
      reached.add(
        fields.reason === 'renewal'
          ? 'a renewal invalidating an active e-licence'
          : 'a status revoking an active e-licence',
      )
      active.delete(streamId)
      invalidated.add(streamId)
    }
  }
  for (const { before, at } of decisions) {
    if (before._tag !== 'Recorded' || !isExpiredAt(before.licence.validUntil, Date.parse(at))) continue
    reached.add('a decision while the licence is expired')
    if (before.eLicence !== null)
      reached.add('a decision while the e-licence is active and its licence expired')
  }
  return reached
}

const sampleSize = 300
const runAll = async (options: Parameters<typeof historyScriptArbitrary>[0], numRuns: number) => {
  const runs: HistoryRun[] = []
  for (const script of fc.sample(historyScriptArbitrary(options), { numRuns, seed: 2026 }))
    runs.push(await runHistoryScript(script))
  return runs
}
const refusedShare = (runs: ReadonlyArray<HistoryRun>) => {
  const decisions = runs.flatMap((run) => run.decisions)
  return decisions.filter((decision) => decision.refused !== undefined).length / decisions.length
}

let runs: ReadonlyArray<HistoryRun> = []
beforeAll(async () => {
  runs = await runAll({}, sampleSize)
})
const shareOf = (reach: Reach) => runs.filter((run) => reachOf(run).has(reach)).length / sampleSize

describe('historyScriptArbitrary reaches the lifecycle', () => {
  // At about two thirds of what this seed gives, so a small change of draws passes, a lost state does not.
  it.each<[Reach, number]>([
    ['an application', 0.6],
    // Most scripts, as the properties about e-licences and their credentials need.
    ['an issued e-licence', 0.5],
    ['a photo submitted and accepted', 0.2],
    ['a photo rejected', 0.25],
    ['a withdrawal', 0.18],
    ['an application voided', 0.25],
    ['a renewal invalidating an active e-licence', 0.4],
    ['an abnormal status beside an active e-licence', 0.22],
    ['a status revoking an active e-licence', 0.18],
    ['a decision while the e-licence is active and its licence expired', 0.22],
    ['an e-licence issued after an invalidation', 0.3],
    ['a decision while the licence is expired', 0.24],
  ])('%s in at least %f of scripts', (reach, least) => {
    expect(shareOf(reach)).toBeGreaterThanOrEqual(least)
  })

  it('has expiry in a minority of scripts, and refusals among the steps, for many reasons', () => {
    expect(shareOf('a decision while the licence is expired')).toBeLessThan(0.5)
    expect(refusedShare(runs)).toBeGreaterThan(0.1)
    expect(refusedShare(runs)).toBeLessThan(0.45)
    const reasons = new Set(runs.flatMap((run) => run.decisions.map((decision) => decision.refused)))
    expect(reasons.size).toBeGreaterThanOrEqual(8)
  })

  it('with no fitting steps, gives the random commands alone, refused far more often', async () => {
    expect(refusedShare(await runAll({ fitting: 0 }, 100))).toBeGreaterThan(refusedShare(runs) + 0.2)
    for (const fitting of [-0.1, 1.5, Number.NaN])
      expect(() => historyScriptArbitrary({ fitting })).toThrow(RangeError)
  })

  it('reaches every kind of event across runs', () => {
    const seen = new Set(runs.flatMap((run) => run.events.map((event) => event.type)))
    expect([...seen].sort()).toEqual([
      'ApplicationVoided',
      'ApplicationWithdrawn',
      'ELicenceApplied',
      'ELicenceInvalidated',
      'ELicenceIssued',
      'LicenceRecorded',
      'LicenceRenewed',
      'LicenceStatusChanged',
      'PhotoRejected',
      'PhotoSubmitted',
    ])
  })
})
