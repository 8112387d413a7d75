// Commands at once on one licence: each reads and folds only what came after the commands before
// it, not everything appended since the burst began (which made a burst quadratic: 2,000 at once on
// SQLite took four times as long per command as 1,000). Counted, not timed: the events the store
// hands to each decision.
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import { licenceDecider } from '../licence/decider.js'
import { inMemoryEventStore } from '../store/in-memory.js'
import type { EventStore } from '../store/port.js'
import { validRecord } from '../testing/invalid-commands.js'
import { commandHandler } from './handler.js'

const record = validRecord()
const statusChange = (index: number) => ({
  type: 'ChangeLicenceStatus',
  data: { licenceNumber: record.data.licenceNumber, statuses: index % 2 === 0 ? ['H'] : ['A'] },
  metadata: {
    ...record.metadata,
    commandId: `7a0d9a8e-0000-4000-8000-${String(index + 1).padStart(12, '0')}`,
  },
})

describe('a burst of commands on one licence', () => {
  it('each decision is handed what came after the one before, not the whole burst', async () => {
    const inner = inMemoryEventStore()
    let handed = 0
    const store: EventStore = {
      ...inner,
      decideAndAppend: (request) =>
        (inner.decideAndAppend as NonNullable<EventStore['decideAndAppend']>)({
          ...request,
          // Read when the store reads, as the handler's own request is.
          get after() {
            return request.after
          },
          decide: (since) => {
            handed += since.events.length
            return request.decide(since)
          },
        }),
    }
    const handle = commandHandler({
      store,
      decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
      clock: () => new Date('2026-10-01T01:00:00Z'),
    })
    expect(E.isRight(await handle(record))).toBe(true)
    handed = 0
    const count = 200
    const outcomes = await Promise.all(
      Array.from({ length: count }, (_, index) => handle(statusChange(index))),
    )
    expect(outcomes.every(E.isRight)).toBe(true)
    // Each decision folds the events of the one before it: about the burst's size, where the whole
    // burst each time is count²/2 = 20,000.
    expect(handed).toBeLessThan(4 * count)
  })
})
