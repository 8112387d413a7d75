// A PostgreSQL server that stops answering mid-service: a throwaway embedded server of this test's
// own (never the shared one), frozen with SIGSTOP — the postmaster and every backend, so open
// connections hang as well as new ones. `elicence serve`'s API answers commands with 503
// store-failure and `/healthz` with 503 within their deadlines instead of hanging for as long as
// the server is frozen, and all is well again once it is thawed.
import { startTestPostgres, type TestPostgres } from '@elicence/postgres/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveStore } from './fixtures/served-store.js'
import { temporaryFiles } from './fixtures/temporary-files.js'

const files = temporaryFiles('elicence-cli-frozen-postgres-')
let server: TestPostgres

beforeAll(async () => {
  // A server given by POSTGRES_URL may be shared: freezing it is not this test's to do.
  server = await startTestPostgres({ postgresFlags: ['-c', 'fsync=off'], embeddedOnly: true })
})

afterAll(async () => {
  await server?.stop()
  files.remove()
})

describe('a PostgreSQL server frozen with SIGSTOP', () => {
  it('gets 503 store-failure for commands and 503 from /healthz within their deadlines, and recovers', async () => {
    const storeUrl = `${server.url}?connect_timeout=1&statement_timeout=1000&query_timeout=1500`
    const served = await serveStore(storeUrl, files.path('data'))
    let thaw: () => void = () => undefined
    try {
      expect((await served.record(1)).status).toBe(201)
      expect((await served.health()).status).toBe(200)

      // biome-ignore lint/style/noNonNullAssertion: the server is this test's embedded one
      thaw = server.freeze!()
      const refused = await served.record(2)
      expect(refused.status).toBe(503)
      const body = await refused.json()
      expect(body.error.code).toBe('store-failure')
      // A command sent whose answer never came may have been committed: said so, never "failed".
      // (One that found no connection sent nothing, and says it could not connect.)
      expect(body.error.message).toMatch(
        /no answer from the server \(.*\), so whether it was applied is not known: send the same command again \(same commandId\)|could not connect|no pooled connection/,
      )
      const health = await served.health()
      expect(health.status).toBe(503)
      expect((await health.json()).store).toMatchObject({ status: 'unavailable' })

      thaw()
      thaw = () => undefined
      // Connections that timed out were dropped; fresh ones reach the thawed server.
      expect((await served.record(3)).status).toBe(201)
      expect((await served.health()).status).toBe(200)
    } finally {
      thaw()
      await served.close()
    }
  })
})
