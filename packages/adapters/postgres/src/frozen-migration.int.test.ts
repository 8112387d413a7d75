// A migration is not held to the time limits of commands (schema-readiness.ts), yet a server that
// freezes while it runs does not hold the opening store for good: a throwaway embedded server of this
// test's own (never the shared one) is frozen with SIGSTOP in the middle of a schema 1 table's
// rewrite; the open fails within about the check's period and query_timeout, naming what the check
// ran into, and once the server is thawed the next call migrates.
import * as E from 'fp-ts/lib/Either.js'
import { Pool } from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresEventStore } from './postgres-event-store.js'
import { startTestPostgres, type TestPostgres } from './testing/embedded-server.js'
import { schemaVersion1RowsSql, schemaVersion1Sql } from './testing/schema-version-1.js'

let server: TestPostgres
let admin: Pool

beforeAll(async () => {
  // A server given by POSTGRES_URL may be shared: freezing it is not this test's to do.
  server = await startTestPostgres({ postgresFlags: ['-c', 'fsync=off'], embeddedOnly: true })
  admin = new Pool({ connectionString: server.url, max: 1 })
})

afterAll(async () => {
  await admin?.end()
  await server?.stop()
})

describe('a server frozen while the schema is migrated', () => {
  it('fails the open within the check’s limits, and the next call migrates once it is thawed', async () => {
    const schema = 'frozen_migration'
    await admin.query(schemaVersion1Sql(schema))
    await admin.query(schemaVersion1RowsSql(schema, 150_000))
    const store = postgresEventStore({
      connectionString: `${server.url}?connect_timeout=1&statement_timeout=200&query_timeout=400`,
      schema,
    })
    const opening = store.headPosition?.()
    // Frozen once the DDL runs (pg_stat_activity shows its first kilobyte).
    for (;;) {
      const { rows } = await admin.query<{ running: boolean }>(
        `SELECT count(*) > 0 AS running FROM pg_stat_activity
         WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`,
        [`%CREATE SCHEMA IF NOT EXISTS "${schema}"%`],
      )
      if (rows[0]?.running === true) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    // biome-ignore lint/style/noNonNullAssertion: the server is this test's embedded one
    let thaw = server.freeze!()
    try {
      const frozenAt = Date.now()
      const opened = await opening
      expect(Date.now() - frozenAt).toBeLessThan(4_000)
      expect(opened !== undefined && E.isLeft(opened) && opened.left.message).toMatch(
        /preparing schema frozen_migration failed: the server stopped answering \(checked on another connection: the server did not answer within 400 ms \(query_timeout\)\)/,
      )
      thaw()
      thaw = () => undefined
      expect(await store.headPosition?.()).toEqual(E.right(150_000))
    } finally {
      thaw()
      await store.close()
    }
  })
})
