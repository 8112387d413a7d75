import {
  type EventStore,
  type Partition,
  partitionOfStream,
  type StoredEvent,
  type StoreError,
} from '@elicence/domain'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { decodeHistory, historyScriptArbitrary, licenceNumberFor } from '../testing/histories.js'
import { runHistoryScript } from '../testing/run-history.js'
import { mergePartitionReplays, type PartitionReplay, replayPartition } from './partition-replay.js'
import { replayReadModels } from './replay.js'

const right = <A>(either: E.Either<StoreError, A>): A => {
  if (E.isLeft(either)) throw new Error(either.left.message)
  return either.right
}

/** One reader's replay of the whole log: what every partitioned replay must add up to. */
const singleReader = (events: ReadonlyArray<StoredEvent>) => {
  const replay = replayReadModels()
  for (const event of decodeHistory(events)) right(replay.apply(event))
  return {
    events: events.length,
    statistics: replay.statistics(),
    reviewQueue: replay.reviewQueue(),
    views: new Map(replay.views()),
  }
}

const replayAll = async (store: EventStore, count: number, pageSize: number) => {
  const replays: PartitionReplay[] = []
  for (let index = 0; index < count; index++)
    replays.push(right(await replayPartition(store, { partition: { index, count }, pageSize, views: true })))
  return replays
}

describe('replay by partition', () => {
  it('the partitions of any count, replayed apart and merged, equal one reader’s replay of the whole log', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyScriptArbitrary({ maxLicences: 8, maxSteps: 60 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 7 }),
        async (script, count, pageSize) => {
          const { store, events } = await runHistoryScript(script)
          const replays = await replayAll(store, count, pageSize)
          const merged = mergePartitionReplays(replays)
          const single = singleReader(events)
          expect(merged.events).toBe(single.events)
          expect(merged.statistics).toEqual(single.statistics)
          expect(merged.reviewQueue).toEqual(single.reviewQueue)
          expect(merged.views).toEqual(single.views)
          // Each partition's checkpoint is the position of the last event of its streams.
          for (const replay of replays) {
            const { index } = replay.partition
            const own = events.filter((event) => partitionOfStream(event.streamId, count) === index)
            expect(replay.events).toBe(own.length)
            expect(replay.lastPosition).toBe(own[own.length - 1]?.position ?? 0)
          }
        },
      ),
      { numRuns: 60 },
    )
  })

  it('reports progress after every page, and keeps no views unless asked', async () => {
    const { store, events } = await runHistoryScript({
      licences: [0, 1, 2].map((index) => ({
        licenceNumber: licenceNumberFor(index),
        photoOnFile: true,
        statuses: ['A'],
      })),
      steps: [0, 1, 2].map((licence) => ({
        licence,
        advanceMinutes: 5,
        recordLagMinutes: 0,
        action: { kind: 'apply' },
      })),
    })
    const seen: number[] = []
    const replay = right(
      await replayPartition(store, {
        partition: { index: 0, count: 1 },
        pageSize: 2,
        onProgress: (count) => seen.push(count),
      }),
    )
    expect(replay.views).toBeNull()
    expect(mergePartitionReplays([replay]).views).toBeNull()
    expect(seen).toEqual(
      events.map((_, index) => index + 1).filter((n) => n % 2 === 0 || n === events.length),
    )
  })

  it('stops at an event that does not continue its stream, and at a store that cannot read partitions', async () => {
    const { events } = await runHistoryScript({
      licences: [{ licenceNumber: licenceNumberFor(0), photoOnFile: true, statuses: ['A'] }],
      steps: [{ licence: 0, advanceMinutes: 5, recordLagMinutes: 0, action: { kind: 'apply' } }],
    })
    const [first, second] = events
    if (first === undefined || second === undefined) throw new Error('expected two events')
    // A partition that serves the second event with a broken link to the first.
    const broken = { ...second, metadata: { ...second.metadata, prevHash: '0'.repeat(64) } }
    const tampered: Pick<EventStore, 'readPartition'> = {
      readPartition: async ({ after, partition }: { after: number; partition: Partition }) => {
        const page = [first, broken].filter((event) => event.position > after && partition.index === 0)
        return E.right({ events: page, lastPosition: page[page.length - 1]?.position ?? after })
      },
    }
    const stopped = await replayPartition(tampered, { partition: { index: 0, count: 1 } })
    expect(E.isLeft(stopped) && stopped.left).toMatchObject({ code: 'corrupt-event', version: 1 })

    // A store without the optional capability, as PostgreSQL's and EventStoreDB's are.
    const unpartitioned: Pick<EventStore, 'readPartition'> = {}
    const refused = await replayPartition(unpartitioned, { partition: { index: 0, count: 1 } })
    expect(E.isLeft(refused) && refused.left.code).toBe('store-failure')
  })
})
