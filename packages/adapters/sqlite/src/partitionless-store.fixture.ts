/**
 * A SQLite store that hides `readPartition`, as a store without the capability (PostgreSQL,
 * EventStoreDB) would be: `partitioned-replay.int.test.ts` checks that a partitioned replay refuses
 * it before starting any worker. Not used alone.
 *
 * @example
 * replayPartitioned({ store: { module: fixtureUrl, open: 'openWithoutPartitions', location: path }, partitions: 2 })
 */
import type { EventStore } from '@elicence/domain'
import { sqliteEventStore } from './sqlite-store.js'

export const openWithoutPartitions = (path: string): EventStore => {
  const { readStream, appendToStream, readAll, close } = sqliteEventStore({ path })
  return { readStream, appendToStream, readAll, close }
}
