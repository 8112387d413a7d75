/**
 * The replay of one partition of the streams (DESIGN §8): its events, read in global order through
 * the store's optional `readPartition`, decoded and applied to in-memory read models
 * (`replayReadModels`, so with the same continuity checks as the runner), and what the replays of
 * all partitions of one count add up to. Streams are independent, so the partitions' views are
 * disjoint, their statistics add up (`mergeStatistics`) and their review queues merge: together
 * they equal one reader's replay of the whole log. `replayPartitioned` runs each partition in a
 * worker thread; this module runs one in the calling thread, and needs nothing of Node.
 *
 * @example
 * const replays = []
 * for (let index = 0; index < 2; index++) {
 *   const replayed = await replayPartition(store, { partition: { index, count: 2 } })
 *   if (isLeft(replayed)) return replayed
 *   replays.push(replayed.right)
 * }
 * mergePartitionReplays(replays).statistics // as one reader's replay would count them
 */
import {
  decodedPages,
  type EventStore,
  type Partition,
  type StoredEventDecoder,
  type StoreError,
  storeFailure,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import type { ELicenceViewState } from '../views/e-licence.js'
import { orderReviewQueue, type ReviewQueueEntry } from '../views/review-queue.js'
import { emptyStatistics, mergeStatistics, type Statistics } from '../views/statistics.js'
import { replayReadModels } from './replay.js'

// Pages of a few hundred events die young: a page of thousands outlives V8's young generation while
// it is applied, is promoted, and costs a full collection later (measured on the 1 M-event bench:
// 2 000 per page replays about 25 % slower than 500, with a heap three times the size).
export const defaultReplayPageSize = 500

export interface PartitionReplayOptions {
  readonly partition: Partition
  /** Events read per `readPartition` call; default 500. */
  readonly pageSize?: number
  /** Hand back every view, not just statistics and queue (tests, small histories); default false. */
  readonly views?: boolean
  /** Told the count of events replayed so far after every page. */
  readonly onProgress?: (events: number) => void
  /** How stored events are read: the embedder's upcasters, bound once (`storedEventDecoder`). */
  readonly decoder?: StoredEventDecoder
}

export interface PartitionReplay {
  readonly partition: Partition
  readonly events: number
  /** Position of the last event replayed (0 for none): the partition's checkpoint. */
  readonly lastPosition: number
  readonly statistics: Statistics
  readonly reviewQueue: ReadonlyArray<ReviewQueueEntry>
  /** The views by stream id, when asked for; null otherwise. */
  readonly views: ReadonlyMap<string, ELicenceViewState> | null
}

/** Replays one partition in this thread. A store without `readPartition` is a `store-failure`. */
export const replayPartition = async (
  store: Pick<EventStore, 'readPartition'>,
  options: PartitionReplayOptions,
): Promise<E.Either<StoreError, PartitionReplay>> => {
  const { partition } = options
  const pageSize = options.pageSize ?? defaultReplayPageSize
  if (store.readPartition === undefined) return E.left(storeFailure('the store does not read partitions'))
  const models = replayReadModels()
  let after = 0
  let events = 0
  for await (const page of decodedPages(store, { pageSize, partition }, options.decoder)) {
    if (E.isLeft(page)) return page
    for (const event of page.right.events) {
      const applied = models.apply(event)
      if (E.isLeft(applied)) return applied
    }
    events += page.right.events.length
    after = page.right.lastPosition
    options.onProgress?.(events)
  }
  return E.right({
    partition,
    events,
    lastPosition: after,
    statistics: models.statistics(),
    reviewQueue: models.reviewQueue(),
    views: options.views === true ? models.views() : null,
  })
}

export interface MergedReplay {
  readonly events: number
  readonly statistics: Statistics
  readonly reviewQueue: ReadonlyArray<ReviewQueueEntry>
  /** Every partition's views, when each replay kept them; null otherwise. */
  readonly views: ReadonlyMap<string, ELicenceViewState> | null
}

/**
 * The replays of every partition of one count, each once, as one replay of the whole log. Given
 * fewer, it is the replay of the streams of those partitions.
 */
export const mergePartitionReplays = (replays: ReadonlyArray<PartitionReplay>): MergedReplay => {
  const keptViews = replays.every((replay) => replay.views !== null)
  const views = new Map<string, ELicenceViewState>()
  if (keptViews)
    for (const replay of replays) for (const [key, view] of replay.views ?? []) views.set(key, view)
  return {
    events: replays.reduce((sum, replay) => sum + replay.events, 0),
    statistics: replays.map((replay) => replay.statistics).reduce(mergeStatistics, emptyStatistics),
    reviewQueue: orderReviewQueue(replays.flatMap((replay) => replay.reviewQueue)),
    views: keptViews ? views : null,
  }
}
