// After a restart the review queue's read model is far behind the store: the first request must
// not wait for it to catch up. The runner's reads are held back at a gate (so the test decides
// when the catch-up may proceed, instead of racing it): the request is answered at once from the
// last checkpoint, saying how far behind it is, in the body and the headers; once the gate opens,
// the background catch-up brings it to the head, and a request a little behind catches up first.
import {
  chinaMainlandCalendar,
  commandHandler,
  type EventStore,
  inMemoryEventStore,
  licenceDecider,
} from '@elicence/domain'
import { licenceNumberArb } from '@elicence/domain/testing'
import { inMemoryReadModelStore } from '@elicence/projections'
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { createServer } from './server.js'
import {
  applyCommand,
  recordLicenceCommand,
  testIssuerKeys,
  testStart,
  testTokens,
  testTokenTable,
} from './test-support/test-server.js'

const decider = licenceDecider({ calendar: chinaMainlandCalendar() })
const clock = () => new Date(testStart)

/** Records and applies for `licences` licences: two events each. */
const filledStore = async (
  licences: number,
): Promise<{ store: EventStore; numbers: ReadonlyArray<string> }> => {
  const store = inMemoryEventStore()
  const handle = commandHandler({ store, decider, clock })
  const numbers = [...new Set(fc.sample(licenceNumberArb, { numRuns: licences * 2, seed: 9 }))].slice(
    0,
    licences,
  )
  for (const number of numbers) {
    const record = recordLicenceCommand(number, `acct-${number}`)
    const recorded = await handle({
      ...record,
      metadata: { ...record.metadata, at: testStart, actor: { role: 'registry', id: 'registry-1' } },
    })
    if (E.isLeft(recorded)) throw new Error(recorded.left.message)
    const apply = applyCommand(number)
    const applied = await handle({
      ...apply,
      metadata: { ...apply.metadata, at: testStart, actor: { role: 'holder', id: `acct-${number}` } },
    })
    if (E.isLeft(applied)) throw new Error(applied.left.message)
  }
  return { store, numbers }
}

describe('the review queue after a restart', () => {
  it('answers at once from its checkpoint while far behind, then catches up in the background', async () => {
    const { store: inner } = await filledStore(300)
    let open: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    // Only the runner reads pages of more than one event; the health probe's one-event read passes.
    const store: EventStore = {
      ...inner,
      readAll: async (options) => {
        if (options.limit > 1) await gate
        return inner.readAll(options)
      },
    }
    const app = createServer({
      store,
      decider,
      tokens: testTokenTable(),
      issuerKeys: await testIssuerKeys(),
      clock,
      readModels: inMemoryReadModelStore(),
      inlineCatchUpLimit: 100,
    })
    await app.ready()
    const get = () =>
      app.inject({
        method: 'GET',
        url: '/review-queue?limit=1000',
        headers: { authorization: `Bearer ${testTokens.reviewer}` },
      })
    try {
      const first = await get()
      expect(first.statusCode).toBe(200)
      expect(first.json()).toEqual({ entries: [], checkpoint: 0, head: 600, behind: 600 })
      expect(first.headers['elicence-read-model-position']).toBe('0')
      expect(first.headers['elicence-store-head']).toBe('600')
      expect(first.headers['elicence-read-model-behind']).toBe('600')

      open()
      let latest = first.json()
      for (let attempt = 0; attempt < 200 && latest.behind !== 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 25))
        latest = (await get()).json()
      }
      expect(latest).toMatchObject({ checkpoint: 600, head: 600, behind: 0 })
      expect(latest.entries).toHaveLength(300)

      // A little behind: the request waits for the catch-up and sees the new application.
      const { numbers } = { numbers: [...new Set(fc.sample(licenceNumberArb, { numRuns: 800, seed: 10 }))] }
      const fresh = numbers.find(
        (number) =>
          !latest.entries.some((entry: { licenceNumber: string }) => entry.licenceNumber === number),
      )
      if (fresh === undefined) throw new Error('no fresh licence number')
      const handle = commandHandler({ store: inner, decider, clock })
      const record = recordLicenceCommand(fresh, `acct-${fresh}`)
      await handle({
        ...record,
        metadata: { ...record.metadata, at: testStart, actor: { role: 'registry', id: 'registry-1' } },
      })
      const apply = applyCommand(fresh)
      await handle({
        ...apply,
        metadata: { ...apply.metadata, at: testStart, actor: { role: 'holder', id: `acct-${fresh}` } },
      })
      const after = (await get()).json()
      expect(after).toMatchObject({ checkpoint: 602, head: 602, behind: 0 })
      expect(after.entries.map((entry: { licenceNumber: string }) => entry.licenceNumber)).toContain(fresh)
    } finally {
      open()
      await app.close()
    }
  })
})
