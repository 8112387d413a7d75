/**
 * Conformance cases for the optional `readPartition` capability (DESIGN §8): partitions of any count
 * are disjoint and together are `readAll`, each stream lies whole in the partition its key names
 * (`partitionOfStream`, the FNV-1a contract), pages follow `after` and `lastPosition` as `readAll`
 * does, a reader polling one partition while writers commit sees each of its events exactly once,
 * and a restart keeps every stream in its partition. A store without `readPartition` reports these
 * cases as skipped. Registered by `eventStoreConformance`, not used alone.
 *
 * @example
 * registerPartitionCases({ open, reopen: undefined, tamper: undefined })
 */
import { expect, it } from 'vitest'
import { partitionOfStream } from '../store/partitions.js'
import { type EventStore, isStoreFailure, type Partition, type StoredEvent } from '../store/port.js'
import {
  type ConformanceContext,
  eventIds,
  expectIncreasingPositions,
  failed,
  newEvent,
  readWholeLog,
  succeeded,
} from './conformance-context.js'

type PartitionReader = NonNullable<EventStore['readPartition']>

/** The store's `readPartition`, or a skip of the case when the store has none. */
const partitionReader = (store: EventStore, skip: (note?: string) => never): PartitionReader => {
  const { readPartition } = store
  if (readPartition === undefined) return skip('the store does not read partitions')
  return readPartition.bind(store)
}

/** Pages through one partition; every page must respect `limit` and report its last position. */
const readWholePartition = async (
  read: PartitionReader,
  partition: Partition,
  limit: number,
): Promise<StoredEvent[]> => {
  const events: StoredEvent[] = []
  let after = 0
  for (;;) {
    const page = succeeded(await read({ after, limit, partition }))
    expect(page.events.length).toBeLessThanOrEqual(limit)
    if (page.events.length === 0) {
      expect(page.lastPosition).toBe(after)
      return events
    }
    expect(page.lastPosition).toBe(page.events[page.events.length - 1]?.position)
    events.push(...page.events)
    after = page.lastPosition
  }
}

const inPartition = (events: ReadonlyArray<StoredEvent>, { index, count }: Partition) =>
  events.filter((event) => partitionOfStream(event.streamId, count) === index)

/** Lets timers and I/O run between polls, so a reader loop never starves the writers it waits for. */
const yieldToOthers = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

// Licence streams, and ids whose UTF-8 form has two-, three- and four-byte characters: the store's
// partition key must be FNV-1a of exactly those bytes.
const streamIds = [
  ...Array.from({ length: 9 }, (_, n) => `licence-1101051949123100${n}X`),
  'stream-é',
  'stream-粤A',
  'stream-🚗',
]

/** Appends one to three events at a time to every stream in turn, so streams interleave in the log. */
const appendInterleaved = async (store: EventStore, rounds: number): Promise<StoredEvent[]> => {
  const appended: StoredEvent[] = []
  for (let round = 0; round < rounds; round++) {
    for (const [n, streamId] of streamIds.entries()) {
      const batch = Array.from({ length: 1 + ((n + round) % 3) }, (_, index) =>
        newEvent('Noted', { streamId, round, index }),
      )
      appended.push(...succeeded(await store.appendToStream(streamId, 'any', batch)).events)
    }
  }
  return appended
}

export const registerPartitionCases = ({ open, reopen }: ConformanceContext): void => {
  it('readPartition: partitions of any count are disjoint, together are readAll, each in global order', async ({
    skip,
  }) => {
    const store = await open()
    const read = partitionReader(store, skip)
    const appended = await appendInterleaved(store, 3)
    const whole = await readWholeLog(store, 1000)
    expect(whole).toEqual(appended)

    for (const count of [1, 2, 3, 7]) {
      const partitions = await Promise.all(
        Array.from({ length: count }, (_, index) => readWholePartition(read, { index, count }, 1000)),
      )
      partitions.forEach((events, index) => {
        expectIncreasingPositions(events)
        // Each partition holds exactly the events of the streams whose key names it.
        expect(events).toEqual(inPartition(whole, { index, count }))
      })
      const union = partitions.flat().sort((a, b) => a.position - b.position)
      expect(union).toEqual(whole)
    }
    // One partition of one is the whole log.
    expect(
      succeeded(await read({ after: 0, limit: 1000, partition: { index: 0, count: 1 } })).events,
    ).toEqual(whole)
  })

  it('readPartition pages like readAll: any page size, from any position, lastPosition the last event’s or after', async ({
    skip,
  }) => {
    const store = await open()
    const read = partitionReader(store, skip)
    const partition = { index: 1, count: 3 }
    expect(succeeded(await read({ after: 0, limit: 10, partition }))).toEqual({ events: [], lastPosition: 0 })

    const whole = await appendInterleaved(store, 3)
    const expected = inPartition(whole, partition)
    expect(expected.length).toBeGreaterThan(2)
    for (const limit of [1, 2, 5]) expect(await readWholePartition(read, partition, limit)).toEqual(expected)

    // From a position of this partition, and from one of another: the events after it, in order.
    for (const event of [expected[1], whole.find((other) => !expected.includes(other))]) {
      const after = event?.position ?? 0
      const page = succeeded(await read({ after, limit: 1000, partition }))
      expect(page.events).toEqual(expected.filter((mine) => mine.position > after))
      expect(page.lastPosition).toBe(page.events[page.events.length - 1]?.position ?? after)
    }
    const end = whole[whole.length - 1]?.position ?? 0
    expect(succeeded(await read({ after: end, limit: 10, partition }))).toEqual({
      events: [],
      lastPosition: end,
    })
    // Past this partition's last event but not the log's: nothing, and `after` is kept.
    const lastOfPartition = expected[expected.length - 1]?.position ?? 0
    expect(succeeded(await read({ after: lastOfPartition, limit: 10, partition }))).toEqual({
      events: [],
      lastPosition: lastOfPartition,
    })
  })

  it('readPartition: a reader polling each partition while writers commit sees each of its events exactly once', async ({
    skip,
  }) => {
    const store = await open()
    const read = partitionReader(store, skip)
    const count = 3
    const writers = 4
    const appendsPerWriter = 20
    const appended: StoredEvent[] = []
    let writing = true

    const write = async (writer: number) => {
      for (let round = 0; round < appendsPerWriter; round++) {
        const streamId = streamIds[(writer * 5 + round) % streamIds.length] ?? 'stream-0'
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
    const poll = async (index: number): Promise<StoredEvent[]> => {
      const seen: StoredEvent[] = []
      let after = 0
      for (;;) {
        // Read the flag before the read: an empty page from a read begun after the last commit
        // means the partition is drained.
        const writersDone = !writing
        const page = succeeded(await read({ after, limit: 3, partition: { index, count } }))
        seen.push(...page.events)
        after = page.lastPosition
        if (page.events.length === 0) {
          if (writersDone) return seen
          await yieldToOthers()
        }
      }
    }
    const [, ...seenByPartition] = await Promise.all([
      writing$,
      ...Array.from({ length: count }, (_, index) => poll(index)),
    ])

    const byId = new Map(appended.map((event) => [event.metadata.eventId, event]))
    seenByPartition.forEach((seen, index) => {
      expectIncreasingPositions(seen)
      expect(new Set(eventIds(seen)).size).toBe(seen.length)
      for (const event of seen) {
        expect(partitionOfStream(event.streamId, count)).toBe(index)
        expect(event).toEqual(byId.get(event.metadata.eventId))
      }
    })
    expect(seenByPartition.flat()).toHaveLength(appended.length)
  })

  it('readPartition refuses a partition that names none, as a store-failure value, and reads nothing after close()', async ({
    skip,
  }) => {
    const store = await open()
    const read = partitionReader(store, skip)
    succeeded(await store.appendToStream('stream-a', 'no-stream', [newEvent('A', {})]))
    const invalid: ReadonlyArray<Partition> = [
      { index: 0, count: 0 },
      { index: 2, count: 2 },
      { index: -1, count: 2 },
      { index: 0.5, count: 2 },
      { index: 0, count: 1.5 },
      { index: 0, count: Number.NaN },
    ]
    for (const partition of invalid) {
      expect(isStoreFailure(failed(await read({ after: 0, limit: 10, partition })))).toBe(true)
    }
    await store.close()
    const closed = failed(await read({ after: 0, limit: 10, partition: { index: 0, count: 1 } }))
    expect(isStoreFailure(closed)).toBe(true)
  })

  it.skipIf(reopen === undefined)(
    'readPartition: after a restart, every stream is in the same partition',
    async ({ skip }) => {
      const store = await open()
      const read = partitionReader(store, skip)
      await appendInterleaved(store, 2)
      const partition = { index: 2, count: 5 }
      const before = await readWholePartition(read, partition, 7)
      await store.close()
      const reopened = await (reopen as NonNullable<typeof reopen>)(store)
      expect(await readWholePartition(partitionReader(reopened, skip), partition, 7)).toEqual(before)
    },
  )
}
