import { randomUUID } from 'node:crypto'
import {
  type EventStore,
  isConcurrencyConflict,
  isStoreFailure,
  type NewEvent,
  partitionOfStream,
  streamPartitionKey,
} from '@elicence/domain'
import { eventStoreConformance } from '@elicence/domain/testing'
import * as E from 'fp-ts/lib/Either.js'
import { Pool } from 'pg'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { postgresEventStore } from './postgres-event-store.js'
import { postgresReadModelStore } from './read-models.js'
import { draftEvent } from './testing/draft-events.js'

const url = inject('postgresUrl')
// For what the suite does behind a store's back (tamper) and for dropping the schemas afterwards.
const admin = new Pool({ connectionString: url, max: 2 })
const schemas = new Map<EventStore, string>()
const freshSchema = () => `test_${randomUUID().replaceAll('-', '')}`
const openIn = (schema: string): EventStore => {
  const store = postgresEventStore({ connectionString: url, schema })
  schemas.set(store, schema)
  return store
}
const dropSchemas = async () => {
  for (const schema of new Set(schemas.values()))
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  schemas.clear()
}

eventStoreConformance('postgres', {
  open: async () => openIn(freshSchema()),
  reopen: async (closed) => openIn(schemas.get(closed) ?? freshSchema()),
  tamper: async (store, { streamId, version, data }) => {
    await admin.query(
      `UPDATE "${schemas.get(store)}".events SET data = $1 WHERE stream_id = $2 AND version = $3`,
      [JSON.stringify(data), streamId, version],
    )
  },
  cleanup: dropSchemas,
})

describe('postgresEventStore', () => {
  afterAll(async () => {
    await dropSchemas()
    await admin.end()
  })

  it('creates its schema once when several stores start on it at the same moment', async () => {
    const schema = freshSchema()
    const stores = Array.from({ length: 4 }, () => openIn(schema))
    const reads = await Promise.all(stores.map((store) => store.readAll({ after: 0, limit: 1 })))
    expect(reads.every(E.isRight)).toBe(true)
    const [first, second] = stores
    if (first === undefined || second === undefined) throw new Error('no stores')
    expect(E.isRight(await first.appendToStream('licence-a', 'no-stream', [draftEvent('A', {})]))).toBe(true)
    expect(E.isRight(await second.appendToStream('licence-a', 0, [draftEvent('B', {})]))).toBe(true)
    for (const store of stores) await store.close()
  })

  it('shares the creation of a fresh schema with read-model stores starting on it at the same moment', async () => {
    const failures: string[] = []
    for (let round = 0; round < 8; round++) {
      const schema = freshSchema()
      const events = Array.from({ length: 3 }, () => openIn(schema))
      const readModels = Array.from({ length: 3 }, () =>
        postgresReadModelStore({ connectionString: url, schema, poolSize: 1 }),
      )
      const results = await Promise.all([
        ...events.map((store) => store.headPosition?.() ?? Promise.resolve(E.right(0))),
        ...readModels.map((store, n) =>
          store.commit(`p${n}`, [{ collection: 'c', key: 'k', doc: { n }, sortKey: null }], {
            expected: 0,
            next: { position: 1, streamId: null, version: null, hash: null },
          }),
        ),
      ])
      for (const result of results) if (E.isLeft(result)) failures.push(result.left.message)
      for (const store of [...events, ...readModels]) await store.close()
    }
    expect(failures).toEqual([])
  })

  it('keeps data exactly as written, including what jsonb would refuse or reorder', async () => {
    const store = openIn(freshSchema())
    const data = { z: 1, a: 'nul \u0000 and lone surrogate \ud800', nested: { b: [1.5, -0] } }
    const appended = await store.appendToStream('licence-j', 'no-stream', [draftEvent('J', data)])
    expect(E.isLeft(appended) ? appended.left.message : 'appended').toBe('appended')
    const read = await store.readStream('licence-j')
    expect(E.isRight(read) && read.right.events[0]?.data).toEqual(JSON.parse(JSON.stringify(data)))
    await store.close()
  })

  it('refuses, naming the field, a stream id, type or metadata PostgreSQL would not keep or read back, and the stream goes on', async () => {
    const schema = freshSchema()
    const store = openIn(schema)
    const withActorId = (id: string): NewEvent => {
      const event = draftEvent('Noted', {})
      // Branded in the domain; any string here, as a store may be given.
      const actor = { ...event.metadata.actor, id } as NewEvent['metadata']['actor']
      return { ...event, metadata: { ...event.metadata, actor } }
    }
    const refusals = [
      ['stream-\ud800', [draftEvent('A', {})]],
      ['stream-\u0000', [draftEvent('A', {})]],
      ['licence-a', [draftEvent('A', {}), draftEvent('Type\udc00', {})]],
      ['licence-a', [draftEvent('Type\u0000', {})]],
      ['licence-a', [withActorId('a\u0000b')]],
      ['licence-a', [withActorId('a\ud800b')]],
    ] as const
    const messages = []
    for (const [streamId, events] of refusals) {
      const appended = await store.appendToStream(streamId, 'any', events)
      messages.push(E.isLeft(appended) && isStoreFailure(appended.left) ? appended.left.message : 'appended')
    }
    expect(messages).toEqual([
      'postgres: the stream id holds a lone surrogate, which PostgreSQL text cannot hold (it would store U+FFFD)',
      'postgres: the stream id holds U+0000, which PostgreSQL text cannot hold',
      'postgres: the type of event 1 holds a lone surrogate, which PostgreSQL text cannot hold (it would store U+FFFD)',
      'postgres: the type of event 0 holds U+0000, which PostgreSQL text cannot hold',
      'postgres: metadata.actor.id of event 0 holds U+0000, which PostgreSQL’s JSON functions cannot read',
      'postgres: metadata.actor.id of event 0 holds a lone surrogate, which PostgreSQL’s JSON functions cannot read',
    ])
    const lone = await store.readStream('stream-\ud800')
    expect(E.isLeft(lone) && lone.left.message).toBe(
      'postgres: the stream id holds a lone surrogate, which PostgreSQL text cannot hold (it would store U+FFFD)',
    )
    // Nothing was written, and the stream takes appends after each refusal, one after the other.
    expect((await admin.query(`SELECT 1 FROM "${schema}".events`)).rows).toEqual([])
    expect(E.isRight(await store.appendToStream('licence-a', 'no-stream', [withActorId('a')]))).toBe(true)
    expect(E.isLeft(await store.appendToStream('licence-a', 0, [withActorId('a\u0000')]))).toBe(true)
    const other = openIn(schema)
    expect(E.isRight(await other.appendToStream('licence-a', 0, [withActorId('b')]))).toBe(true)
    expect(E.isRight(await store.appendToStream('licence-a', 'any', [withActorId('c')]))).toBe(true)
    await other.close()
    await store.close()
  })

  it('indexes the command id of every event', async () => {
    const schema = freshSchema()
    const store = openIn(schema)
    const event = draftEvent('C', {})
    expect(E.isRight(await store.appendToStream('licence-c', 'no-stream', [event]))).toBe(true)
    const indexes = await admin.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'events_command_id'`,
      [schema],
    )
    expect(indexes.rows[0]?.indexdef).toContain('(command_id)')
    const byCommand = await admin.query(`SELECT version FROM "${schema}".events WHERE command_id = $1`, [
      event.metadata.commandId,
    ])
    expect(byCommand.rows).toEqual([{ version: 0 }])
    await store.close()
  })

  it('reports a conflict with the actual version when another writer took the version first', async () => {
    const schema = freshSchema()
    const store = openIn(schema)
    expect(E.isRight(await store.appendToStream('licence-r', 'no-stream', [draftEvent('A', {})]))).toBe(true)
    // Another store on the same schema appends between this store's head read and its insert: the
    // unique (stream_id, version) constraint is what refuses the second writer.
    const other = openIn(schema)
    const [mine, theirs] = await Promise.all([
      store.appendToStream('licence-r', 0, [draftEvent('B', {})]),
      other.appendToStream('licence-r', 0, [draftEvent('C', {})]),
    ])
    const outcomes = [mine, theirs]
    expect(outcomes.filter(E.isRight)).toHaveLength(1)
    const lost = outcomes.find(E.isLeft)
    expect(lost !== undefined && isConcurrencyConflict(lost.left) && lost.left.actual).toBe(1)
    await store.close()
    await other.close()
  })

  it('append_events refuses a batch that does not continue the chain, and never leaves a lock behind', async () => {
    const schema = freshSchema()
    const store = openIn(schema)
    const appended = await store.appendToStream('licence-l', 'no-stream', [draftEvent('A', {})])
    if (E.isLeft(appended)) throw new Error(appended.left.message)
    const headHash = appended.right.events[0]?.metadata.hash ?? ''
    const writer = await admin.connect()
    const blocker = await admin.connect()
    // Raw calls of the function the store uses, with one unsealed event: only the checks are under test.
    const appendRaw = (version: number, prevHash: string) =>
      writer.query(`SELECT * FROM "${schema}".append_events('licence-l', $1, $2, $3, $4, $5, $6, $7)`, [
        streamPartitionKey('licence-l'),
        version,
        prevHash,
        ['X'],
        ['{}'],
        ['{}'],
        [randomUUID()],
      ])
    const advisoryLocksHeld = async () =>
      (
        await writer.query<{ held: number }>(
          `SELECT count(*)::int AS held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`,
        )
      ).rows[0]?.held
    try {
      // Version 0 is taken: the unique constraint refuses it.
      await expect(appendRaw(0, '0'.repeat(64))).rejects.toMatchObject({ code: '23505' })
      // A wrong previous hash, and a gap after the head: the chain check refuses them.
      await expect(appendRaw(1, 'f'.repeat(64))).rejects.toMatchObject({ code: 'EL409' })
      await expect(appendRaw(2, headHash)).rejects.toMatchObject({ code: 'EL409' })
      expect(await advisoryLocksHeld()).toBe(0)

      // A cancellation inside the critical section: nextval waits for a lock on the sequence that an
      // open ALTER SEQUENCE holds, until the statement times out.
      await blocker.query('BEGIN')
      await blocker.query(`ALTER SEQUENCE "${schema}".events_position CACHE 1`)
      await writer.query(`SET statement_timeout = '300ms'`)
      await expect(appendRaw(1, headHash)).rejects.toMatchObject({ code: '57014' })
      expect(await advisoryLocksHeld()).toBe(0)
      await blocker.query('ROLLBACK')
      await writer.query('RESET statement_timeout')

      // A transaction that has written before may not append: its xid would predate the lock.
      await writer.query('BEGIN')
      await writer.query('SELECT pg_current_xact_id()')
      await expect(appendRaw(1, headHash)).rejects.toMatchObject({ code: '55000' })
      await writer.query('ROLLBACK')
    } finally {
      writer.release()
      blocker.release()
    }
    // Nobody holds the lock, so appends go on.
    expect(E.isRight(await store.appendToStream('licence-l', 0, [draftEvent('B', {})]))).toBe(true)
    await store.close()
  })

  it('a remembered head that went stale behind the store turns into a conflict, then the store recovers', async () => {
    const schema = freshSchema()
    const mine = openIn(schema)
    const theirs = openIn(schema)
    expect(E.isRight(await mine.appendToStream('licence-h', 'no-stream', [draftEvent('A', {})]))).toBe(true)
    // `mine` remembers version 0; `theirs` moves the stream on.
    expect(E.isRight(await theirs.appendToStream('licence-h', 0, [draftEvent('B', {})]))).toBe(true)
    const stale = await mine.appendToStream('licence-h', 0, [draftEvent('C', {})])
    expect(E.isLeft(stale) && stale.left).toMatchObject({ code: 'concurrency-conflict', actual: 1 })
    const next = await mine.appendToStream('licence-h', 1, [draftEvent('C', {})])
    expect(E.isRight(next) && next.right.version).toBe(2)
    const read = await theirs.readStream('licence-h')
    expect(E.isRight(read) && read.right.events.map((event) => event.type)).toEqual(['A', 'B', 'C'])
    await mine.close()
    await theirs.close()
  })

  it('reports an unreachable server, a bad schema name and a closed store as store failures', async () => {
    const unreachable = postgresEventStore({ connectionString: 'postgres://nobody:nothing@127.0.0.1:1/none' })
    const read = await unreachable.readStream('licence-x')
    expect(E.isLeft(read) && isStoreFailure(read.left)).toBe(true)
    await unreachable.close()

    const badSchema = postgresEventStore({ connectionString: url, schema: 'Robert"); DROP TABLE x; --' })
    const appended = await badSchema.appendToStream('licence-x', 'any', [draftEvent('A', {})])
    expect(E.isLeft(appended) && appended.left.message).toMatch(/schema name/)

    const store = openIn(freshSchema())
    await store.close()
    const afterClose = await store.readAll({ after: 0, limit: 10 })
    expect(E.isLeft(afterClose) && isStoreFailure(afterClose.left)).toBe(true)
  })

  it('works in a schema whose name has the full 63 characters (prepared statement names stay distinct)', async () => {
    const store = openIn(`s${randomUUID().replaceAll('-', '')}${'x'.repeat(30)}`)
    const appended = await store.appendToStream('licence-n', 'no-stream', [draftEvent('A', {})])
    expect(E.isRight(appended)).toBe(true)
    const succeeded = (read: E.Either<unknown, unknown> | undefined) => read !== undefined && E.isRight(read)
    expect(succeeded(await store.readStream('licence-n'))).toBe(true)
    expect(succeeded(await store.readAll({ after: 0, limit: 10 }))).toBe(true)
    for (const index of [0, 1]) {
      const page = await store.readPartition?.({ after: 0, limit: 10, partition: { index, count: 2 } })
      expect(succeeded(page)).toBe(true)
    }
    await store.close()
  })

  it('reads a page of a partition by an ordered index scan from `after`, where the planner alone would read and sort the whole table', async ({
    skip,
  }) => {
    const schema = freshSchema()
    const store = openIn(schema)
    expect(E.isRight(await store.readAll({ after: 0, limit: 1 }))).toBe(true)
    // Ten events a stream, filled in bulk behind the store's back: only the plans are under test.
    await admin.query(
      `INSERT INTO "${schema}".events (position, stream_id, version, type, data, metadata, command_id, partition_key)
       SELECT n, 'licence-' || (n / 10), n % 10, 'Filled', '{}', '{}', n::text, "${schema}".stream_partition_key('licence-' || (n / 10))
       FROM generate_series(1, 20000) AS n`,
    )
    await admin.query(`ANALYZE "${schema}".events`)
    const client = await admin.connect()
    try {
      const bare = await client.query<{ 'QUERY PLAN': unknown }>(
        `EXPLAIN (FORMAT JSON) SELECT * FROM "${schema}".events
         WHERE position > 0 AND partition_key % 8 = 3
           AND transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
         ORDER BY position LIMIT 1000`,
      )
      expect(JSON.stringify(bare.rows)).toMatch(/"Node Type":"(Seq Scan|Sort|Gather Merge)"/)

      try {
        await client.query(`LOAD 'auto_explain'`)
      } catch {
        skip('auto_explain cannot be loaded by this database user')
      }
      const plans: string[] = []
      client.on('notice', (notice) => plans.push(notice.message ?? ''))
      await client.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;
        SET auto_explain.log_format = 'json'; SET client_min_messages = log`)
      await client.query(`SELECT count(*) FROM "${schema}".read_partition(0, 8, 3, 1000)`)
      const inner = plans.find((plan) => plan.includes('read_partition') === false && plan.includes('"Plan"'))
      expect(inner).toMatch(/"Node Type": "Index (Only )?Scan"/)
      expect(inner).not.toMatch(/"Node Type": "(Seq Scan|Sort|Gather Merge|Bitmap Heap Scan)"/)
    } finally {
      // auto_explain stays loaded in the session: the connection is closed rather than reused.
      client.release(true)
    }
    await store.close()
  })

  it('reads a partition with any safe integer limit, as readAll does, beyond PostgreSQL’s integer', async () => {
    const store = openIn(freshSchema())
    await store.appendToStream('licence-a', 'no-stream', [draftEvent('A', {}), draftEvent('B', {})])
    const { readPartition } = store
    if (readPartition === undefined) throw new Error('the postgres store reads partitions')
    const whole = await store.readAll({ after: 0, limit: 10 })
    for (const limit of [2 ** 31 - 1, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
      expect(await store.readAll({ after: 0, limit })).toEqual(whole)
      for (const count of [1, 2]) {
        const index = count === 1 ? 0 : partitionOfStream('licence-a', count)
        expect(await readPartition({ after: 0, limit, partition: { index, count } })).toEqual(whole)
      }
    }
    await store.close()
  })

  it('refuses readAll options that are not non-negative integers', async () => {
    const store = openIn(freshSchema())
    for (const options of [
      { after: -1, limit: 10 },
      { after: 0.5, limit: 10 },
      { after: 0, limit: -1 },
    ]) {
      const read = await store.readAll(options)
      expect(E.isLeft(read) && isStoreFailure(read.left)).toBe(true)
    }
    await store.close()
  })
})
