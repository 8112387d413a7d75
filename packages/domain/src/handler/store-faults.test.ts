// `handle` answers with a value whatever the store does (DESIGN §4: Either<HandlerError, …>): a
// store that throws, or rejects, instead of answering an Either is a `store-failure`, with its message.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { chinaMainlandCalendar } from '../calendar/calendar.js'
import { licenceDecider } from '../licence/decider.js'
import { inMemoryEventStore } from '../store/in-memory.js'
import type { EventStore } from '../store/port.js'
import { validRecord } from '../testing/invalid-commands.js'
import { commandHandler } from './handler.js'

const record = validRecord()
// Another valid citizen ID number (GB 11643 check character 7).
const otherLicenceNumber = '110105195001011007'

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

describe('a store that answers what the port never answers', () => {
  const appended = (version: number, events: ReadonlyArray<unknown>) => E.right({ events, version })
  const faults: ReadonlyArray<[string, (store: EventStore) => EventStore, RegExp]> = [
    [
      'appendToStream answers Right(null)',
      (store) => ({ ...unlocked(store), appendToStream: async () => E.right(null) as never }),
      /reported appending null/,
    ],
    [
      'decideAndAppend answers 42',
      (store) => ({ ...store, decideAndAppend: async () => 42 as never }),
      /answered 42/,
    ],
    [
      'decideAndAppend fails with null',
      (store) => ({ ...store, decideAndAppend: async () => E.left(null) as never }),
      /failed with null, which is no store error/,
    ],
    [
      'decideAndAppend fails with a text',
      (store) => ({ ...store, decideAndAppend: async () => E.left('busy') as never }),
      /failed with "busy"/,
    ],
    [
      'readStream answers null',
      (store) => ({ ...unlocked(store), readStream: async () => null as never }),
      /readStream answered null, which is no Either of the port/,
    ],
    [
      'readStream answers a stream at version 3 without events',
      (store) => ({ ...unlocked(store), readStream: async () => appended(3, []) as never }),
      /readStream answered no events and version 3/,
    ],
    [
      'readStream answers version -5 and no events array',
      (store) => ({ ...unlocked(store), readStream: async () => E.right({ version: -5 }) as never }),
      /readStream answered no \{ events, version \}/,
    ],
    [
      'appendToStream answers {}',
      (store) => ({ ...unlocked(store), appendToStream: async () => ({}) as never }),
      /appendToStream answered \{\}, which is no Either of the port/,
    ],
    [
      'decideAndAppend hands decide no stream',
      (store) => ({
        ...store,
        decideAndAppend: async (request) => E.right(request.decide({ version: 'x' } as never)) as never,
      }),
      /gave decide version "x"/,
    ],
    [
      'appendToStream says it appended nothing, having written nothing',
      (store) => ({ ...unlocked(store), appendToStream: async () => appended(0, []) as never }),
      /not the events decided/,
    ],
    [
      'appendToStream says it appended a junk event at version 99',
      (store) => ({
        ...unlocked(store),
        appendToStream: async () => appended(99, [{ type: 'Junk', version: 99 }]) as never,
      }),
      /not the events decided/,
    ],
  ]
  it.each(faults)(
    '%s: store-failure saying what it answered, never a throw',
    async (_fault, broken, said) => {
      const handle = commandHandler({
        store: broken(inMemoryEventStore()),
        decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
        clock: () => new Date('2026-10-01T01:00:00Z'),
      })
      const outcome = await handle(record)
      expect(E.isLeft(outcome) && outcome.left.code).toBe('store-failure')
      expect(E.isLeft(outcome) && outcome.left.message).toMatch(said)
    },
  )
})

describe('a stored event of no stored shape, read back', () => {
  const broken: ReadonlyArray<[string, (event: Record<string, unknown>) => unknown, RegExp]> = [
    ['null', () => null, /not a stored event/],
    ['a text', () => 'LicenceRecorded', /not a stored event/],
    ['without metadata', ({ metadata: _metadata, ...rest }) => rest, /metadata/],
    ['with null metadata', (event) => ({ ...event, metadata: null }), /metadata/],
    ['without data', ({ data: _data, ...rest }) => rest, /data: expected a JSON value, got nothing/],
  ]
  it.each(broken)(
    'an event that is %s is a corrupt-event at its stream and version, for a handler that has not folded it',
    async (_case, edit, said) => {
      const store = inMemoryEventStore()
      const decider = licenceDecider({ calendar: chinaMainlandCalendar() })
      const clock = () => new Date('2026-10-01T01:00:00Z')
      const recorded = await commandHandler({ store, decider, clock })(record)
      expect(E.isRight(recorded)).toBe(true)
      const edited: EventStore = {
        ...unlocked(store),
        readStream: async (streamId) => {
          const read = await store.readStream(streamId)
          return E.isLeft(read)
            ? read
            : E.right({
                ...read.right,
                events: read.right.events.map((event) => edit(event as never) as never),
              })
        },
      }
      const again = await commandHandler({ store: edited, decider, clock })({
        ...record,
        metadata: { ...record.metadata, commandId: '7a0d9a8e-0000-4000-8000-000000000002' },
      })
      expect(E.isLeft(again) && again.left).toMatchObject({
        code: 'corrupt-event',
        streamId: `licence-${record.data.licenceNumber}`,
        version: 0,
      })
      expect(E.isLeft(again) && again.left.message).toMatch(said)
    },
  )
})

describe('a store that does not answer', () => {
  it('is answered with a store failure once storeDeadlineMs has passed, and the same command later says what became of it', async () => {
    const store = inMemoryEventStore()
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const slow: EventStore = {
      ...store,
      decideAndAppend: async (request) => {
        await held
        return (store.decideAndAppend as NonNullable<EventStore['decideAndAppend']>)(request)
      },
    }
    const options = {
      decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
      clock: () => new Date('2026-10-01T01:00:00Z'),
    }
    const handle = commandHandler({ ...options, store: slow, storeDeadlineMs: 50 })
    const started = Date.now()
    const outcome = await handle(record)
    expect(E.isLeft(outcome) && outcome.left.code).toBe('store-failure')
    expect(E.isLeft(outcome) && outcome.left.message).toMatch(
      /did not answer within 50 ms \(storeDeadlineMs\)/,
    )
    expect(Date.now() - started).toBeLessThan(10_000)
    // The store answers at last: the command was appended, and sent again it is replayed.
    release()
    await new Promise((resolve) => setTimeout(resolve, 10))
    const again = await commandHandler({ ...options, store })(record)
    expect(E.isRight(again) && again.right.replayed).toBe(true)
  })

  it('lets commands queued on a busy licence wait their turn past the deadline while the store answers them; a stuck licence fails alone', async () => {
    const store = inMemoryEventStore()
    const locked = store.decideAndAppend as NonNullable<EventStore['decideAndAppend']>
    // One command of a licence at a time, 40 ms each, as behind a stream's lock; one licence stuck.
    const queues = new Map<string, Promise<unknown>>()
    const stuck = `licence-${otherLicenceNumber}`
    const queued: EventStore = {
      ...store,
      decideAndAppend: (request) => {
        if (request.streamId === stuck) return new Promise(() => undefined)
        const turn = (queues.get(request.streamId) ?? Promise.resolve()).then(async () => {
          await new Promise((resolve) => setTimeout(resolve, 40))
          return locked(request)
        })
        queues.set(request.streamId, turn)
        return turn as never
      },
    }
    const handle = commandHandler({
      store: queued,
      decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
      clock: () => new Date('2026-10-01T01:00:00Z'),
      storeDeadlineMs: 200,
    })
    const status = (statuses: ReadonlyArray<string>, index: number) => ({
      type: 'ChangeLicenceStatus',
      data: { licenceNumber: record.data.licenceNumber, statuses },
      metadata: {
        ...record.metadata,
        commandId: `7a0d9a8e-0000-4000-8000-${String(index).padStart(12, '0')}`,
      },
    })
    const started = Date.now()
    const [recorded, ...changes] = await Promise.all([
      handle(record),
      // Twenty commands on one licence: the last waits some 800 ms, four times the deadline.
      ...Array.from({ length: 20 }, (_, index) => handle(status(index % 2 === 0 ? ['H'] : ['A'], index + 1))),
    ])
    expect(Date.now() - started).toBeGreaterThan(600)
    expect(E.isRight(recorded as never)).toBe(true)
    for (const outcome of changes)
      expect(E.isLeft(outcome) ? outcome.left.code : 'applied').not.toBe('store-failure')
    const stuckOutcome = await handle({
      ...record,
      data: { ...record.data, licenceNumber: otherLicenceNumber },
    })
    expect(E.isLeft(stuckOutcome) && stuckOutcome.left.message).toMatch(/did not answer within 200 ms/)
  })

  it('is answered at its deadline in a process that has nothing else to wait for', async () => {
    // A child of its own: in this process vitest's own timers would keep it running anyway.
    const hooks = new URL('../../../adapters/sqlite/src/typescript-hooks.fixture.mjs', import.meta.url).href
    const run = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      execFile(
        process.execPath,
        [
          '--conditions=@elicence/source',
          '--import',
          `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hooks)})`)}`,
          fileURLToPath(new URL('./deadline-alone.fixture.ts', import.meta.url)),
        ],
        { timeout: 60_000 },
        (error, stdout) =>
          error !== null && typeof error.code !== 'number'
            ? reject(error)
            : resolve({ code: error === null ? 0 : (error.code as number), stdout }),
      )
    })
    expect(run.stdout).toMatch(/^store-failure: the store did not answer within 300 ms/)
    expect(run.code).toBe(0)
  })
})

describe('options and callbacks that are no setting', () => {
  const decider = licenceDecider({ calendar: chinaMainlandCalendar() })
  const clock = () => new Date('2026-10-01T01:00:00Z')

  it('refuses options of the wrong kind when the handler is made, naming the option', () => {
    const store = inMemoryEventStore()
    const cases: ReadonlyArray<[Record<string, unknown>, RegExp]> = [
      [{ store: null, decider }, /store must be an EventStore/],
      [{ store, decider: undefined }, /decider must be a LicenceDecider/],
      [
        { store, decider, maxAttempts: 0 },
        /maxAttempts must be a whole number of attempts, at least 1, got 0/,
      ],
      [{ store, decider, maxAttempts: Number.NaN }, /maxAttempts .* got NaN/],
      [
        { store, decider, maxClockSkewMs: Number.NaN },
        /maxClockSkewMs must be a number of milliseconds, 0 or more/,
      ],
      [{ store, decider, maxClockSkewMs: -1e9 }, /maxClockSkewMs/],
      [{ store, decider, stateCacheSize: -1 }, /stateCacheSize/],
      [{ store, decider, storeDeadlineMs: 0 }, /storeDeadlineMs/],
      [{ store, decider, clock: 'now' }, /clock must be a function/],
      [{ store, decider, decoder: {} }, /decoder must be a StoredEventDecoder/],
    ]
    for (const [options, said] of cases) expect(() => commandHandler(options as never)).toThrow(said)
  })

  it.each([
    ['newEventId gives a number', { newEventId: () => 5 }, /newEventId gave 5, which is no event id/],
    ['newEventId gives an empty text', { newEventId: () => '' }, /newEventId gave "", which is no event id/],
    ['digest gives an empty text', { digest: () => '' }, /digest gave "", not 64 lowercase hex digits/],
    [
      'the clock gives an invalid Date',
      { clock: () => new Date(Number.NaN) },
      /clock gave an invalid Date, not a valid Date/,
    ],
    [
      'the clock throws',
      {
        clock: () => {
          throw new Error('no time source')
        },
      },
      /no time source/,
    ],
  ])('%s: a store failure naming it, and nothing appended', async (_case, given, said) => {
    const store = inMemoryEventStore()
    const handle = commandHandler({ store, decider, clock, ...given } as never)
    const outcome = await handle(record)
    expect(E.isLeft(outcome) && outcome.left.code).toBe('store-failure')
    expect(E.isLeft(outcome) && outcome.left.message).toMatch(said)
    const stream = await store.readAll({ after: 0, limit: 10 })
    expect(E.isRight(stream) && stream.right.events).toEqual([])
  })
})

describe('a command that is no JSON data', () => {
  const throwing = {
    ...record,
    get data(): unknown {
      throw new Error('getter says no')
    },
  }
  const proxy = new Proxy(
    {},
    {
      ownKeys: () => {
        throw new Error('proxy says no')
      },
      get: () => {
        throw new Error('proxy says no')
      },
    },
  )
  it.each([
    ['a function', () => undefined, /expected a command object, got a function/],
    ['a symbol', Symbol('x'), /got a symbol/],
    [
      'a symbol as its type',
      { ...record, type: Symbol('RecordLicence') },
      /type: expected one of .* got a symbol/,
    ],
    ['a BigInt in its data', { ...record, data: { ...record.data, classes: [1n] } }, /classes/],
    ['a getter that throws', throwing, /cannot be read as JSON data: getter says no/],
    ['a Proxy that throws', proxy, /cannot be read as JSON data: proxy says no/],
  ])('%s: invalid-command naming what is wrong, never a throw', async (_case, json, said) => {
    const handle = commandHandler({
      store: inMemoryEventStore(),
      decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
    })
    const outcome = await handle(json)
    expect(E.isLeft(outcome) && outcome.left.code).toBe('invalid-command')
    expect(E.isLeft(outcome) && outcome.left.message).toMatch(said)
  })
})
