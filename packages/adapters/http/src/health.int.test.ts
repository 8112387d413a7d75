// `/healthz` reports readiness by what the service can do, within its deadline: a store whose
// appends fail is not ready (503, writes failing, since when) though its reads answer, and is ready
// again after an append succeeds; a store that never answers gets a 503 within the deadline instead
// of a request that hangs. Responses are checked against the OpenAPI document.
import {
  chinaMainlandCalendar,
  type EventStore,
  inMemoryEventStore,
  licenceDecider,
  storeFailure,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { createServer } from './server.js'
import { apiClient } from './test-support/api-client.js'
import {
  recordLicenceCommand,
  testIssuerKeys,
  testStart,
  testTokens,
  testTokenTable,
} from './test-support/test-server.js'

const serve = async (store: EventStore, healthDeadlineMs?: number) => {
  let now = new Date(testStart)
  const app = createServer({
    store,
    decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
    tokens: testTokenTable(),
    issuerKeys: await testIssuerKeys(),
    clock: () => now,
    storeName: 'memory',
    ...(healthDeadlineMs === undefined ? {} : { healthDeadlineMs }),
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  const api = await apiClient(`http://127.0.0.1:${address.port}`)
  return { app, api, advance: (ms: number) => (now = new Date(now.getTime() + ms)) }
}

describe('/healthz', () => {
  it('is 503 while appends fail with a store failure, reads notwithstanding, and 200 after one succeeds', async () => {
    // Without its write lock, the handler writes through the appendToStream this test makes fail.
    const { decideAndAppend: _locked, ...inner } = inMemoryEventStore()
    let full = false
    const store: EventStore = {
      ...inner,
      appendToStream: async (...args) =>
        full ? E.left(storeFailure('sqlite: database or disk is full')) : inner.appendToStream(...args),
    }
    const running = await serve(store)
    try {
      full = true
      const refused = await running.api.request('POST', '/commands', {
        token: testTokens.registry,
        body: recordLicenceCommand(),
      })
      expect(refused.status).toBe(503)
      const sick = await running.api.request('GET', '/healthz')
      expect(sick.status).toBe(503)
      expect(sick.body).toEqual({
        status: 'unavailable',
        store: { name: 'memory', status: 'ok' },
        writes: {
          status: 'failing',
          message: 'sqlite: database or disk is full',
          since: new Date(testStart).toISOString(),
        },
      })
      full = false
      const applied = await running.api.request('POST', '/commands', {
        token: testTokens.registry,
        body: recordLicenceCommand(),
      })
      expect(applied.status).toBe(201)
      expect((await running.api.request('GET', '/healthz')).status).toBe(200)
    } finally {
      await running.app.close()
    }
  })

  it('offers the service again once a failure is older than the failure memory, with no new one', async () => {
    // Without its write lock, the handler writes through the appendToStream this test makes fail.
    const { decideAndAppend: _locked, ...inner } = inMemoryEventStore()
    const store: EventStore = {
      ...inner,
      appendToStream: async () => E.left(storeFailure('disk on fire')),
    }
    const running = await serve(store)
    try {
      await running.api.request('POST', '/commands', {
        token: testTokens.registry,
        body: recordLicenceCommand(),
      })
      expect((await running.api.request('GET', '/healthz')).status).toBe(503)
      running.advance(31_000)
      expect((await running.api.request('GET', '/healthz')).status).toBe(200)
    } finally {
      await running.app.close()
    }
  })

  it('answers 503 within its deadline when the store never answers', async () => {
    // Without its write lock, the handler writes through the appendToStream this test makes fail.
    const { decideAndAppend: _locked, ...inner } = inMemoryEventStore()
    const hanging: EventStore = { ...inner, readAll: () => new Promise(() => undefined) }
    const running = await serve(hanging, 200)
    try {
      const response = await running.api.request('GET', '/healthz')
      expect(response.status).toBe(503)
      expect(response.body.store).toEqual({
        name: 'memory',
        status: 'unavailable',
        message: 'the store did not answer within 200 ms',
      })
    } finally {
      await running.app.close()
    }
  })
})
