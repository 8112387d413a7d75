// Property: no request a client can send makes the server answer 5xx, and none of these malformed
// ones stores an event. Thousands of random and broken requests go through `app.inject` (the whole
// Fastify pipeline without sockets, for speed): random JSON, broken commands naming the path the 400
// must list, random bytes under random content types, random URLs and queries, random tokens.
import {
  chinaMainlandCalendar,
  commandTypes,
  type EventStore,
  inMemoryEventStore,
  licenceDecider,
} from '@elicence/domain'
import { invalidCommandArb } from '@elicence/domain/testing'
import * as fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from './server.js'
import { licenceNumber, testIssuerKeys, testTokens, testTokenTable } from './test-support/test-server.js'

let app: FastifyInstance
let store: EventStore
let appended = 0

beforeAll(async () => {
  // Without its write lock, every append the handler attempts goes through appendToStream.
  const { decideAndAppend: _locked, ...inner } = inMemoryEventStore()
  // Counts every append the handler even attempts, successful or not.
  store = {
    ...inner,
    appendToStream: (streamId, expected, events) => {
      appended++
      return inner.appendToStream(streamId, expected, events)
    },
  }
  app = createServer({
    store,
    decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
    // Not the system's nor the other holder's: sent among the random tokens, those two stay unknown.
    tokens: testTokenTable(['registry', 'holder', 'reviewer', 'auditor', 'verifier']),
    issuerKeys: await testIssuerKeys(),
  })
  await app.ready()
})

afterAll(async () => {
  await app.close()
})

const authorizationArb = fc.oneof(
  fc.constantFrom(...Object.values(testTokens)).map((token) => `Bearer ${token}`),
  fc.string().map((token) => `Bearer ${token}`),
  fc.string(),
  fc.constant(undefined),
)

const headersOf = (authorization: string | undefined, contentType: string | undefined) => ({
  ...(authorization === undefined ? {} : { authorization }),
  ...(contentType === undefined ? {} : { 'content-type': contentType }),
})

const isErrorBody = (payload: string): boolean => {
  const body: unknown = JSON.parse(payload)
  return (
    typeof body === 'object' &&
    body !== null &&
    'error' in body &&
    typeof (body as { error: { code?: unknown } }).error.code === 'string'
  )
}

describe('malformed requests never get a 5xx nor store an event', () => {
  it('random JSON bodies, and random objects shaped like commands, to POST /commands', async () => {
    // Known command types and field names with random values: past the first checks, into the codecs.
    const fieldArb = fc.constantFrom(
      'licenceNumber',
      'holder',
      'classes',
      'validFrom',
      'validUntil',
      'authority',
      'statuses',
      'photoOnFile',
      'applicationId',
      'declaredValidFrom',
      'faceCheck',
      'reasons',
      'photo',
    )
    const commandShapedArb = fc.record(
      {
        type: fc.oneof(fc.constantFrom(...commandTypes), fc.string()),
        data: fc.dictionary(fieldArb, fc.jsonValue(), { maxKeys: 8 }),
        metadata: fc.oneof(
          fc.dictionary(fc.constantFrom('commandId', 'at', 'actor'), fc.jsonValue()),
          fc.jsonValue(),
        ),
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue(), commandShapedArb),
        authorizationArb,
        async (body, authorization) => {
          const response = await app.inject({
            method: 'POST',
            url: '/commands',
            headers: headersOf(authorization, 'application/json'),
            payload: JSON.stringify(body),
          })
          expect(response.statusCode).toBeGreaterThanOrEqual(400)
          expect(response.statusCode).toBeLessThan(500)
          expect(isErrorBody(response.payload)).toBe(true)
        },
      ),
      { numRuns: 2000 },
    )
    expect(appended).toBe(0)
  })

  it('commands broken in one field: 400 naming that field (or a member of it)', async () => {
    await fc.assert(
      fc.asyncProperty(invalidCommandArb, async ({ json, path }) => {
        const response = await app.inject({
          method: 'POST',
          url: '/commands',
          headers: headersOf(`Bearer ${testTokens.registry}`, 'application/json'),
          payload: JSON.stringify(json),
        })
        expect(response.statusCode).toBe(400)
        const paths = (response.json().error.issues as ReadonlyArray<{ path: string }>).map(
          (issue) => issue.path,
        )
        // The named field, or a member of it (data.statuses.0 for data.statuses).
        expect(paths.some((reported) => reported === path || reported.startsWith(`${path}.`))).toBe(true)
      }),
      { numRuns: 1000 },
    )
    expect(appended).toBe(0)
  })

  it('random bytes under random content types, to every POST route', async () => {
    const contentTypeArb = fc.oneof(
      fc.constantFrom(
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=latin1',
      ),
      fc.string({ maxLength: 40 }),
      fc.constant(undefined),
    )
    const urlArb = fc.constantFrom(
      '/commands',
      '/presentations/verify',
      `/licences/${licenceNumber}/credentials`,
    )
    await fc.assert(
      fc.asyncProperty(
        urlArb,
        fc.uint8Array({ maxLength: 2048 }),
        contentTypeArb,
        authorizationArb,
        async (url, bytes, contentType, authorization) => {
          const response = await app.inject({
            method: 'POST',
            url,
            headers: headersOf(authorization, contentType),
            payload: Buffer.from(bytes),
          })
          expect(response.statusCode).toBeGreaterThanOrEqual(400)
          expect(response.statusCode).toBeLessThan(500)
        },
      ),
      { numRuns: 1000 },
    )
    expect(appended).toBe(0)
  })

  it('random paths, licence numbers and query strings on every route', async () => {
    const segmentArb = fc.oneof(
      fc.string({ maxLength: 30 }).map(encodeURIComponent),
      fc.string({ unit: fc.constantFrom(...'%/?#&=.0123456789Xx\u00e9\u4e2d '.split('')), maxLength: 30 }),
      fc.constant(licenceNumber),
    )
    const queryArb = fc.dictionary(
      fc.constantFrom('asOf', 'at', 'axis', 'dueBy', 'limit', 'x', '__proto__'),
      fc.oneof(fc.string({ maxLength: 30 }), fc.constant('2026-10-15T10:00:00Z'), fc.integer().map(String)),
    )
    const routeArb = fc.tuple(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
      fc.constantFrom(
        (s: string) => `/licences/${s}`,
        (s: string) => `/licences/${s}/events`,
        (s: string) => `/licences/${s}/verification`,
        (s: string) => `/licences/${s}/credentials`,
        (s: string) => `/status-lists/${s}`,
        (s: string) => `/${s}`,
        () => '/review-queue',
      ),
    )
    await fc.assert(
      fc.asyncProperty(
        routeArb,
        segmentArb,
        queryArb,
        authorizationArb,
        async ([method, route], segment, query, authorization) => {
          const search = new URLSearchParams(query).toString()
          const response = await app.inject({
            method,
            url: `${route(segment)}${search === '' ? '' : `?${search}`}`,
            headers: headersOf(authorization, undefined),
          })
          expect(response.statusCode).toBeLessThan(500)
        },
      ),
      { numRuns: 1500 },
    )
    expect(appended).toBe(0)
  })

  it('a server answering only inject (no socket, no origin) still serves its status lists and metadata', async () => {
    for (const url of ['/status-lists/1', '/.well-known/jwt-vc-issuer']) {
      const response = await app.inject({ method: 'GET', url })
      expect(response.statusCode, url).toBeLessThan(500)
    }
    const metadata = await app.inject({ method: 'GET', url: '/.well-known/jwt-vc-issuer' })
    expect(metadata.json().issuer).toBe('http://localhost')
  })

  it('serves the metadata of an issuer URL with a path where the SD-JWT VC draft looks, and 404 elsewhere', async () => {
    const noPath = await app.inject({ method: 'GET', url: '/.well-known/jwt-vc-issuer/elicence' })
    expect(noPath.statusCode).toBe(404)
    expect(noPath.json().error.message).toMatch(/has no path/)
    for (const [publicUrl, path] of [
      ['https://licences.example.cn/elicence', '/elicence'],
      ['https://licences.example.cn/gov/elicence', '/gov/elicence'],
      // An encoded path is asked for encoded, as the issuer URL spells it.
      ['https://licences.example.cn/a%20b', '/a%20b'],
    ] as const) {
      const behindProxy = createServer({
        store: inMemoryEventStore(),
        decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
        tokens: testTokenTable(['holder']),
        issuerKeys: await testIssuerKeys(),
        publicUrl,
      })
      try {
        const found = await behindProxy.inject({ method: 'GET', url: `/.well-known/jwt-vc-issuer${path}` })
        expect([path, found.statusCode]).toEqual([path, 200])
        expect(found.json().issuer).toBe(publicUrl)
        expect(found.headers['cache-control']).toMatch(/max-age=/)
        for (const other of [
          '/other',
          `${path}/more`,
          path.slice(0, -1),
          `/${path.slice(1).replaceAll('/', '%2F')}`,
        ].filter((asked) => asked !== path)) {
          const missing = await behindProxy.inject({
            method: 'GET',
            url: `/.well-known/jwt-vc-issuer${other}`,
          })
          expect([other, missing.statusCode]).toEqual([other, 404])
          expect(missing.json().error.message).toContain(`/.well-known/jwt-vc-issuer${path}`)
        }
        // Behind a proxy that strips the path, the plain one still answers.
        expect(
          (await behindProxy.inject({ method: 'GET', url: '/.well-known/jwt-vc-issuer' })).statusCode,
        ).toBe(200)
      } finally {
        await behindProxy.close()
      }
    }
  })
})
