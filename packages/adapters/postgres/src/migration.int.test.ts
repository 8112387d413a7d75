import {
  type EventStore,
  genesisHash,
  hasLoneSurrogate,
  isStoreFailure,
  type NewEvent,
  partitionOfStream,
  type StoredEvent,
  sealEvents,
  sha256Hex,
  streamPartitionKey,
} from '@elicence/domain'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import type { Client, Pool, PoolClient } from 'pg'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { postgresEventStore } from './postgres-event-store.js'
import { schemaVersion } from './schema.js'
import { draftEvent } from './testing/draft-events.js'
import { schemaVersion1RowsSql, schemaVersion1Sql } from './testing/schema-version-1.js'
import { throwawaySchemas } from './testing/throwaway-schemas.js'

// A database the previous build (schema 1, no partition key) created and filled, opened by this
// build: it migrates once, even when several stores start on it at the same moment, and then every
// old event is in the partition its stream id names, as streamPartitionKey computes it in Node.

const url = inject('postgresUrl')
const { admin, fresh: freshSchema, dropAll } = throwawaySchemas(url, 'migrate', 4)
afterAll(dropAll)

// Licence numbers, ids whose UTF-8 form has two-, three- and four-byte characters, and a lone
// surrogate, which reaches the database as U+FFFD: the SQL backfill must hash exactly those bytes.
const oldStreamIds = [
  ...Array.from({ length: 12 }, (_, n) => `licence-1101051949123100${n.toString(16)}X`),
  'stream-é',
  'stream-粤A',
  'stream-🚗',
  'stream-\ud800-lone',
]

interface Head {
  readonly version: number
  readonly hash: string
}

/** Appends through schema 1's own append_events (seven arguments), as the previous build did. */
const appendAsVersion1 = async (
  on: Pool | PoolClient | Client,
  schema: string,
  streamId: string,
  head: Head,
  events: ReadonlyArray<NewEvent>,
): Promise<Head> => {
  const sealed = sealEvents(
    { streamId, firstVersion: head.version + 1, prevHash: head.hash, events },
    sha256Hex,
  )
  await on.query(`SELECT * FROM "${schema}".append_events($1, $2, $3, $4, $5, $6, $7)`, [
    streamId,
    head.version + 1,
    head.hash,
    sealed.map((event) => event.type),
    sealed.map((event) => JSON.stringify(event.data)),
    sealed.map((event) => JSON.stringify(event.metadata)),
    sealed.map((event) => event.metadata.commandId),
  ])
  const last = sealed[sealed.length - 1]
  return last === undefined ? head : { version: last.version, hash: last.metadata.hash }
}

/** A schema 1 database with a few rounds of appends to every stream, interleaved in the log. */
const version1Database = async (): Promise<{ schema: string; heads: Map<string, Head> }> => {
  const schema = freshSchema()
  await admin.query(schemaVersion1Sql(schema))
  const heads = new Map<string, Head>()
  for (let round = 0; round < 3; round++) {
    for (const [n, streamId] of oldStreamIds.entries()) {
      const batch = Array.from({ length: 1 + ((n + round) % 3) }, (_, index) =>
        draftEvent('Old', { round, index }),
      )
      heads.set(
        streamId,
        await appendAsVersion1(
          admin,
          schema,
          streamId,
          heads.get(streamId) ?? { version: -1, hash: genesisHash },
          batch,
        ),
      )
    }
  }
  return { schema, heads }
}

const right = <A>(result: E.Either<{ readonly message: string }, A>): A => {
  if (E.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

const readWhole = async (
  read: (after: number) => ReturnType<EventStore['readAll']>,
  limit: number,
): Promise<StoredEvent[]> => {
  const events: StoredEvent[] = []
  for (let after = 0; ; ) {
    const page = right(await read(after))
    expect(page.events.length).toBeLessThanOrEqual(limit)
    if (page.events.length === 0) return events
    events.push(...page.events)
    after = page.lastPosition
  }
}

/** Every partition of `count`, read whole: each holds exactly its streams' events, together the log. */
const expectPartitionsCover = async (store: EventStore, whole: ReadonlyArray<StoredEvent>, count: number) => {
  const { readPartition } = store
  if (readPartition === undefined) throw new Error('the postgres store reads partitions')
  const partitions = await Promise.all(
    Array.from({ length: count }, (_, index) =>
      readWhole((after) => readPartition({ after, limit: 5, partition: { index, count } }), 5),
    ),
  )
  partitions.forEach((events, index) => {
    expect(events).toEqual(whole.filter((event) => partitionOfStream(event.streamId, count) === index))
  })
  expect(partitions.flat().sort((a, b) => a.position - b.position)).toEqual(whole)
}

const schemaFacts = async (schema: string) => {
  const { rows } = await admin.query<{
    marker: string | null
    oldAppend: string | null
    notNull: boolean
    generated: string
    hasDefault: boolean
    partitionIndex: string | null
  }>(
    `SELECT obj_description(to_regclass($1), 'pg_class') AS marker,
            to_regprocedure($2)::text AS "oldAppend",
            a.attnotnull AS "notNull", a.attgenerated AS generated, a.atthasdef AS "hasDefault",
            (SELECT indexdef FROM pg_indexes WHERE schemaname = $3 AND indexname = 'events_by_partition')
              AS "partitionIndex"
     FROM pg_attribute AS a WHERE a.attrelid = to_regclass($1) AND a.attname = 'partition_key'`,
    [
      `"${schema}".events`,
      `"${schema}".append_events(text, integer, text, text[], text[], text[], text[])`,
      schema,
    ],
  )
  return rows[0]
}

describe('migrating a schema 1 database', () => {
  it('opens, migrates once while several stores start at the same moment, and partitions cover every old event', async () => {
    const { schema, heads } = await version1Database()
    const before = await admin.query<{ position: string; stream_id: string }>(
      `SELECT position, stream_id FROM "${schema}".events ORDER BY position`,
    )
    expect(before.rows.length).toBeGreaterThan(oldStreamIds.length * 3)

    // Hold the schema lock, so that every store finds the old schema, queues on the lock, and all but
    // the first find the migration done when they get it.
    const holder = await admin.connect()
    await holder.query('BEGIN')
    await holder.query(`SELECT pg_advisory_xact_lock(hashtextextended('${schema}.events:schema', 0))`)
    const stores = Array.from({ length: 4 }, () => postgresEventStore({ connectionString: url, schema }))
    const opening = stores.map((store) =>
      store.readPartition?.({ after: 0, limit: 1, partition: { index: 0, count: 2 } }),
    )
    try {
      let waiting = 0
      while (waiting < stores.length) {
        await new Promise<void>((resolve) => setTimeout(resolve, 5))
        const { rows } = await admin.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE $1`,
          [`%${schema}.events:schema%`],
        )
        waiting = rows[0]?.waiting ?? 0
      }
    } finally {
      await holder.query('COMMIT')
      holder.release()
    }
    for (const opened of await Promise.all(opening))
      expect(opened !== undefined && E.isRight(opened)).toBe(true)

    // Only one of them ran the script: the function it replaces last was written by the transaction
    // that added the column (a second run would have replaced the function again, in its own).
    const writers = await admin.query<{ same: boolean }>(
      `SELECT (SELECT xmin::text FROM pg_proc WHERE oid = to_regprocedure($1))
            = (SELECT xmin::text FROM pg_attribute WHERE attrelid = to_regclass($2) AND attname = 'partition_key')
            AS same`,
      [`"${schema}".read_partition(bigint, bigint, bigint, integer)`, `"${schema}".events`],
    )
    expect(writers.rows).toEqual([{ same: true }])

    const [store, ...others] = stores
    if (store === undefined) throw new Error('no store')
    for (const other of others) await other.close()

    // Nothing moved or was lost, and the partition keys are streamPartitionKey's.
    const whole = await readWhole((after) => store.readAll({ after, limit: 1000 }), 1000)
    expect(whole.map((event) => [String(event.position), event.streamId])).toEqual(
      before.rows.map((row) => [row.position, row.stream_id]),
    )
    const keys = await admin.query<{ stream_id: string; partition_key: string }>(
      `SELECT DISTINCT stream_id, partition_key FROM "${schema}".events`,
    )
    expect(keys.rows).toHaveLength(oldStreamIds.length)
    for (const row of keys.rows) expect(Number(row.partition_key)).toBe(streamPartitionKey(row.stream_id))
    for (const count of [1, 2, 3, 7]) await expectPartitionsCover(store, whole, count)

    // The new schema is in place: marked, the old append gone, the key a plain NOT NULL column.
    expect(await schemaFacts(schema)).toEqual({
      marker: `elicence-postgres schema ${schemaVersion}`,
      oldAppend: null,
      notNull: true,
      generated: '',
      hasDefault: false,
      partitionIndex: expect.stringContaining('INCLUDE (partition_key, transaction_id)'),
    })

    // Old streams go on where they were, chain included, and new events are in their partitions;
    // but for an id with a lone surrogate, which this build refuses (the server stored U+FFFD).
    const goingOn = oldStreamIds.filter((streamId) => !hasLoneSurrogate(streamId))
    for (const streamId of oldStreamIds) {
      const head = heads.get(streamId)
      const appending = await store.appendToStream(streamId, head?.version ?? -1, [
        draftEvent('New', { streamId }),
      ])
      if (!goingOn.includes(streamId)) {
        expect(E.isLeft(appending) && appending.left.message).toMatch('the stream id holds a lone surrogate')
        continue
      }
      expect(right(appending).events[0]?.metadata.prevHash).toBe(head?.hash)
    }
    const grown = await readWhole((after) => store.readAll({ after, limit: 1000 }), 1000)
    expect(grown).toHaveLength(whole.length + goingOn.length)
    for (const count of [2, 5]) await expectPartitionsCover(store, grown, count)
    await store.close()
  })

  it('migrates a table whose rewrite takes longer than the statement and query limits of commands', async () => {
    const schema = freshSchema()
    await admin.query(schemaVersion1Sql(schema))
    await admin.query(schemaVersion1RowsSql(schema, 150_000))
    const limits = '?statement_timeout=200&query_timeout=400'
    const started = Date.now()
    const store = postgresEventStore({ connectionString: `${url}${limits}`, schema })
    expect(await store.headPosition?.()).toEqual(E.right(150_000))
    // The migration did outlast both limits, and commands are still held to them.
    expect(Date.now() - started).toBeGreaterThan(400)
    const appended = await store.appendToStream('licence-1', 'any', [draftEvent('New', {})])
    expect(E.isLeft(appended) ? appended.left.message : 'appended').toBe('appended')
    expect((await schemaFacts(schema))?.marker).toBe(`elicence-postgres schema ${schemaVersion}`)
    const keys = await admin.query<{ stream_id: string; partition_key: string }>(
      `SELECT DISTINCT stream_id, partition_key FROM "${schema}".events WHERE stream_id IN ('licence-0', 'licence-999')`,
    )
    for (const row of keys.rows) expect(Number(row.partition_key)).toBe(streamPartitionKey(row.stream_id))
    await store.close()
  })

  it('a store of the previous build still running cannot file an event under no partition', async () => {
    const { schema, heads } = await version1Database()
    const store = postgresEventStore({ connectionString: url, schema })
    right(await store.readAll({ after: 0, limit: 1 }))
    // What the previous build does when it finds its marker gone: run its DDL again, then append.
    await admin.query(schemaVersion1Sql(schema))
    const streamId = oldStreamIds[0] ?? 'licence-a'
    const head = heads.get(streamId) ?? { version: -1, hash: genesisHash }
    await expect(
      appendAsVersion1(admin, schema, streamId, head, [draftEvent('Stale', {})]),
    ).rejects.toMatchObject({ code: '23502', column: 'partition_key' })
    // This build is unaffected: its marker is on the table, its append_events has eight arguments.
    const reopened = postgresEventStore({ connectionString: url, schema })
    right(await reopened.appendToStream(streamId, head.version, [draftEvent('New', {})]))
    await reopened.close()
    await store.close()
  })

  it('refuses a schema newer than this build, as a store-failure, and changes nothing', async () => {
    const schema = freshSchema()
    const store = postgresEventStore({ connectionString: url, schema })
    right(await store.appendToStream('licence-n', 'no-stream', [draftEvent('A', {})]))
    await store.close()
    const newerMarker = `elicence-postgres schema ${schemaVersion + 1}`
    await admin.query(`COMMENT ON TABLE "${schema}".events IS '${newerMarker}'`)
    const newer = postgresEventStore({ connectionString: url, schema })
    const read = await newer.readPartition?.({ after: 0, limit: 10, partition: { index: 0, count: 1 } })
    expect(read !== undefined && E.isLeft(read) && isStoreFailure(read.left) && read.left.message).toMatch(
      `version ${schemaVersion + 1}, newer than this build reads (${schemaVersion})`,
    )
    expect((await schemaFacts(schema))?.marker).toBe(newerMarker)
    await newer.close()
  })

  it('the SQL hash that backfills old events is streamPartitionKey, for any stream id', async () => {
    const schema = freshSchema()
    const store = postgresEventStore({ connectionString: url, schema })
    right(await store.readAll({ after: 0, limit: 1 }))
    await store.close()
    // PostgreSQL text cannot hold U+0000; every other string, lone surrogates included, can arrive.
    const streamId = fc.string({ unit: 'binary', maxLength: 40 }).filter((id) => !id.includes('\u0000'))
    await fc.assert(
      fc.asyncProperty(fc.array(streamId, { minLength: 1, maxLength: 20 }), async (ids) => {
        const { rows } = await admin.query<{ key: string }>(
          `SELECT "${schema}".stream_partition_key(id)::text AS key FROM unnest($1::text[]) WITH ORDINALITY AS x(id, n) ORDER BY n`,
          [ids],
        )
        expect(rows.map((row) => Number(row.key))).toEqual(ids.map(streamPartitionKey))
      }),
      { numRuns: 50 },
    )
  })
})
