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
 * The stream's head (last version and hash) is known or read, the expected version checked, the
 * batch sealed with `sealEvents` (node:crypto SHA-256) and inserted by one call of `append_events`, a
 * single statement and so a single transaction: all or none. Under the stream's advisory lock the
 * function checks again that the batch continues the chain (the event before it exists and has the
 * `prevHash` sealed in), and the unique (stream_id, version) constraint is the last line of defence.
 * A head that went stale is reported as `concurrency-conflict`, which is right for `no-stream` and an
 * exact version: another writer got there first. For `any` a conflict would be wrong, so that path
 * reads the head inside a transaction that holds the stream's lock until it commits.
 *
 * ## Deciding under the stream's lock
 * `decideAndAppend` (DESIGN §4 "Concurrency") opens a transaction, takes the stream's
 * transaction-level advisory lock (the one `append_events` takes), reads in one statement the
 * stream's head, the events after the version the caller has folded and the command's earlier
 * events (by the `command_id` index), calls the caller's synchronous decision and inserts its events
 * with `append_events` before COMMIT releases the lock. Another writer of the stream, in this
 * process or any other, waits at the lock until then and so reads this one's events: it never
 * conflicts. Neither the lock nor the reads assign a transaction id, so `append_events` is still the
 * first write of its transaction and the order argument above holds unchanged.
 *
 * The head of a stream this store has just read or written is remembered (the handler reads a stream
 * right before appending to it), which saves a round trip per command; `no-stream` needs no head at
 * all. A remembered head can only be stale, never wrong, and the function's chain check turns a stale
 * one into a conflict. Every other failure is returned as a `store-failure` value; nothing throws to
 * callers.
 *
 * @example
 * const store = postgresEventStore({ connectionString: 'postgres://user:pw@localhost:5432/elicence' })
 * const handle = commandHandler({ store, decider })
 * await store.close()
 */

import {
  type AppendResult,
  callDecide,
  concurrencyConflict,
  type DecideAndAppendRequest,
  type DecideAndAppendResult,
  type EventStore,
  expectedVersionMatches,
  genesisHash,
  type NewEvent,
  partitionProblem,
  type StoredEvent,
  type StoredEventMetadata,
  type StoreError,
  type StoreFailure,
  sealEvents,
  storeFailure,
  streamPartitionKey,
} from '@elicence/domain'
import { nodeSha256Hex } from '@elicence/projections/node'
import * as E from 'fp-ts/lib/Either.js'
import {
  DatabaseError,
  escapeLiteral,
  Pool,
  type PoolClient,
  type QueryConfig,
  type QueryResultRow,
} from 'pg'
import { ownedPoolConfig, type PostgresConnectionOptions } from './connection-options.js'
import { postgresErrorMessage } from './error-message.js'
import { checkOut, release } from './pool-client.js'
import {
  chainMismatchState,
  defaultSchema,
  isValidSchemaName,
  schemaLockSql,
  schemaSql,
  schemaVersion,
  schemaVersionSql,
  streamVersionConstraint,
} from './schema.js'

export type PostgresEventStoreOptions = PostgresConnectionOptions

/** An event row as an array: pg's `rowMode: 'array'` reads a quarter faster than an object per row. */
type EventRow = [
  position: string,
  streamId: string,
  version: number,
  type: string,
  data: unknown,
  metadata: StoredEventMetadata,
]

/** A row of the decision read: 'h' the stream's last event, 'e' an event after `after`, 'c' the command's. */
type TaggedEventRow = [...EventRow, tag: 'h' | 'e' | 'c']

/** The last event of a stream: the version and hash the next append continues from. */
interface Head {
  readonly version: number
  readonly hash: string
}

const newStream: Head = { version: -1, hash: genesisHash }

/** How many stream heads a store remembers; the oldest is forgotten first. */
const rememberedHeads = 10_000

interface AppendedRow {
  readonly appended_version: number
  readonly appended_position: string
}

const toStored = ([position, streamId, version, type, data, metadata]: EventRow): StoredEvent => ({
  streamId,
  version,
  position: Number(position),
  type,
  data,
  metadata,
})

/** The batch no longer continues the stream: another writer appended after the head it was sealed on. */
const isStaleHead = (error: unknown): boolean =>
  error instanceof DatabaseError &&
  (error.code === chainMismatchState ||
    (error.code === '23505' && error.constraint === streamVersionConstraint))

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
  const pool = 'pool' in options ? options.pool : new Pool(ownedPoolConfig(options, 10))
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
  // readAll's query with the partition's filter, in read_partition (schema.ts).
  const readPartitionStatement = statement(
    'read_partition',
    `SELECT position, stream_id, version, type, data, metadata FROM "${schema}".read_partition($1, $2, $3, $4)`,
  )

  type Queryable = Pool | PoolClient
  const rowsOf = async <Row extends QueryResultRow>(on: Queryable, config: QueryConfig) =>
    (await on.query<Row>(config)).rows
  const eventsOf = async (config: QueryConfig) =>
    (await pool.query<EventRow>({ ...config, rowMode: 'array' })).rows.map(toStored)

  const versionOf = async (on: Queryable): Promise<number> =>
    (await rowsOf<{ version: number }>(on, { text: schemaVersionSql(schema) }))[0]?.version ?? 0
  const tooNew = (found: number) =>
    storeFailure(
      `postgres: schema ${schema} is at version ${found}, newer than this build reads (${schemaVersion})`,
    )

  /**
   * Creates or migrates the schema unless it is up to date; see schema.ts for how and why. A
   * read-only store changes nothing: a missing schema is an error (a mistyped URL must not read as
   * an empty history), an older one is read as it is unless it lacks what this build reads.
   */
  const prepareSchema = async (): Promise<E.Either<StoreError, void>> => {
    const found = await versionOf(pool)
    if (found === schemaVersion) return E.right(undefined)
    if (found > schemaVersion) return E.left(tooNew(found))
    if (options.readOnly === true) {
      return E.left(
        storeFailure(
          found === 0
            ? `postgres: no event store in schema ${schema} of this database (its events table is missing); nothing was created`
            : `postgres: schema ${schema} is at version ${found}, older than this build reads (${schemaVersion}); open it once read-write (e.g. elicence serve or exec) to migrate it`,
        ),
      )
    }
    const client = await checkOut(pool)
    let broken = false
    try {
      await client.query('BEGIN')
      await client.query(schemaLockSql(schema))
      // Another process may have created or migrated the schema while this one waited for the lock.
      const current = await versionOf(client)
      if (current < schemaVersion) await client.query(schemaSql(schema))
      await client.query(current > schemaVersion ? 'ROLLBACK' : 'COMMIT')
      return current > schemaVersion ? E.left(tooNew(current)) : E.right(undefined)
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true
      })
      throw error
    } finally {
      release(client, broken)
    }
  }

  let schemaReady: Promise<E.Either<StoreError, void>> | undefined
  const ensureSchema = (): Promise<E.Either<StoreError, void>> => {
    schemaReady ??= prepareSchema()
      .catch((error: unknown) =>
        E.left(
          storeFailure(
            `postgres: ${options.readOnly === true ? 'reading' : 'preparing'} schema ${schema} failed: ${messageOf(error)}`,
            error,
          ),
        ),
      )
      .then((ready) => {
        // Forget a failure so a later call retries (the server may just have been starting).
        if (E.isLeft(ready)) schemaReady = undefined
        return ready
      })
    return schemaReady
  }

  let closing: Promise<void> | undefined
  const guarded = async <A>(
    what: string,
    run: () => Promise<E.Either<StoreError, A>>,
  ): Promise<E.Either<StoreError, A>> => {
    if (closing !== undefined) return E.left(storeFailure('postgres: the store is closed'))
    const ready = await ensureSchema()
    if (E.isLeft(ready)) return ready
    try {
      return await run()
    } catch (error) {
      return E.left(storeFailure(`postgres: ${what} failed: ${messageOf(error)}`, error))
    }
  }

  const heads = new Map<string, Head>()
  const remember = (streamId: string, head: Head) => {
    heads.delete(streamId)
    heads.set(streamId, head)
    if (heads.size > rememberedHeads) heads.delete(heads.keys().next().value ?? streamId)
  }

  const headOf = async (on: Queryable, streamId: string): Promise<Head> => {
    const [row] = await rowsOf<Head>(on, headStatement([streamId]))
    const head = row === undefined ? newStream : { version: row.version, hash: row.hash }
    remember(streamId, head)
    return head
  }

  /** The batch sealed after `head`, and the arguments of `append_events` for it. */
  const sealAfter = (streamId: string, head: Head, events: ReadonlyArray<NewEvent>) => {
    const sealed = sealEvents(
      { streamId, firstVersion: head.version + 1, prevHash: head.hash, events },
      nodeSha256Hex,
    )
    const data = sealed.map((event) => JSON.stringify(event.data))
    const metadata = sealed.map((event) => JSON.stringify(event.metadata))
    const values = [
      streamId,
      streamPartitionKey(streamId),
      head.version + 1,
      head.hash,
      sealed.map((event) => event.type),
      data,
      metadata,
      sealed.map((event) => event.metadata.commandId),
    ] as const
    /** What `append_events` returned, as the stored events. */
    const stored = (appended: ReadonlyArray<AppendedRow>): AppendResult => {
      const positions = new Map(appended.map((row) => [row.appended_version, Number(row.appended_position)]))
      const events = sealed.map((event, index): StoredEvent => {
        const position = positions.get(event.version)
        if (position === undefined)
          throw new Error(`append_events returned no position for version ${event.version}`)
        // Parsed from the very text stored, so what an append returns equals what a read gives back.
        return {
          ...event,
          position,
          data: JSON.parse(data[index] ?? 'null'),
          metadata: JSON.parse(metadata[index] ?? 'null') as StoredEventMetadata,
        }
      })
      const last = sealed[sealed.length - 1]
      if (last !== undefined) remember(streamId, { version: last.version, hash: last.metadata.hash })
      return { events, version: head.version + events.length }
    }
    return { values, stored }
  }

  /** Seals and inserts after `head`; append_events refuses the batch if the head has moved. */
  const insertAfter = async (
    on: Queryable,
    streamId: string,
    head: Head,
    events: ReadonlyArray<NewEvent>,
  ): Promise<AppendResult> => {
    const { values, stored } = sealAfter(streamId, head, events)
    return stored(await rowsOf<AppendedRow>(on, appendStatement([...values])))
  }

  const appendExpecting = async (
    streamId: string,
    expected: 'no-stream' | number,
    events: ReadonlyArray<NewEvent>,
  ): Promise<E.Either<StoreError, AppendResult>> => {
    const known = expected === 'no-stream' ? newStream : heads.get(streamId)
    const head =
      known?.version === (expected === 'no-stream' ? -1 : expected) ? known : await headOf(pool, streamId)
    if (!expectedVersionMatches(expected, head.version))
      return E.left(concurrencyConflict(streamId, expected, head.version))
    if (events.length === 0) return E.right({ events: [], version: head.version })
    try {
      return E.right(await insertAfter(pool, streamId, head, events))
    } catch (error) {
      if (!isStaleHead(error)) throw error
      return E.left(concurrencyConflict(streamId, expected, (await headOf(pool, streamId)).version))
    }
  }

  const appendAny = async (
    streamId: string,
    events: ReadonlyArray<NewEvent>,
  ): Promise<E.Either<StoreError, AppendResult>> => {
    const client = await checkOut(pool)
    let broken = false
    try {
      await client.query('BEGIN')
      // Held until COMMIT; append_events takes the same lock, so the head read next cannot go stale.
      await client.query(lockStreamStatement([streamId]))
      const head = await headOf(client, streamId)
      const result =
        events.length === 0
          ? { events: [], version: head.version }
          : await insertAfter(client, streamId, head, events)
      await client.query('COMMIT')
      return E.right(result)
    } catch (error) {
      heads.delete(streamId)
      await client.query('ROLLBACK').catch(() => {
        // A connection that cannot roll back is in an unknown state: destroy it rather than reuse it.
        broken = true
      })
      throw error
    } finally {
      release(client, broken)
    }
  }

  // The locked path in two round trips instead of five: BEGIN, the lock and the read go as one
  // simple-protocol message, and so do the insert and COMMIT. Simple-protocol statements take no
  // parameters, so the values are quoted with pg's escapeLiteral (the standard string quoting).
  const text = (value: string) => escapeLiteral(value)
  const textArray = (values: ReadonlyArray<string>) => `ARRAY[${values.map(text).join(', ')}]::text[]`
  const beginLockAndReadSql = (streamId: string, after: number, commandId: string) => {
    const stream = text(streamId)
    const columns = 'position, stream_id, version, type, data, metadata'
    return `BEGIN;
      SELECT pg_advisory_xact_lock(hashtextextended(${text(`${schema}.events:stream:`)} || ${stream}, 0));
      (SELECT ${columns}, 'h' FROM ${table} WHERE stream_id = ${stream} ORDER BY version DESC LIMIT 1)
      UNION ALL
      (SELECT ${columns}, 'e' FROM ${table} WHERE stream_id = ${stream} AND version > ${Math.trunc(after)} ORDER BY version)
      UNION ALL
      (SELECT ${columns}, 'c' FROM ${table} WHERE command_id = ${text(commandId)} AND stream_id = ${stream} ORDER BY version)`
  }
  const appendAndCommitSql = (values: ReturnType<typeof sealAfter>['values']) => {
    const [streamId, partitionKey, firstVersion, prevHash, types, data, metadata, commandIds] = values
    return `SELECT appended_version, appended_position FROM "${schema}".append_events(${text(streamId)},
      ${Math.trunc(partitionKey)}, ${Math.trunc(firstVersion)}, ${text(prevHash)}, ${textArray(types)},
      ${textArray(data)}, ${textArray(metadata)}, ${textArray(commandIds)}); COMMIT`
  }

  const decideAndAppend = async <R>(
    request: DecideAndAppendRequest<R>,
  ): Promise<DecideAndAppendResult<R>> => {
    const { streamId, after, commandId } = request
    const client = await checkOut(pool)
    let broken = false
    let open = false
    try {
      open = true
      const results = (await client.query({
        text: beginLockAndReadSql(streamId, after, commandId),
        rowMode: 'array',
      })) as unknown as ReadonlyArray<{ readonly rows: ReadonlyArray<TaggedEventRow> }>
      // Held until COMMIT: what was read cannot go stale before the insert.
      const rows = results[2]?.rows ?? []
      const last = rows.find((row) => row[6] === 'h')
      const head: Head = last === undefined ? newStream : { version: last[2], hash: last[5].hash }
      const tagged = (tag: TaggedEventRow[6]) =>
        rows.flatMap(([position, id, version, type, data, metadata, rowTag]) =>
          rowTag === tag ? [toStored([position, id, version, type, data, metadata])] : [],
        )
      // A caller that folded more than this stream holds does not know this stream's past: all of it.
      const events =
        after <= head.version
          ? tagged('e')
          : (await client.query<EventRow>({ ...readStreamStatement([streamId]), rowMode: 'array' })).rows.map(
              toStored,
            )
      const decided = callDecide(request, { version: head.version, events, ofCommand: tagged('c') })
      if (E.isLeft(decided)) {
        await client.query('COMMIT')
        open = false
        return decided
      }
      if (E.isLeft(decided.right)) {
        await client.query('COMMIT')
        open = false
        return E.right(decided.right)
      }
      const { values, stored } = sealAfter(streamId, head, decided.right.right)
      const appended = (await client.query(appendAndCommitSql(values))) as unknown as ReadonlyArray<{
        readonly rows: ReadonlyArray<AppendedRow>
      }>
      open = false
      return E.right(E.right(stored(appended[0]?.rows ?? [])))
    } catch (error) {
      heads.delete(streamId)
      if (open) {
        await client.query('ROLLBACK').catch(() => {
          broken = true
        })
      }
      throw error
    } finally {
      release(client, broken)
    }
  }

  return {
    decideAndAppend: (request) => guarded('decideAndAppend', () => decideAndAppend(request)),

    readStream: (streamId) =>
      guarded('readStream', async () => {
        const events = await eventsOf(readStreamStatement([streamId]))
        const last = events[events.length - 1]
        if (last !== undefined) remember(streamId, { version: last.version, hash: last.metadata.hash })
        return E.right({ events, version: last?.version ?? -1 })
      }),

    appendToStream: (streamId, expected, events) =>
      guarded('appendToStream', () =>
        expected === 'any' ? appendAny(streamId, events) : appendExpecting(streamId, expected, events),
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
        const [row] = await rowsOf<{ position: string }>(pool, headPositionStatement([]))
        return E.right(row === undefined ? 0 : Number(row.position))
      }),

    close: () => {
      closing ??= ownsPool ? pool.end().catch(() => undefined) : Promise.resolve()
      return closing
    },
  }
}
