/**
 * Conformance cases for appends that race: one winner per expected version, `any` appends that all
 * land on one unbroken chain, a polling reader that sees every committed event exactly once while
 * writers run (the late-commit case of DESIGN §4), and a model-based property over random appends.
 * Registered by `eventStoreConformance`, not used alone.
 *
 * @example
 * registerConcurrencyCases({ open, reopen: undefined, tamper: undefined })
 */

import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { expect, it } from 'vitest'
import {
  type EventStore,
  type ExpectedVersion,
  isConcurrencyConflict,
  type StoredEvent,
} from '../store/port.js'
import {
  type ConformanceContext,
  eventIds,
  expectIncreasingPositions,
  expectSoundStream,
  failed,
  newEvent,
  readWholeLog,
  succeeded,
} from './conformance-context.js'

const parallel = 8

/** Lets timers and I/O run between polls, so a reader loop never starves the writers it waits for. */
const yieldToOthers = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

export const registerConcurrencyCases = ({ open }: ConformanceContext): void => {
  it(`of ${parallel} parallel appends with the same expected version exactly one wins, the rest conflict`, async () => {
    const store = await open()
    succeeded(await store.appendToStream('stream-p', 'no-stream', [newEvent('Seed', {})]))
    const batches = Array.from({ length: parallel }, (_, writer) => [
      newEvent('Raced', { writer, index: 0 }),
      newEvent('Raced', { writer, index: 1 }),
    ])
    const outcomes = await Promise.all(batches.map((batch) => store.appendToStream('stream-p', 0, batch)))

    const winners = outcomes.flatMap((outcome, writer) => (E.isRight(outcome) ? [writer] : []))
    expect(winners).toHaveLength(1)
    for (const outcome of outcomes)
      if (E.isLeft(outcome)) expect(isConcurrencyConflict(outcome.left)).toBe(true)
    const read = succeeded(await store.readStream('stream-p'))
    expect(read.version).toBe(2)
    expect(eventIds(read.events.slice(1))).toEqual(eventIds(batches[winners[0] ?? -1] ?? []))
    await expectSoundStream(read.events)
  })

  it(`of ${parallel} parallel no-stream appends to a new stream exactly one wins`, async () => {
    const store = await open()
    const outcomes = await Promise.all(
      Array.from({ length: parallel }, (_, writer) =>
        store.appendToStream('stream-q', 'no-stream', [newEvent('Created', { writer })]),
      ),
    )
    expect(outcomes.filter(E.isRight)).toHaveLength(1)
    for (const outcome of outcomes) {
      if (E.isLeft(outcome)) expect(outcome.left).toMatchObject({ code: 'concurrency-conflict', actual: 0 })
    }
    expect(succeeded(await store.readStream('stream-q')).events).toHaveLength(1)
  })

  it('parallel appends with any all land, with contiguous versions and one unbroken chain', async () => {
    const store = await open()
    const batches = Array.from({ length: 2 * parallel }, (_, writer) =>
      Array.from({ length: 1 + (writer % 3) }, (_, index) => newEvent('Piled', { writer, index })),
    )
    const outcomes = await Promise.all(
      batches.map((batch) => store.appendToStream('stream-any', 'any', batch)),
    )
    const appended = outcomes.map(succeeded)
    for (const result of appended) {
      const first = result.events[0]?.version ?? -1
      expect(result.events.map((event) => event.version)).toEqual(
        result.events.map((_, index) => first + index),
      )
      expect(result.version).toBe(first + result.events.length - 1)
    }
    const read = succeeded(await store.readStream('stream-any'))
    expect(read.events).toHaveLength(batches.flat().length)
    expect(new Set(eventIds(read.events))).toEqual(new Set(eventIds(batches.flat())))
    await expectSoundStream(read.events)
  })

  it('of parallel appends, one that cannot be stored or conflicts fails alone; the others land whole', async () => {
    const store = await open()
    succeeded(await store.appendToStream('stream-mixed', 'no-stream', [newEvent('Seed', {})]))
    const rivals = [[newEvent('Good', { n: 1 }), newEvent('Good', { n: 2 })], [newEvent('Rival', { n: 1 })]]
    const other = [newEvent('Other', {})]
    const [broken, elsewhere, ...raced] = await Promise.all([
      store.appendToStream('stream-mixed', 'any', [
        newEvent('Fine', {}),
        newEvent('Broken', { n: Number.NaN }),
      ]),
      store.appendToStream('stream-other', 'no-stream', other),
      ...rivals.map((batch) => store.appendToStream('stream-mixed', 0, batch)),
    ])
    expect(broken && E.isLeft(broken) && broken.left.code).toBe('store-failure')
    expect(elsewhere && E.isRight(elsewhere)).toBe(true)
    const winners = rivals.filter((_, index) => {
      const outcome = raced[index]
      if (outcome !== undefined && E.isLeft(outcome)) expect(isConcurrencyConflict(outcome.left)).toBe(true)
      return outcome !== undefined && E.isRight(outcome)
    })
    expect(winners).toHaveLength(1)
    const mixed = succeeded(await store.readStream('stream-mixed'))
    expect(eventIds(mixed.events.slice(1))).toEqual(eventIds(winners[0] ?? []))
    await expectSoundStream(mixed.events)
    expect(eventIds(succeeded(await store.readStream('stream-other')).events)).toEqual(eventIds(other))
  })

  it('a reader polling readAll by position while writers commit sees every event exactly once', async () => {
    const store = await open()
    const writers = 4
    const appendsPerWriter = 25
    const appended: StoredEvent[] = []
    let writing = true

    const write = async (writer: number) => {
      for (let round = 0; round < appendsPerWriter; round++) {
        // Own streams and one stream all writers share, with batches of one to three events.
        const streamId = round % 4 === 0 ? 'stream-shared' : `stream-w${writer}-${round % 3}`
        const batch = Array.from({ length: 1 + ((writer + round) % 3) }, (_, index) =>
          newEvent('Written', { writer, round, index }),
        )
        appended.push(...succeeded(await store.appendToStream(streamId, 'any', batch)).events)
      }
    }
    const writing$ = Promise.all(Array.from({ length: writers }, (_, writer) => write(writer))).finally(
      () => {
        writing = false
      },
    )

    const seen: StoredEvent[] = []
    const poll = async () => {
      let after = 0
      for (;;) {
        // Read the flag before the read: an empty page from a read begun after the last commit
        // means the log is drained.
        const writersDone = !writing
        const page = succeeded(await store.readAll({ after, limit: 5 }))
        expect(page.events.length).toBeLessThanOrEqual(5)
        seen.push(...page.events)
        after = page.lastPosition
        if (page.events.length === 0) {
          if (writersDone) return
          await yieldToOthers()
        }
      }
    }
    await Promise.all([writing$, poll()])

    expectIncreasingPositions(seen)
    expect(new Set(eventIds(seen)).size).toBe(seen.length)
    const byId = new Map(appended.map((event) => [event.metadata.eventId, event]))
    expect(seen).toHaveLength(appended.length)
    for (const event of seen) expect(event).toEqual(byId.get(event.metadata.eventId))
    await expectSoundStream(succeeded(await store.readStream('stream-shared')).events)
  })

  it('any sequence of appends, right or wrong about the version, is reflected exactly by reads', async () => {
    const expectation = fc.constantFrom('right', 'stale', 'ahead', 'no-stream', 'any')
    const step = fc.record({
      stream: fc.integer({ min: 0, max: 2 }),
      size: fc.integer({ min: 1, max: 3 }),
      expectation,
    })
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const store = await open()
        try {
          await checkAgainstModel(store, steps)
        } finally {
          await store.close()
        }
      }),
      { numRuns: 15 },
    )
  })
}

interface Step {
  readonly stream: number
  readonly size: number
  readonly expectation: 'right' | 'stale' | 'ahead' | 'no-stream' | 'any'
}

/** Replays `steps` on `store` and on a model (a list of event ids per stream) and compares them. */
const checkAgainstModel = async (store: EventStore, steps: ReadonlyArray<Step>): Promise<void> => {
  const model = new Map<string, string[]>()
  const log: string[] = []
  for (const step of steps) {
    const streamId = `stream-${step.stream}`
    const current = model.get(streamId) ?? []
    const version = current.length - 1
    const expected: ExpectedVersion = {
      right: version === -1 ? ('no-stream' as const) : version,
      stale: version >= 1 ? version - 1 : version === 0 ? ('no-stream' as const) : 0,
      ahead: version + 1,
      'no-stream': 'no-stream' as const,
      any: 'any' as const,
    }[step.expectation]
    const allowed = expected === 'any' || (expected === 'no-stream' ? version === -1 : expected === version)
    const batch = Array.from({ length: step.size }, () => newEvent('Modelled', { streamId }))
    const outcome = await store.appendToStream(streamId, expected, batch)
    if (allowed) {
      expect(succeeded(outcome).version).toBe(version + step.size)
      current.push(...eventIds(batch))
      log.push(...eventIds(batch))
      model.set(streamId, current)
    } else {
      expect(failed(outcome)).toMatchObject({ code: 'concurrency-conflict', streamId, actual: version })
    }
  }
  for (const stream of [0, 1, 2]) {
    const streamId = `stream-${stream}`
    const read = succeeded(await store.readStream(streamId))
    expect(eventIds(read.events)).toEqual(model.get(streamId) ?? [])
    if (read.events.length > 0) await expectSoundStream(read.events)
  }
  const whole = await readWholeLog(store, 4)
  expect(eventIds(whole)).toEqual(log)
  expectIncreasingPositions(whole)
}
