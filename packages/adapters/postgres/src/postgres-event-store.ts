/**
 * The PostgreSQL EventStore (DESIGN §4): one `events` table per schema, a per-stream hash chain
 * sealed here before the insert, and a global order that a polling reader can follow without ever
 * skipping an event that commits late.
 *
 * ## Why readAll never skips a late commit
 * A bigserial alone does not give this: transaction A draws position 10, transaction B draws 11 and
 * commits first; a reader sees 11, moves its checkpoint past 10, and A's event is lost when A commits.
 * Marten's answer (wait for the gap, then skip it after a timeout) still loses A when A is slower than
 * the timeout. Emmett's answer stores `transaction_id = pg_current_xact_id()` with each row and reads
 * only rows with `transaction_id < pg_snapshot_xmin(pg_current_snapshot())`: every transaction below
 * the snapshot's xmin has finished, so none of them can still add rows. That alone is not enough when
 * the checkpoint is a position: transaction ids and positions are drawn at different moments, so A
 * can take xid 101 and position 10 while B takes xid 100 and position 11. With B committed and A still
 * running, xmin is 101: B's row (xid 100) passes, the reader's checkpoint moves to 11, and A's row at
 * 10 arrives later, behind it.
 *
 * So `append_events` (see `schema.ts`) draws a transaction's id and all its positions inside one short
 * critical section: a session-level advisory lock held only while it takes the xid and calls nextval,
 * released before the insert and the commit, so inserts and commits of different appends still
 * overlap (and commits group). Across appends, xid order is then the same as position order. A read
 * returns, in position order, rows whose xid is below the snapshot's xmin. Suppose it returned
 * position P (from a transaction with xid x < xmin) and a row at q < P (xid x') shows up later. Then
 * x' < x < xmin (same order), so that transaction had already finished when the read ran: committed,
 * its row was visible and, being before P, was returned; rolled back, it never shows up. So nothing
 * is skipped, and since rows are returned once, by position, nothing is repeated. The cost: a
 * transaction that stays open holds readers back at the first position after the last finished one
 * (a long-running writing transaction anywhere in the cluster delays readers; it never makes them
 * lose events). The integration tests show both halves: without the xmin filter a held-open append
 * is skipped, and without the critical section transaction ids go out of position order.
 *
 * ## Reading by partition
 * Every event carries its stream's partition key (`streamPartitionKey`, computed here at append and
 * passed to `append_events`). `readPartition` runs readAll's query with one more filter, `partition_key
 * % count = index`, a property of the row that never changes: the rows it returns are readAll's less
 * the other partitions', still in position order and below the same xmin, so the argument above
 * holds for each partition word for word (a row at q < P that shows up later had finished before
 * the read; committed, it was visible, and in this partition it was returned). A page is read by
 * `read_partition` (schema.ts), which holds the planner to the ordered scan from `after`.
 *
 * ## Appends
 * Appends, `decideAndAppend` and the remembered stream heads are in `appends.ts`, with the argument
 * for why a stale head becomes a conflict and a decision under the stream's lock never conflicts.
 *
 * @example
 * const store = postgresEventStore({ connectionString: 'postgres://user:pw@localhost:5432/elicence' })
 * const handle = commandHandler({ store, decider })
 * await store.close()
 */

import {
  type EventStore,
  packedMap,
  partitionProblem,
  type StoredEvent,
  type StoreError,
  type StoreFailure,
  storeFailure,
} from '@elicence/domain'
import { nodeSha256Hex } from '@elicence/projections/node'
import * as E from 'fp-ts/lib/Either.js'
import { Pool, type QueryConfig } from 'pg'
import { streamAppends } from './appends.js'
import { ownedPoolConfig, type PostgresConnectionOptions } from './connection-options.js'
import { outcomeUnknown, postgresErrorMessage } from './error-message.js'
import { type EventRow, rowsOf, toStored } from './event-rows.js'
import { textProblem } from './postgres-text.js'
import { readSlots } from './read-slots.js'
import { defaultSchema, isValidSchemaName } from './schema.js'
import { schemaReadiness } from './schema-readiness.js'

export type PostgresEventStoreOptions = PostgresConnectionOptions

/** A store whose every call reports the same failure: how a configuration error surfaces without a throw. */
const failingStore = (failure: StoreFailure): EventStore => ({
  readStream: async () => E.left(failure),
  appendToStream: async () => E.left(failure),
  readAll: async () => E.left(failure),
  readPartition: async () => E.left(failure),
  close: async () => undefined,
})

export const postgresEventStore = (options: PostgresEventStoreOptions): EventStore => {
  const schema = options.schema ?? defaultSchema
  if (!isValidSchemaName(schema)) {
    return failingStore(
      storeFailure(`postgres: schema name ${JSON.stringify(schema)} is not a lower-case SQL identifier`),
    )
  }
  let pool: Pool
  if ('pool' in options) pool = options.pool
  else {
    const config = ownedPoolConfig(options, 10)
    if (E.isLeft(config)) return failingStore(storeFailure(`postgres: ${config.left}`))
    pool = new Pool(config.right)
  }
  const ownsPool = !('pool' in options)
  // An idle connection that dies (server restart) is dropped from the pool and the next query reports
  // the failure; without a listener the pool's 'error' event would crash the process instead.
  if (ownsPool) pool.on('error', () => undefined)
  const messageOf = (error: unknown) => postgresErrorMessage(error, pool.options)

  const table = `"${schema}".events`
  // Named statements are prepared once per connection. The text differs per schema, so the name must
  // too; PostgreSQL cuts names at 63 bytes (a long schema name would make two statements one), so
  // the name carries a hash of the text rather than the schema itself.
  const statement = (name: string, text: string) => {
    const prepared = `elicence_${name}_${nodeSha256Hex(text).slice(0, 16)}`
    return (values: unknown[]) => ({ name: prepared, text, values }) satisfies QueryConfig
  }
  const readStreamStatement = statement(
    'read_stream',
    `SELECT position, stream_id, version, type, data, metadata FROM ${table} WHERE stream_id = $1 ORDER BY version`,
  )
  // readStreamAfter's rows, in one statement and so one snapshot: the stream's last version beside
  // each event from `after` on, and one row of nulls beside it when there is none.
  const readStreamAfterStatement = statement(
    'read_stream_after',
    `SELECT e.position, e.stream_id, e.version, e.type, e.data, e.metadata, head.version
     FROM (SELECT max(version) AS version FROM ${table} WHERE stream_id = $1) AS head
     LEFT JOIN ${table} AS e ON e.stream_id = $1 AND e.version >= $2
     ORDER BY e.version`,
  )
  const headStatement = statement(
    'head',
    `SELECT version, metadata->>'hash' AS hash FROM ${table} WHERE stream_id = $1 ORDER BY version DESC LIMIT 1`,
  )
  const lockStreamStatement = statement(
    'lock_stream',
    `SELECT pg_advisory_xact_lock(hashtextextended('${schema}.events:stream:' || $1, 0))`,
  )
  const appendStatement = statement(
    'append',
    `SELECT appended_version, appended_position FROM "${schema}".append_events($1, $2, $3, $4, $5, $6, $7, $8)`,
  )
  // The xmin is computed once per query (an InitPlan), not once per row.
  const readAllStatement = statement(
    'read_all',
    `SELECT position, stream_id, version, type, data, metadata FROM ${table}
     WHERE position > $1 AND transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
     ORDER BY position LIMIT $2`,
  )
  // The last position readAll may return now: the same xmin filter, read from the top of the index.
  const headPositionStatement = statement(
    'head_position',
    `SELECT position FROM ${table}
     WHERE transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
     ORDER BY position DESC LIMIT 1`,
  )
  // readAll's query with the partition's filter, in read_partition (schema.ts). Its page size is an
  // integer, where readAll's LIMIT takes a bigint: a larger limit is cut to the largest integer
  // here, which returns the same rows (no page of 2^31 rows could be held in Node anyway).
  const readPartitionStatement = statement(
    'read_partition',
    `SELECT position, stream_id, version, type, data, metadata
     FROM "${schema}".read_partition($1, $2, $3, least($4::bigint, 2147483647)::integer)`,
  )

  // Reads leave a few connections to writes (read-slots.ts).
  const reads = readSlots(pool.options)
  const eventsOf = async (config: QueryConfig) =>
    packedMap((await reads.run(() => pool.query<EventRow>({ ...config, rowMode: 'array' }))).rows, toStored)

  const ensureSchema = schemaReadiness(pool, schema, options, messageOf)

  let closing: Promise<void> | undefined
  const guarded = async <A>(
    what: string,
    run: () => Promise<E.Either<StoreError, A>>,
    writes = false,
  ): Promise<E.Either<StoreError, A>> => {
    if (closing !== undefined) return E.left(storeFailure('postgres: the store is closed'))
    const ready = await ensureSchema()
    if (E.isLeft(ready)) return ready
    try {
      return await run()
    } catch (error) {
      const unknownOutcome = writes && outcomeUnknown(error)
      return E.left(
        storeFailure(
          unknownOutcome
            ? `postgres: ${what}: no answer from the server (${messageOf(error)}), so whether it was applied is not known: send the same command again (same commandId) to learn its outcome`
            : `postgres: ${what} failed: ${messageOf(error)}`,
          error,
        ),
      )
    }
  }

  const { remember, appendExpecting, appendAny, decideAndAppend } = streamAppends(pool, schema, {
    readStream: readStreamStatement,
    head: headStatement,
    lockStream: lockStreamStatement,
    append: appendStatement,
  })

  return {
    decideAndAppend: (request) => guarded('decideAndAppend', () => decideAndAppend(request), true),

    readStream: (streamId) =>
      guarded('readStream', async () => {
        const problem = textProblem('the stream id', streamId)
        // The server would read another stream: the one whose id it stored in its place.
        if (problem !== undefined) return E.left(storeFailure(`postgres: ${problem}`))
        const events = await eventsOf(readStreamStatement([streamId]))
        const last = events[events.length - 1]
        if (last !== undefined) remember(streamId, { version: last.version, hash: last.metadata.hash })
        return E.right({ events, version: last?.version ?? -1 })
      }),

    readStreamAfter: (streamId, after) =>
      guarded('readStreamAfter', async () => {
        const problem = textProblem('the stream id', streamId)
        if (problem !== undefined) return E.left(storeFailure(`postgres: ${problem}`))
        const { rows } = await reads.run(() =>
          pool.query<[...EventRow, number | null]>({
            ...readStreamAfterStatement([streamId, after]),
            rowMode: 'array',
          }),
        )
        let hashAt: string | undefined
        const events: StoredEvent[] = []
        for (const row of rows) {
          if (row[2] === null) continue
          const event = toStored(row)
          if (event.version === after) hashAt = event.metadata.hash
          else events.push(event)
        }
        const last = events[events.length - 1]
        if (last !== undefined) remember(streamId, { version: last.version, hash: last.metadata.hash })
        return E.right({ version: rows[0]?.[6] ?? -1, hashAt, events })
      }),

    appendToStream: (streamId, expected, events) =>
      guarded(
        'appendToStream',
        () =>
          expected === 'any' ? appendAny(streamId, events) : appendExpecting(streamId, expected, events),
        true,
      ),

    readAll: ({ after, limit }) =>
      guarded('readAll', async () => {
        if (!Number.isSafeInteger(after) || after < 0 || !Number.isSafeInteger(limit) || limit < 0)
          return E.left(storeFailure(`postgres: readAll needs integers after ≥ 0 and limit ≥ 0`))
        if (limit === 0) return E.right({ events: [], lastPosition: after })
        const events = await eventsOf(readAllStatement([after, limit]))
        return E.right({ events, lastPosition: events[events.length - 1]?.position ?? after })
      }),

    readPartition: ({ after, limit, partition }) =>
      guarded('readPartition', async () => {
        if (!Number.isSafeInteger(after) || after < 0 || !Number.isSafeInteger(limit) || limit < 0)
          return E.left(storeFailure(`postgres: readPartition needs integers after ≥ 0 and limit ≥ 0`))
        const problem = partitionProblem(partition)
        if (problem !== undefined) return E.left(storeFailure(`postgres: ${problem}`))
        if (limit === 0) return E.right({ events: [], lastPosition: after })
        // One partition of one is the whole log: readAll's query, without a filter that keeps every row.
        const events = await eventsOf(
          partition.count === 1
            ? readAllStatement([after, limit])
            : readPartitionStatement([after, partition.count, partition.index, limit]),
        )
        return E.right({ events, lastPosition: events[events.length - 1]?.position ?? after })
      }),

    headPosition: () =>
      guarded('headPosition', async () => {
        const [row] = await reads.run(() => rowsOf<{ position: string }>(pool, headPositionStatement([])))
        return E.right(row === undefined ? 0 : Number(row.position))
      }),

    // The SHA-256 the store seals with, for the handler's command hashes too (EventStore.digest).
    digest: nodeSha256Hex,
    close: () => {
      closing ??= ownsPool ? pool.end().catch(() => undefined) : Promise.resolve()
      return closing
    },
  }
}
