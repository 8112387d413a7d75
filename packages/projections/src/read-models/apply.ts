/**
 * How one event changes the stored read models — the e-licence view of its licence, its review-queue
 * entry and the statistics — and the checks that keep them honest: events
 * arrive in global order, each continues its stream's version count and hash chain. The runner, the
 * in-memory read models and the auditor all apply events through here, so a rebuild and the
 * incrementally maintained read model cannot differ.
 *
 * @example
 * const working = workingSet(checkpoint, statistics, loadedViews)
 * for (const event of batch) { const applied = applyEvent(working, event); if (isLeft(applied)) … }
 * await readModels.commit(projection, [...working.changes.values()], { expected, next: working.checkpoint })
 */
import {
  type CorruptEvent,
  corruptEvent,
  type DecodedStoredEvent,
  linkBreakOf,
  streamStart,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { type ELicenceViewState, evolveELicenceView } from '../views/e-licence.js'
import { reviewQueueEntryOf, reviewQueueSortKey } from '../views/review-queue.js'
import { type Statistics, statisticsStep } from '../views/statistics.js'
import type { Checkpoint, DocumentChange } from './port.js'

/** Collection names in a read-model store; documents are keyed by stream id unless said otherwise. */
export const collections = {
  eLicence: 'e-licence',
  /** Sort key: `reviewQueueSortKey`. */
  reviewQueue: 'review-queue',
  /** One document, keyed `statisticsKey`. */
  statistics: 'statistics',
} as const

export const statisticsKey = 'all'

/** What a batch works on: the views it touches (loaded beforehand), the statistics, and its changes. */
export interface WorkingSet {
  readonly views: Map<string, ELicenceViewState>
  statistics: Statistics
  checkpoint: Checkpoint
  /** Changes to commit, the last per document; null when nothing is persisted (an in-memory replay). */
  readonly changes: Map<string, DocumentChange> | null
}

export const workingSet = (
  checkpoint: Checkpoint,
  statistics: Statistics,
  views: Map<string, ELicenceViewState>,
  persisted = true,
): WorkingSet => ({ views, statistics, checkpoint, changes: persisted ? new Map() : null })

const record = (
  working: WorkingSet,
  collection: string,
  key: string,
  doc: unknown,
  sortKey: string | null,
) => {
  working.changes?.set(`${collection}\u0000${key}`, { collection, key, doc, sortKey })
}

/** The continuity checks: global order, then the stream's version count and hash chain. */
export const continuityBreak = (
  checkpoint: Checkpoint,
  before: ELicenceViewState,
  event: DecodedStoredEvent,
): CorruptEvent | undefined => {
  if (event.position <= checkpoint.position) {
    return corruptEvent(
      event.streamId,
      event.version,
      `position ${event.position} is not after ${checkpoint.position}`,
    )
  }
  // The view keeps the stream's chain head: the version and hash it has reached.
  return linkBreakOf(before === null ? streamStart : { version: before.version, hash: before.hash }, event)
}

/** Applies one event to a working set; a break in order or chain stops it, never skips it. */
export const applyEvent = (working: WorkingSet, event: DecodedStoredEvent): E.Either<CorruptEvent, void> => {
  const before = working.views.get(event.streamId) ?? null
  const broken = continuityBreak(working.checkpoint, before, event)
  if (broken !== undefined) return E.left(broken)
  const after = evolveELicenceView(before, event)
  working.views.set(event.streamId, after)
  working.statistics = statisticsStep(working.statistics, { event, before, after })
  working.checkpoint = {
    position: event.position,
    streamId: event.streamId,
    version: event.version,
    hash: event.metadata.hash,
  }
  if (working.changes !== null) {
    record(working, collections.eLicence, event.streamId, after, null)
    const entryBefore = reviewQueueEntryOf(before)
    const entryAfter = reviewQueueEntryOf(after)
    if (entryBefore !== null || entryAfter !== null) {
      record(
        working,
        collections.reviewQueue,
        event.streamId,
        entryAfter,
        entryAfter === null ? null : reviewQueueSortKey(entryAfter),
      )
    }
    record(working, collections.statistics, statisticsKey, working.statistics, null)
  }
  return E.right(undefined)
}
