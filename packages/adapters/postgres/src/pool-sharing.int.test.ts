// Reads and writes of one store share its pool: reads may hold all but a few of its connections, so
// a command arriving behind a burst of long reads finds a connection at once instead of waiting out
// connect_timeout and failing while the server answers; and a wait for a connection that runs out
// says that the pool had none free, not that the server could not be reached.
import * as E from 'fp-ts/lib/Either.js'
import { Pool } from 'pg'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { postgresErrorMessage } from './error-message.js'
import { postgresEventStore } from './postgres-event-store.js'
import { draftEvent } from './testing/draft-events.js'
import { throwawaySchemas } from './testing/throwaway-schemas.js'

const url = inject('postgresUrl')
const schemas = throwawaySchemas(url, 'pool')
afterAll(schemas.dropAll)

describe('a store whose reads take every connection they may', () => {
  it('still appends and decides at once, and reads that wait too long say the pool had none free', async () => {
    const schema = schemas.fresh()
    const store = postgresEventStore({
      connectionString: url,
      schema,
      poolSize: 4,
      timeouts: { connectMs: 1_000 },
    })
    expect(await store.headPosition?.()).toEqual(E.right(0))
    // A long stream, written behind the store's back in one statement: each read of it takes a while.
    await schemas.admin.query(
      `INSERT INTO "${schema}".events (position, stream_id, version, type, data, metadata, command_id, partition_key)
       SELECT g, 's-many', g - 1, 'Noted', json_build_object('text', repeat('x', 200)),
              json_build_object('hash', md5(g::text) || md5(g::text)), md5(g::text), 0
       FROM generate_series(1, 20000) AS g`,
    )
    await schemas.admin.query(`SELECT setval('"${schema}".events_position', 20000)`)

    const reads = Array.from({ length: 40 }, () => store.readStream('s-many'))
    const started = Date.now()
    const appended = await store.appendToStream('licence-w', 'no-stream', [draftEvent('Written', {})])
    const decided = await store.decideAndAppend?.({
      streamId: 'licence-d',
      after: -1,
      commandId: 'command-d',
      decide: () => E.right([draftEvent('Decided', {})]),
    })
    const writesTook = Date.now() - started
    expect(E.isLeft(appended) ? appended.left.message : 'appended').toBe('appended')
    expect(decided !== undefined && E.isRight(decided) && E.isRight(decided.right)).toBe(true)
    expect(writesTook).toBeLessThan(1_000)

    const outcomes = new Set(
      (await Promise.all(reads)).map((read) => (E.isLeft(read) ? read.left.message : 'read')),
    )
    for (const outcome of outcomes)
      expect(
        outcome === 'read' ||
          outcome ===
            'postgres: readStream failed: no pooled connection became free for a read within 1000 ms (connect_timeout): reads hold the 2 of 4 they may use, the others are kept for writes',
      ).toBe(true)
    await store.close()
  })

  it('a full pool that frees no connection in time is reported as such, not as a server out of reach', async () => {
    const pool = new Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 200 })
    const held = await pool.connect()
    try {
      const waited = await pool.query('SELECT 1').catch((error: unknown) => error)
      expect(postgresErrorMessage(waited, pool.options)).toBe(
        'no pooled connection became free within 200 ms (connect_timeout): all 1 were in use',
      )
    } finally {
      held.release()
      await pool.end()
    }
  })
})
