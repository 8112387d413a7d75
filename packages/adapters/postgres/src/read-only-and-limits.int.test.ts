// Read-only adapters on a real server change nothing: a schema that is missing is an error for
// the event store (a mistyped URL must not read as an empty history) and empty read models, and
// neither creates it; on an existing schema they read, and a write is refused by the server itself.
// The time limits reach the server's session settings, from the options and the connection string.
import * as E from 'fp-ts/lib/Either.js'
import { Pool } from 'pg'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { ownedPoolConfig, timeoutsOfConnectionString } from './connection-options.js'
import { postgresEventStore } from './postgres-event-store.js'
import { postgresReadModelStore } from './read-models.js'
import { draftEvent } from './testing/draft-events.js'
import { throwawaySchemas } from './testing/throwaway-schemas.js'

const url = inject('postgresUrl')
const schemas = throwawaySchemas(url, 'readonly')
afterAll(schemas.dropAll)

const schemaExists = async (schema: string) =>
  (await schemas.admin.query<{ found: boolean }>('SELECT to_regnamespace($1) IS NOT NULL AS found', [schema]))
    .rows[0]?.found

describe('read-only PostgreSQL adapters', () => {
  it('refuse a missing schema, creating nothing; the read models read as empty', async () => {
    const schema = schemas.fresh()
    const store = postgresEventStore({ connectionString: url, schema, readOnly: true })
    const read = await store.readAll({ after: 0, limit: 10 })
    expect(read).toMatchObject({
      _tag: 'Left',
      left: { code: 'store-failure', message: expect.stringContaining(`no event store in schema ${schema}`) },
    })
    await store.close()
    const readModels = postgresReadModelStore({ connectionString: url, schema, readOnly: true })
    expect(await readModels.loadCheckpoint('elicence')).toMatchObject({
      _tag: 'Right',
      right: { position: 0 },
    })
    expect(await readModels.list('elicence', 'e-licence')).toEqual(E.right([]))
    expect(E.isLeft(await readModels.reset('elicence'))).toBe(true)
    await readModels.close()
    expect(await schemaExists(schema)).toBe(false)
  })

  it('read an existing schema, and the server refuses their writes', async () => {
    const schema = schemas.fresh()
    const writer = postgresEventStore({ connectionString: url, schema })
    expect(E.isRight(await writer.appendToStream('licence-a', 'no-stream', [draftEvent('Opened', {})]))).toBe(
      true,
    )
    await writer.close()
    const reader = postgresEventStore({ connectionString: url, schema, readOnly: true })
    const read = await reader.readAll({ after: 0, limit: 10 })
    expect(E.isRight(read) && read.right.events.map((event) => event.type)).toEqual(['Opened'])
    const write = await reader.appendToStream('licence-a', 0, [draftEvent('Closed', {})])
    expect(write).toMatchObject({
      _tag: 'Left',
      left: { message: expect.stringContaining('read-only transaction') },
    })
    await reader.close()
  })
})

describe('time limits', () => {
  it('reach the session: defaults, then the connection string, then the options', async () => {
    const settingsOf = async (config: ReturnType<typeof ownedPoolConfig>) => {
      if (E.isLeft(config)) throw new Error(config.left)
      const pool = new Pool(config.right)
      try {
        const { rows } = await pool.query<{ statement: string; idle: string }>(
          `SELECT current_setting('statement_timeout') AS statement,
                  current_setting('idle_in_transaction_session_timeout') AS idle`,
        )
        return rows[0]
      } finally {
        await pool.end()
      }
    }
    expect(await settingsOf(ownedPoolConfig({ connectionString: url }, 1))).toEqual({
      statement: '15s',
      idle: '30s',
    })
    const withLimits = `${url}?statement_timeout=2500&idle_in_transaction_session_timeout=4000`
    expect(await settingsOf(ownedPoolConfig({ connectionString: withLimits }, 1))).toEqual({
      statement: '2500ms',
      idle: '4s',
    })
    expect(
      await settingsOf(ownedPoolConfig({ connectionString: withLimits, timeouts: { statementMs: 700 } }, 1)),
    ).toMatchObject({ statement: '700ms' })
  })

  it('a statement past the limit fails with the server’s error', async () => {
    const config = ownedPoolConfig({ connectionString: url, timeouts: { statementMs: 300 } }, 1)
    if (E.isLeft(config)) throw new Error(config.left)
    const pool = new Pool(config.right)
    await expect(pool.query('SELECT pg_sleep(2)')).rejects.toThrow(
      'canceling statement due to statement timeout',
    )
    await pool.end()
  })

  it('refuses a limit of zero or not a number in the connection string, naming it', () => {
    expect(timeoutsOfConnectionString('postgres://h/db?connect_timeout=3')).toEqual(
      E.right({ connectMs: 3000 }),
    )
    expect(timeoutsOfConnectionString('postgres://h/db?statement_timeout=0')).toEqual(
      E.left('statement_timeout must be a positive whole number of milliseconds up to 2147483647, got "0"'),
    )
  })
})

describe('time limits beyond what a timer holds', () => {
  it('are refused, naming the limit, in the connection string and the options, before any timer is set', async () => {
    expect(timeoutsOfConnectionString('postgres://h/db?connect_timeout=2147483')).toEqual(
      E.right({ connectMs: 2_147_483_000 }),
    )
    expect(timeoutsOfConnectionString('postgres://h/db?connect_timeout=2147484')).toEqual(
      E.left('connect_timeout must be a positive whole number of seconds up to 2147483, got "2147484"'),
    )
    const warnings: string[] = []
    const onWarning = (warning: Error) => warnings.push(warning.name)
    process.on('warning', onWarning)
    try {
      const refused = [
        postgresEventStore({ connectionString: `${url}?connect_timeout=2147484`, schema: schemas.fresh() }),
        postgresEventStore({ connectionString: url, timeouts: { queryMs: 2 ** 31 } }),
        postgresEventStore({ connectionString: url, timeouts: { connectMs: 0.5 } }),
      ]
      const messages = []
      for (const store of refused) {
        const read = await store.readAll({ after: 0, limit: 1 })
        messages.push(E.isLeft(read) ? `${read.left.code}: ${read.left.message}` : 'read')
        await store.close()
      }
      expect(messages).toEqual([
        'store-failure: postgres: connect_timeout must be a positive whole number of seconds up to 2147483, got "2147484"',
        'store-failure: postgres: timeouts.queryMs must be a positive whole number of milliseconds up to 2147483647, got 2147483648',
        'store-failure: postgres: timeouts.connectMs must be a positive whole number of milliseconds up to 2147483647, got 0.5',
      ])
      const readModels = postgresReadModelStore({ connectionString: `${url}?query_timeout=0` })
      const loaded = await readModels.loadCheckpoint('elicence')
      expect(E.isLeft(loaded) && loaded.left.message).toBe(
        'postgres read models: query_timeout must be a positive whole number of milliseconds up to 2147483647, got "0"',
      )
      await readModels.close()
      // The largest limit a timer holds is taken, and the store works.
      const largest = postgresEventStore({
        connectionString: `${url}?connect_timeout=2147483&statement_timeout=2147483647`,
        schema: schemas.fresh(),
      })
      expect(E.isRight(await largest.readAll({ after: 0, limit: 1 }))).toBe(true)
      await largest.close()
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings).toEqual([])
    } finally {
      process.off('warning', onWarning)
    }
  })
})

describe('headPosition', () => {
  it('is the position of the last event readAll returns (0 for none)', async () => {
    const store = postgresEventStore({ connectionString: url, schema: schemas.fresh() })
    expect(await store.headPosition?.()).toEqual(E.right(0))
    await store.appendToStream('licence-a', 'no-stream', [draftEvent('Opened', {}), draftEvent('Noted', {})])
    const read = await store.readAll({ after: 0, limit: 10 })
    const last = E.isRight(read) ? read.right.lastPosition : -1
    expect(await store.headPosition?.()).toEqual(E.right(last))
    await store.close()
  })
})
