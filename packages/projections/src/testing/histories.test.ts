import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { historyScriptArbitrary } from './histories.js'
import { runHistoryScript } from './run-history.js'

describe('generated histories', () => {
  it('reach every kind of event across runs', async () => {
    const seen = new Set<string>()
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary({ maxSteps: 60 }), async (script) => {
        const { events } = await runHistoryScript(script)
        for (const event of events) seen.add(event.type)
      }),
      { numRuns: 150, seed: 42 },
    )
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
