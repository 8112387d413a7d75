/**
 * Test support: each test works in a schema of its own on the shared test server, and every schema
 * a file created is dropped when it ends, so runs never see each other's tables.
 *
 * @example
 * const schemas = throwawaySchemas(inject('postgresUrl'), 'late')
 * afterAll(schemas.dropAll)
 * const store = postgresEventStore({ connectionString: url, schema: schemas.fresh() })
 */
import { randomUUID } from 'node:crypto'
import { Pool } from 'pg'

export const throwawaySchemas = (url: string, prefix: string, connections = 2) => {
  /** For what a test does behind a store's back, and for the drops. */
  const admin = new Pool({ connectionString: url, max: connections })
  const created: string[] = []
  return {
    admin,
    fresh: (): string => {
      const schema = `${prefix}_${randomUUID().replaceAll('-', '')}`
      created.push(schema)
      return schema
    },
    dropAll: async (): Promise<void> => {
      for (const schema of created) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      created.length = 0
      await admin.end()
    },
  }
}
