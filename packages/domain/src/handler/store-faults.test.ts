// `handle` answers with a value whatever the store does (DESIGN §4: Either<HandlerError, …>): a
// store that throws, or rejects, instead of answering an Either is a `store-failure`, with its message.
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import { licenceDecider } from '../licence/decider.js'
import { inMemoryEventStore } from '../store/in-memory.js'
import type { EventStore } from '../store/port.js'
import { validRecord } from '../testing/invalid-commands.js'
import { commandHandler } from './handler.js'

const record = validRecord()

const socketClosed = () => {
  throw new Error('socket closed')
}

/** The store on the optimistic path: its reads and appends called one by one, not under its lock. */
const unlocked = (store: EventStore): EventStore => {
  const { decideAndAppend: _lock, ...rest } = store
  return rest
}

describe('a store that throws instead of answering', () => {
  const faults: ReadonlyArray<[string, (store: EventStore) => EventStore]> = [
    ['readStream throws', (store) => ({ ...unlocked(store), readStream: socketClosed })],
    ['readStream rejects', (store) => ({ ...unlocked(store), readStream: async () => socketClosed() })],
    [
      'appendToStream rejects',
      (store) => ({ ...unlocked(store), appendToStream: async () => socketClosed() }),
    ],
    ['decideAndAppend throws at once', (store) => ({ ...store, decideAndAppend: socketClosed })],
    [
      'readStream answers no Either',
      (store) => ({ ...unlocked(store), readStream: async () => 42 as never }),
    ],
  ]
  it.each(faults)('%s: handle answers store-failure, naming what the store said', async (fault, broken) => {
    const store = broken(inMemoryEventStore())
    const handle = commandHandler({
      store,
      decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
      clock: () => new Date('2026-10-01T01:00:00Z'),
    })
    const outcome = await handle(record)
    expect(E.isLeft(outcome) && outcome.left.code).toBe('store-failure')
    if (fault !== 'readStream answers no Either')
      expect(E.isLeft(outcome) && outcome.left.message).toContain('socket closed')
  })
})
