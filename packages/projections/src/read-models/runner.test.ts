import { type EventStore, inMemoryEventStore, type StoredEvent } from '@elicence/domain'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { decodeHistory, historyScriptArbitrary, licenceNumberFor } from '../testing/histories.js'
import { dumpReadModels, eventsUpTo } from '../testing/read-model-store-conformance.js'
import { runHistoryScript } from '../testing/run-history.js'
import { inMemoryReadModelStore } from './in-memory.js'
import { readModelQueries } from './queries.js'
import { replayReadModels } from './replay.js'
import { projectionRunner } from './runner.js'

const right = <A>(either: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(either)) throw new Error(either.left.message)
  return either.right
}

/** An event source that serves a fixed (possibly tampered) list of events. */
const serving = (events: ReadonlyArray<StoredEvent>): Pick<EventStore, 'readAll'> =>
  eventsUpTo(events, { position: Number.MAX_SAFE_INTEGER })

/** One licence, applied for and then withdrawn: a short stream to tamper with. */
const appliedThenWithdrawn = () =>
  runHistoryScript({
    licences: [{ licenceNumber: licenceNumberFor(0), photoOnFile: true, statuses: ['A'] }],
    steps: [
      { licence: 0, advanceMinutes: 5, recordLagMinutes: 0, action: { kind: 'apply' } },
      { licence: 0, advanceMinutes: 5, recordLagMinutes: 0, action: { kind: 'withdraw' } },
    ],
  })

describe('projection runner and queries', () => {
  it('answers every query as the in-memory replay of the same history does', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyScriptArbitrary(),
        fc.integer({ min: 1, max: 9 }),
        async (script, batchSize) => {
          const { events } = await runHistoryScript(script)
          const readModels = inMemoryReadModelStore()
          right(await projectionRunner({ events: serving(events), readModels, batchSize }).catchUp())
          const replay = replayReadModels()
          for (const event of decodeHistory(events)) right(replay.apply(event))
          const queries = readModelQueries(readModels)
          for (const { licenceNumber } of script.licences) {
            expect(right(await queries.view(licenceNumber))).toEqual(replay.view(licenceNumber))
            const at = events[events.length - 1]?.metadata.at ?? '2026-01-01T00:00:00Z'
            expect(right(await queries.verification(licenceNumber, at))).toEqual(
              replay.verification(licenceNumber, at),
            )
          }
          expect(right(await queries.reviewQueue())).toEqual(replay.reviewQueue())
          const dueBy = events[Math.floor(events.length / 2)]?.metadata.at ?? '2026-01-01T00:00:00Z'
          expect(right(await queries.reviewQueue({ dueBy, limit: 2 }))).toEqual(
            replay.reviewQueue({ dueBy, limit: 2 }),
          )
          expect(right(await queries.statistics())).toEqual(replay.statistics())
          expect(right(await queries.checkpoint())).toEqual(replay.checkpoint())
          expect(right(await queries.view(licenceNumberFor(99)))).toBeNull()
        },
      ),
    )
  })

  it('given runners of one projection sharing a store, interleaved at every read, then each ends caught up, none reports a corrupt event, and the read models are one runner’s', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyScriptArbitrary(),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.infiniteStream(fc.nat({ max: 12 })),
        async (script, runners, batchSize, delays) => {
          const { events } = await runHistoryScript(script)
          const shared = inMemoryReadModelStore()
          // Every read and commit waits a few turns of the event loop, chosen by fast-check, so the
          // runners' reads of one step interleave with the others' commits in every order.
          const turns = delays[Symbol.iterator]()
          const later = async <A>(read: () => Promise<A>): Promise<A> => {
            for (let turn = turns.next().value ?? 0; turn > 0; turn--) await new Promise(setImmediate)
            return read()
          }
          const interleaved: typeof shared = {
            ...shared,
            loadCheckpoint: (projection) => later(() => shared.loadCheckpoint(projection)),
            load: (projection, collection, keys) => later(() => shared.load(projection, collection, keys)),
            commit: (projection, changes, advance) =>
              later(() => shared.commit(projection, changes, advance)),
          }
          const outcomes = await Promise.all(
            Array.from({ length: runners }, () =>
              projectionRunner({ events: serving(events), readModels: interleaved, batchSize }).catchUp(),
            ),
          )
          for (const outcome of outcomes) expect(right(outcome).position).toBe(events.at(-1)?.position ?? 0)
          const alone = inMemoryReadModelStore()
          right(await projectionRunner({ events: serving(events), readModels: alone, batchSize }).catchUp())
          expect(await dumpReadModels(shared, 'elicence')).toEqual(await dumpReadModels(alone, 'elicence'))
        },
      ),
      { numRuns: 60 },
    )
  })

  it('records the position and the chain hash it reached', async () => {
    const { events } = await runHistoryScript({
      licences: [{ licenceNumber: licenceNumberFor(0), photoOnFile: true, statuses: ['A'] }],
      steps: [{ licence: 0, advanceMinutes: 5, recordLagMinutes: 0, action: { kind: 'apply' } }],
    })
    const last = events[events.length - 1] as StoredEvent
    const checkpoint = right(
      await projectionRunner({ events: serving(events), readModels: inMemoryReadModelStore() }).catchUp(),
    )
    expect(checkpoint).toEqual({
      position: last.position,
      streamId: last.streamId,
      version: last.version,
      hash: last.metadata.hash,
    })
  })

  it('given an event that does not decode, then it stops before it and never skips it', async () => {
    const { events } = await appliedThenWithdrawn()
    const broken = events.map((event, index) =>
      index === 1 ? { ...event, data: { nonsense: true } } : event,
    )
    const readModels = inMemoryReadModelStore()
    const outcome = await projectionRunner({ events: serving(broken), readModels, batchSize: 1 }).catchUp()
    expect(E.isLeft(outcome) && outcome.left.code).toBe('corrupt-event')
    expect(right(await readModels.loadCheckpoint('elicence')).position).toBe(events[0]?.position)
  })

  it("given an event that does not continue its stream's chain, then it stops", async () => {
    const { events } = await appliedThenWithdrawn()
    const gap = events.filter((_, index) => index !== 1)
    const outcome = await projectionRunner({
      events: serving(gap),
      readModels: inMemoryReadModelStore(),
    }).catchUp()
    expect(E.isLeft(outcome) ? outcome.left.message : '').toMatch(/expected version 1/)
  })

  it('given a following runner, when the store fails now and then, then it retries; when an event is corrupt, then it stops', async () => {
    const { events } = await appliedThenWithdrawn()
    const source = serving(
      events.map((event, index) => (index === 2 ? { ...event, type: 'Nonsense' } : event)),
    )
    let calls = 0
    const flaky: Pick<EventStore, 'readAll'> = {
      readAll: (options) => {
        calls++
        return calls % 2 === 1
          ? Promise.resolve(E.left({ code: 'store-failure', message: 'busy' }))
          : source.readAll(options)
      },
    }
    const errors: string[] = []
    const following = projectionRunner({
      events: flaky,
      readModels: inMemoryReadModelStore(),
      batchSize: 1,
      pollIntervalMs: 1,
      onError: (error) => errors.push(error.code),
    }).follow()
    const outcome = await following.done
    expect(E.isLeft(outcome) && outcome.left.code).toBe('corrupt-event')
    expect(errors).toContain('store-failure')
    expect(errors[errors.length - 1]).toBe('corrupt-event')
  })

  it('given a following runner, when events are appended later, then it applies them, and it stops when asked', async () => {
    const store = inMemoryEventStore()
    const readModels = inMemoryReadModelStore()
    await runHistoryScript(
      { licences: [{ licenceNumber: licenceNumberFor(0), photoOnFile: true, statuses: ['A'] }], steps: [] },
      { store },
    )
    let reached: (position: number) => void = () => undefined
    const waitFor = (position: number) =>
      new Promise<void>((resolve) => {
        reached = (at) => {
          if (at >= position) resolve()
        }
      })
    const first = waitFor(1)
    const following = projectionRunner({
      events: store,
      readModels,
      pollIntervalMs: 5,
      onBatch: ({ checkpoint }) => reached(checkpoint.position),
    }).follow()
    await first
    const second = waitFor(2)
    const { events } = await runHistoryScript(
      { licences: [{ licenceNumber: licenceNumberFor(1), photoOnFile: true, statuses: ['A'] }], steps: [] },
      { store },
    )
    await second
    const stopped = right(await following.stop())
    expect(stopped.position).toBe(events[events.length - 1]?.position)
    expect(right(await readModelQueries(readModels).view(licenceNumberFor(1)))?.state).toBe('none')
  })
})
