/**
 * Where `elicence audit` reads from (audit.ts): a store page by page, a history file line by line
 * (its invalid lines kept apart from the history's anomalies), the read models stored beside a
 * store's events, and which stores the partition workers can open by URL themselves.
 *
 * @example
 * for await (const event of eventsOfStore(store, failure)) …
 * const stored = await storedReadModels(readModels) // Right(undefined): none to compare
 */
import type { EventStore, StoredEvent, StoreError } from '@elicence/domain'
import { storedPages } from '@elicence/domain'
import { type ReadModelStore, readModelQueries, type StoredReadModels } from '@elicence/projections'
import * as E from 'fp-ts/lib/Either.js'
import type { Line } from '../cli-io.js'
import { parseHistoryLine } from '../history-file.js'
import { exportPageSize } from './export.js'

/** Reads the store page by page; a store error ends the iteration and is kept for the caller. */
export async function* eventsOfStore(
  store: EventStore,
  failure: { error?: StoreError },
): AsyncGenerator<StoredEvent> {
  for await (const page of storedPages(store, { pageSize: exportPageSize })) {
    if (E.isLeft(page)) {
      failure.error = page.left
      return
    }
    yield* page.right.events
  }
}

/** What the partition workers import to open the store of a URL themselves. */
export const storeUrlModule = new URL('../store-url.js', import.meta.url).href

/** Stores every worker can open by the same URL: not `memory:`, which each would see empty. */
export const isPartitionable = (url: string): boolean => /^(sqlite:|postgres(ql)?:\/\/)/.test(url)

/** Problems kept for display; the rest are counted. */
export const keptInputProblems = 20

/**
 * The lines of a history file as stored events, read as `import` reads them (`parseHistoryLine`:
 * the shape of every field, no unknown field, the event decodes). A line that is not a stored
 * event is invalid input, not an anomaly of the history: it is kept in `invalid` (the first few,
 * each naming its line, and a count), and the audit goes on with the others.
 */
export async function* eventsOfFile(
  lines: AsyncIterable<Line>,
  invalid: { messages: string[]; count: number },
): AsyncGenerator<StoredEvent> {
  for await (const line of lines) {
    const parsed = parseHistoryLine(line)
    if (E.isRight(parsed)) {
      yield parsed.right
      continue
    }
    invalid.count++
    if (invalid.messages.length < keptInputProblems) invalid.messages.push(...parsed.left)
  }
}

/** The read models stored beside the events (the store's `openReadModelStore`), when there are any to compare. */
export const storedReadModels = async (
  readModels: ReadModelStore | undefined,
): Promise<E.Either<StoreError, StoredReadModels | undefined>> => {
  if (readModels === undefined) return E.right(undefined)
  const queries = readModelQueries(readModels)
  const checkpoint = await queries.checkpoint()
  if (E.isLeft(checkpoint)) return checkpoint
  if (checkpoint.right.position === 0) return E.right(undefined)
  const views = await queries.views()
  if (E.isLeft(views)) return views
  const statistics = await queries.statistics()
  if (E.isLeft(statistics)) return statistics
  return E.right({ checkpoint: checkpoint.right, views: views.right, statistics: statistics.right })
}
