/** The rows the PostgreSQL EventStore reads, and how they become `StoredEvent`s. */

import type { SealedEvent, StoredEvent, StoredEventMetadata } from '@elicence/domain'
import { genesisHash } from '@elicence/domain'
import type { Pool, PoolClient, QueryConfig, QueryResultRow } from 'pg'

/** An event row as an array: pg's `rowMode: 'array'` reads a quarter faster than an object per row. */
export type EventRow = [
  position: string,
  streamId: string,
  version: number,
  type: string,
  data: unknown,
  metadata: StoredEventMetadata,
]

/** The last event of a stream: the version and hash the next append continues from. */
export interface Head {
  readonly version: number
  readonly hash: string
}

export const newStream: Head = { version: -1, hash: genesisHash }

export interface AppendedRow {
  readonly appended_version: number
  readonly appended_position: string
}

/** Columns after the event's own (a query's extras) are left aside. */
export const toStored = ([position, streamId, version, type, data, metadata]: readonly [
  ...EventRow,
  ...unknown[],
]): StoredEvent => ({
  streamId,
  version,
  position: Number(position),
  type,
  data,
  metadata,
})

/**
 * An appended event as a read gives it back: data and metadata parsed from the very texts stored, in
 * `toStored`'s member order, so appended and read events share one shape.
 */
export const storedAppended = (
  event: SealedEvent,
  position: number,
  data: string | undefined,
  metadata: string | undefined,
): StoredEvent => ({
  streamId: event.streamId,
  version: event.version,
  position,
  type: event.type,
  data: JSON.parse(data ?? 'null'),
  metadata: JSON.parse(metadata ?? 'null') as StoredEventMetadata,
})

/** A named statement: its values in, the query to send out. */
export type Statement = (values: unknown[]) => QueryConfig

export type Queryable = Pool | PoolClient

export const rowsOf = async <Row extends QueryResultRow>(on: Queryable, config: QueryConfig) =>
  (await on.query<Row>(config)).rows
