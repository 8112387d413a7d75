/**
 * Conformance cases for the optional `readStreamAfter` capability: the events after a version, the
 * hash of the event at it (what a reader that folded up to there compares with the hash it kept),
 * the stream's version now, and no hash for a version the stream does not have (past its end, or a
 * stream never written). A store without `readStreamAfter` reports these cases as skipped.
 * Registered by `eventStoreConformance`, not used alone.
 *
 * @example
 * registerStreamAfterCases({ open, reopen: undefined, tamper: undefined })
 */
import { expect, it } from 'vitest'
import type { EventStore } from '../store/port.js'
import { type ConformanceContext, newEvent, succeeded } from './conformance-context.js'

type StreamAfterReader = NonNullable<EventStore['readStreamAfter']>

/** The store's `readStreamAfter`, or a skip of the case when the store has none. */
const streamAfterReader = (store: EventStore, skip: (note?: string) => never): StreamAfterReader => {
  const { readStreamAfter } = store
  if (readStreamAfter === undefined) return skip('the store does not read a stream after a version')
  return readStreamAfter.bind(store)
}

export const registerStreamAfterCases = ({ open }: ConformanceContext): void => {
  it('readStreamAfter: the events after a version, the hash at it, the version now', async ({ skip }) => {
    const store = await open()
    const readAfter = streamAfterReader(store, skip)
    succeeded(await store.appendToStream('stream-after', 'no-stream', [newEvent('A', {}), newEvent('B', {})]))
    succeeded(await store.appendToStream('stream-other', 'no-stream', [newEvent('X', {})]))
    succeeded(await store.appendToStream('stream-after', 1, [newEvent('C', { n: 3 }), newEvent('D', {})]))
    const whole = succeeded(await store.readStream('stream-after')).events
    for (const after of [0, 1, 2, 3]) {
      expect(succeeded(await readAfter('stream-after', after))).toEqual({
        version: 3,
        hashAt: whole[after]?.metadata.hash,
        events: whole.slice(after + 1),
      })
    }
  })

  it('readStreamAfter: no hash for a version the stream does not have', async ({ skip }) => {
    const store = await open()
    const readAfter = streamAfterReader(store, skip)
    expect(succeeded(await readAfter('stream-never', 0))).toEqual({
      version: -1,
      hashAt: undefined,
      events: [],
    })
    succeeded(await store.appendToStream('stream-short', 'no-stream', [newEvent('A', {})]))
    expect(succeeded(await readAfter('stream-short', 4))).toEqual({
      version: 0,
      hashAt: undefined,
      events: [],
    })
  })
}
