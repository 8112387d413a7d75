// The optimistic path (stores without a write lock, such as EventStoreDB): on a conflict it waits a
// random while within an exponentially growing, capped window and decides again, a bounded number
// of times; what it hands the decision is what `decideAndAppend` promises.
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { newEvent } from '../testing/conformance-context.js'
import { backoffWindowMs, optimisticDecideAndAppend } from './decide-and-append.js'
import { inMemoryEventStore } from './in-memory.js'
import { concurrencyConflict, type EventStore, isConcurrencyConflict } from './port.js'

/** The in-memory store without its lock, whose appends conflict the first `conflicts` times. */
const conflicting = (conflicts: number) => {
  const { decideAndAppend: _locked, ...inner } = inMemoryEventStore()
  let appends = 0
  const store: EventStore = {
    ...inner,
    appendToStream: async (streamId, expected, events) =>
      ++appends <= conflicts
        ? E.left(concurrencyConflict(streamId, expected, 99))
        : inner.appendToStream(streamId, expected, events),
  }
  return { store, appends: () => appends }
}

describe('optimisticDecideAndAppend', () => {
  it('retries a conflict after a jittered wait inside a doubling, capped window, at most maxAttempts times', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 12 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        async (maxAttempts, conflicts, jitter) => {
          const { store, appends } = conflicting(conflicts)
          const waits: number[] = []
          const decide = optimisticDecideAndAppend(store, {
            maxAttempts,
            baseBackoffMs: 2,
            maxBackoffMs: 50,
            sleep: async (ms) => {
              waits.push(ms)
            },
            random: () => jitter,
          })
          let decisions = 0
          const outcome = await decide({
            streamId: 'stream-o',
            after: -1,
            commandId: crypto.randomUUID(),
            decide: () => {
              decisions++
              return E.right([newEvent('Decided', {})])
            },
          })
          const attempts = Math.min(maxAttempts, conflicts + 1)
          expect(decisions).toBe(attempts)
          expect(appends()).toBe(attempts)
          expect(waits).toEqual(waits.map((_, index) => jitter * Math.min(50, 2 * 2 ** index)))
          expect(waits).toHaveLength(attempts - 1)
          if (conflicts < maxAttempts) expect(E.isRight(outcome) && E.isRight(outcome.right)).toBe(true)
          else expect(E.isLeft(outcome) && isConcurrencyConflict(outcome.left)).toBe(true)
        },
      ),
    )
  })

  it('makes at least one attempt whatever maxAttempts says (0, a fraction, NaN)', async () => {
    for (const maxAttempts of [0, -3, 0.5, Number.NaN]) {
      const { store, appends } = conflicting(0)
      const outcome = await optimisticDecideAndAppend(store, { maxAttempts })({
        streamId: 'stream-m',
        after: -1,
        commandId: crypto.randomUUID(),
        decide: () => E.right([newEvent('Decided', {})]),
      })
      expect([maxAttempts, appends(), E.isRight(outcome) && E.isRight(outcome.right)]).toEqual([
        maxAttempts,
        1,
        true,
      ])
    }
  })

  it('hands the decision the events after `after` and the command’s events, and passes a Left through', async () => {
    const { decideAndAppend: _locked, ...store } = inMemoryEventStore()
    const commandId = crypto.randomUUID()
    const first = newEvent('A', {}, { commandId })
    await store.appendToStream('stream-p', 'no-stream', [first, newEvent('B', {})])
    const decide = optimisticDecideAndAppend(store, { maxAttempts: 3 })
    const seen = await decide({ streamId: 'stream-p', after: 0, commandId, decide: (since) => E.left(since) })
    expect(
      E.isRight(seen) && E.isLeft(seen.right) && seen.right.left.events.map((event) => event.type),
    ).toEqual(['B'])
    expect(
      E.isRight(seen) && E.isLeft(seen.right) && seen.right.left.ofCommand.map((event) => event.type),
    ).toEqual(['A'])
  })

  it('keeps every window within its cap, whatever the retry', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 5000 }),
        (retry, base, max) => {
          const window = backoffWindowMs(retry, base, max)
          expect(window).toBeLessThanOrEqual(max)
          expect(window).toBeGreaterThan(0)
        },
      ),
    )
  })
})
