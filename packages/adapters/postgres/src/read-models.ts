/**
 * The PostgreSQL ReadModelStore of @elicence/projections: read-model documents and projection
 * checkpoints in two tables of a schema (default `elicence`, beside the event store's). A commit is
 * one transaction that locks the projection's checkpoint row, checks it has not moved, writes every
 * document and moves it: a crash leaves the read models at a committed checkpoint, and two runners
 * on one projection never both apply a page (the second gets a `concurrency-conflict`).
 *
 * Documents are stored as JSON text, not jsonb, so they come back exactly as written; keys and sort
 * keys use the "C" collation, so ordering is byte order as the port says, whatever the database's.
 *
 * @example
 * const readModels = postgresReadModelStore({ connectionString: 'postgres://…/elicence' })
 * await projectionRunner({ events: postgresEventStore({ connectionString }), readModels }).catchUp()
 */
import { concurrencyConflict, type StoreError, type StoreFailure, storeFailure } from '@elicence/domain'
import {
  type Checkpoint,
  checkpointStreamId,
  type DocumentChange,
  initialCheckpoint,
  type ReadModelStore,
} from '@elicence/projections/read-model-port'
import * as E from 'fp-ts/lib/Either.js'
import { Pool, type PoolClient } from 'pg'
import { ownedPoolConfig, type PostgresConnectionOptions } from './connection-options.js'
import { postgresErrorMessage } from './error-message.js'
import { checkOut, release, rollBackAfter } from './pool-client.js'
import { defaultSchema, isValidSchemaName, schemaLockSql } from './schema.js'

export type PostgresReadModelStoreOptions = PostgresConnectionOptions

const schemaSql = (schema: string): string => `
  CREATE SCHEMA IF NOT EXISTS "${schema}";
  CREATE TABLE IF NOT EXISTS "${schema}".read_model_checkpoints (
    projection text PRIMARY KEY,
    position   bigint NOT NULL,
    stream_id  text,
    version    integer,
    hash       text
  );
  CREATE TABLE IF NOT EXISTS "${schema}".read_model_documents (
    projection text NOT NULL,
    collection text NOT NULL,
    key        text COLLATE "C" NOT NULL,
    doc        text NOT NULL,
    sort_key   text COLLATE "C",
    PRIMARY KEY (projection, collection, key)
  );
  CREATE INDEX IF NOT EXISTS read_model_documents_by_sort_key
    ON "${schema}".read_model_documents (projection, collection, sort_key) WHERE sort_key IS NOT NULL;
`

/** Upper bound of a prefix range in byte order: the highest code point sorts after every key with it. */
const prefixEnd = (prefix: string): string => `${prefix}\u{10FFFF}`

interface CheckpointRow {
  readonly position: string
  readonly stream_id: string | null
  readonly version: number | null
  readonly hash: string | null
}

const checkpointOf = (row: CheckpointRow | undefined): Checkpoint =>
  row === undefined
    ? initialCheckpoint
    : { position: Number(row.position), streamId: row.stream_id, version: row.version, hash: row.hash }

const closedStore = (problem: StoreFailure): ReadModelStore => ({
  loadCheckpoint: async () => E.left(problem),
  load: async () => E.left(problem),
  list: async () => E.left(problem),
  commit: async () => E.left(problem),
  reset: async () => E.left(problem),
  close: async () => undefined,
})

export const postgresReadModelStore = (options: PostgresReadModelStoreOptions): ReadModelStore => {
  const schema = options.schema ?? defaultSchema
  if (!isValidSchemaName(schema)) {
    return closedStore(
      storeFailure(
        `postgres read models: schema name ${JSON.stringify(schema)} is not a lower-case SQL identifier`,
      ),
    )
  }
  const ownsPool = 'connectionString' in options
  let pool: Pool
  if (!ownsPool) pool = options.pool
  else {
    const config = ownedPoolConfig(options, 4)
    if (E.isLeft(config)) return closedStore(storeFailure(`postgres read models: ${config.left}`))
    pool = new Pool(config.right)
  }
  // A pool reports errors of idle clients (a restarted server) as events; unhandled, they would crash.
  if (ownsPool) pool.on('error', () => undefined)
  const failure = (what: string, cause: unknown): StoreFailure =>
    storeFailure(`postgres read models: ${what}: ${postgresErrorMessage(cause, pool.options)}`, cause)
  const table = (name: string) => `"${schema}".${name}`
  const readOnly = options.readOnly === true
  let closed = false
  let ready: Promise<void> | undefined
  // Read only, the tables are looked for, never made: absent, the read models are empty.
  let absent = false

  const prepare = async (): Promise<void> => {
    if (readOnly) {
      const found = await pool.query<{ present: boolean }>(
        `SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AS present`,
        [table('read_model_checkpoints'), table('read_model_documents')],
      )
      absent = found.rows[0]?.present !== true
      return
    }
    const client = await checkOut(pool)
    let broken = false
    try {
      await client.query('BEGIN')
      // The schema's one lock (schema.ts): the event store creates the same schema under it.
      await client.query(schemaLockSql(schema))
      await client.query(schemaSql(schema))
      await client.query('COMMIT')
    } catch (error) {
      broken = await rollBackAfter(client, error)
      throw error
    } finally {
      release(client, broken)
    }
  }

  const readOnlyFailure = E.left(storeFailure('postgres read models: opened read-only'))
  /** `whenAbsent`: the answer of a read-only store without tables (a write's is a failure). */
  const run = async <A>(
    what: string,
    body: () => Promise<E.Either<StoreError, A>>,
    whenAbsent?: A,
  ): Promise<E.Either<StoreError, A>> => {
    if (closed) return E.left(storeFailure('postgres read models: the store is closed'))
    try {
      ready ??= prepare().catch((error) => {
        ready = undefined
        throw error
      })
      await ready
      if (readOnly && whenAbsent === undefined) return readOnlyFailure
      if (absent && whenAbsent !== undefined) return E.right(whenAbsent)
      return await body()
    } catch (error) {
      return E.left(failure(what, error))
    }
  }

  const inTransaction = async <A>(body: (client: PoolClient) => Promise<E.Either<StoreError, A>>) => {
    const client = await checkOut(pool)
    let broken = false
    try {
      await client.query('BEGIN')
      const result = await body(client)
      await client.query(E.isRight(result) ? 'COMMIT' : 'ROLLBACK')
      return result
    } catch (error) {
      broken = await rollBackAfter(client, error)
      throw error
    } finally {
      release(client, broken)
    }
  }

  const loadCheckpoint = (projection: string) =>
    run(
      'cannot read a checkpoint',
      async () => {
        const result = await pool.query<CheckpointRow>(
          `SELECT position, stream_id, version, hash FROM ${table('read_model_checkpoints')} WHERE projection = $1`,
          [projection],
        )
        return E.right(checkpointOf(result.rows[0]))
      },
      initialCheckpoint,
    )

  const commit = (
    projection: string,
    changes: ReadonlyArray<DocumentChange>,
    expected: number,
    next: Checkpoint,
  ): Promise<E.Either<StoreError, void>> =>
    run('cannot commit', async () => {
      // Serialise first: a document without a JSON form fails the commit before anything is sent. One
      // change per document (the last), as a single INSERT … ON CONFLICT may not touch a row twice.
      const last = new Map<string, DocumentChange>()
      for (const change of changes) last.set(`${change.collection}\u0000${change.key}`, change)
      const upserts: { collection: string[]; key: string[]; doc: string[]; sortKey: (string | null)[] } = {
        collection: [],
        key: [],
        doc: [],
        sortKey: [],
      }
      const deletes: { collection: string[]; key: string[] } = { collection: [], key: [] }
      try {
        for (const change of last.values()) {
          if (change.doc === null) {
            deletes.collection.push(change.collection)
            deletes.key.push(change.key)
          } else {
            upserts.doc.push(JSON.stringify(change.doc))
            upserts.collection.push(change.collection)
            upserts.key.push(change.key)
            upserts.sortKey.push(change.sortKey)
          }
        }
      } catch (error) {
        return E.left(failure('a document has no JSON form', error))
      }
      return inTransaction(async (client) => {
        await client.query(
          `INSERT INTO ${table('read_model_checkpoints')} (projection, position) VALUES ($1, 0) ON CONFLICT DO NOTHING`,
          [projection],
        )
        const locked = await client.query<{ position: string }>(
          `SELECT position FROM ${table('read_model_checkpoints')} WHERE projection = $1 FOR UPDATE`,
          [projection],
        )
        const actual = Number(locked.rows[0]?.position ?? 0)
        if (actual !== expected)
          return E.left(concurrencyConflict(checkpointStreamId(projection), expected, actual))
        if (deletes.key.length > 0) {
          await client.query(
            `DELETE FROM ${table('read_model_documents')} AS d USING unnest($2::text[], $3::text[]) AS t(collection, key)
             WHERE d.projection = $1 AND d.collection = t.collection AND d.key = t.key`,
            [projection, deletes.collection, deletes.key],
          )
        }
        if (upserts.key.length > 0) {
          await client.query(
            `INSERT INTO ${table('read_model_documents')} (projection, collection, key, doc, sort_key)
             SELECT $1, t.collection, t.key, t.doc, t.sort_key
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS t(collection, key, doc, sort_key)
             ON CONFLICT (projection, collection, key) DO UPDATE SET doc = excluded.doc, sort_key = excluded.sort_key`,
            [projection, upserts.collection, upserts.key, upserts.doc, upserts.sortKey],
          )
        }
        await client.query(
          `UPDATE ${table('read_model_checkpoints')} SET position = $2, stream_id = $3, version = $4, hash = $5
           WHERE projection = $1`,
          [projection, next.position, next.streamId, next.version, next.hash],
        )
        return E.right(undefined)
      })
    })

  return {
    loadCheckpoint,
    load: (projection, collection, keys) =>
      run(
        `cannot read ${collection}`,
        async () => {
          const found = new Map<string, unknown>()
          if (keys.length === 0) return E.right(found)
          const result = await pool.query<{ key: string; doc: string }>(
            `SELECT key, doc FROM ${table('read_model_documents')}
           WHERE projection = $1 AND collection = $2 AND key = ANY($3::text[])`,
            [projection, collection, [...keys]],
          )
          // Documents are parsed, not decoded: only the projection runner writes them.
          for (const row of result.rows) found.set(row.key, JSON.parse(row.doc))
          return E.right(found)
        },
        new Map<string, unknown>(),
      ),
    list: (projection, collection, query = {}) =>
      run(`cannot list ${collection}`, async () => {
        const prefix = query.prefix ?? ''
        const bySortKey = query.orderBy === 'sort-key'
        const result = await pool.query<{ key: string; doc: string }>(
          `SELECT key, doc FROM ${table('read_model_documents')}
           WHERE projection = $1 AND collection = $2 AND key >= $3 AND key < $4
             ${bySortKey ? 'AND sort_key IS NOT NULL AND ($5::text IS NULL OR sort_key <= $5::text)' : 'AND $5::text IS NULL'}
           ORDER BY ${bySortKey ? 'sort_key, key' : 'key'} LIMIT $6`,
          [
            projection,
            collection,
            prefix,
            prefixEnd(prefix),
            bySortKey ? (query.maxSortKey ?? null) : null,
            query.limit ?? null,
          ],
        )
        return E.right(result.rows.map((row) => ({ key: row.key, doc: JSON.parse(row.doc) })))
      }, []),
    commit: (projection, changes, { expected, next }) => commit(projection, changes, expected, next),
    reset: (projection) =>
      run('cannot reset', () =>
        inTransaction(async (client) => {
          await client.query(`DELETE FROM ${table('read_model_documents')} WHERE projection = $1`, [
            projection,
          ])
          await client.query(`DELETE FROM ${table('read_model_checkpoints')} WHERE projection = $1`, [
            projection,
          ])
          return E.right(undefined)
        }),
      ),
    close: async () => {
      if (closed) return
      closed = true
      if (ownsPool) await pool.end()
    },
  }
}
