import { createHash, randomUUID } from 'node:crypto'
import { readModelStoreConformance, transparencyLogConformance } from '@elicence/projections/testing'
import { Pool } from 'pg'
import { afterAll, inject } from 'vitest'
import { postgresReadModelStore } from './read-models.js'

const url = inject('postgresUrl')
const schema = `read_models_${randomUUID().replaceAll('-', '')}`
afterAll(async () => {
  const admin = new Pool({ connectionString: url, max: 1 })
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  await admin.end()
})

// One schema for the suite: every test uses projections of its own, as deployments share one schema.
readModelStoreConformance(
  'postgres',
  async () => postgresReadModelStore({ connectionString: url, schema, poolSize: 2 }),
  {
    numRuns: 10,
  },
)

// The transparency log keeps its nodes and checkpoints in the same tables, beside the views.
transparencyLogConformance(
  'postgres',
  async () => postgresReadModelStore({ connectionString: url, schema, poolSize: 2 }),
  (data) => new Uint8Array(createHash('sha256').update(data).digest()),
  { numRuns: 5 },
)
