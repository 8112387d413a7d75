// Property: a body of any shape, nested however deep or spread however wide under the body limit,
// gets a 4xx with an error body from every POST route, never a 5xx, and stores nothing. Deep
// bodies are built as text (fast-check's own JSON arbitraries stay shallow); each places a nest of
// random depth, made of random kinds of levels, at a random place of an otherwise valid command.
import {
  chinaMainlandCalendar,
  type EventStore,
  inMemoryEventStore,
  licenceDecider,
  maxJsonDepth,
} from '@elicence/domain'
import * as fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from './server.js'
import { licenceNumber, testIssuerKeys, testTokens, testTokenTable } from './test-support/test-server.js'

const bodyLimit = 64 * 1024

let app: FastifyInstance
let appended = 0

beforeAll(async () => {
  const inner: EventStore = inMemoryEventStore()
  const store: EventStore = {
    ...inner,
    appendToStream: (streamId, expected, events) => {
      appended++
      return inner.appendToStream(streamId, expected, events)
    },
  }
  app = createServer({
    store,
    decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
    tokens: testTokenTable(),
    issuerKeys: await testIssuerKeys(),
    bodyLimit,
  })
  await app.ready()
})

afterAll(async () => {
  await app.close()
})

/** One level of nesting: its opening text, and its closing text. */
const levelArb = fc.oneof(
  fc.constant(['[', ']'] as const),
  fc.constant(['{"a":', '}'] as const),
  fc.constant(['[0,"x",', ']'] as const),
  fc.constant(['{"licenceNumber":', '}'] as const),
  fc.constant(['{"__proto__":', '}'] as const),
)

/** A nest `depth` deep whose levels repeat a random pattern, with a random innermost value. */
const nestArb = (maxDepth: number) =>
  fc
    .record({
      depth: fc.integer({ min: 1, max: maxDepth }),
      pattern: fc.array(levelArb, { minLength: 1, maxLength: 4 }),
      inner: fc.constantFrom('0', '"x"', 'null', '[]', '{}', 'true'),
      width: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ depth, pattern, inner, width }) => {
      const levels = Array.from(
        { length: depth },
        (_, index) => pattern[index % pattern.length] ?? ['[', ']'],
      )
      // Siblings beside the innermost value make the nest wide as well as deep.
      const innermost = width === 0 ? inner : `[${Array.from({ length: width + 1 }, () => inner).join(',')}]`
      return `${levels.map(([open]) => open).join('')}${innermost}${levels
        .map(([, close]) => close)
        .reverse()
        .join('')}`
    })

const commandAround = (place: string, nest: string): string => {
  const metadata = '"metadata":{"commandId":"5b0c3f8e-8a55-4c4b-9d7e-0f6b1c2d3e4f"}'
  switch (place) {
    case 'root':
      return nest
    case 'data':
      return `{"type":"RecordLicence","data":${nest},${metadata}}`
    case 'data.licenceNumber':
      return `{"type":"RecordLicence","data":{"licenceNumber":${nest}},${metadata}}`
    case 'metadata':
      return `{"type":"WithdrawApplication","data":{"licenceNumber":"${licenceNumber}","applicationId":"a"},"metadata":${nest}}`
    case 'metadata.actor':
      return `{"type":"WithdrawApplication","data":{},"metadata":{"actor":${nest}}}`
    default:
      return `{"type":${nest},"data":{},"x":${nest}}`
  }
}

const placeArb = fc.constantFrom('root', 'data', 'data.licenceNumber', 'metadata', 'metadata.actor', 'type')

const tokenArb = fc.constantFrom(testTokens.registry, testTokens.holder, testTokens.reviewer)

describe('deeply nested and wide bodies', () => {
  it('never get a 5xx from any POST route, and store nothing', async () => {
    const urlArb = fc.constantFrom(
      '/commands',
      '/presentations/verify',
      `/licences/${licenceNumber}/credentials`,
    )
    await fc.assert(
      fc.asyncProperty(urlArb, placeArb, nestArb(12_000), tokenArb, async (url, place, nest, token) => {
        const response = await app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          payload: commandAround(place, nest),
        })
        expect(response.statusCode).toBeGreaterThanOrEqual(400)
        expect(response.statusCode).toBeLessThan(500)
        expect(typeof response.json().error.code).toBe('string')
      }),
      { numRuns: 300 },
    )
    expect(appended).toBe(0)
  })

  it('a command nested past the limit is a 400 naming the limit, at every place', async () => {
    await fc.assert(
      fc.asyncProperty(placeArb, nestArb(4_000), async (place, nest) => {
        // The body parser refuses a __proto__ key first (400 invalid-request), before any command.
        fc.pre(!nest.includes('__proto__'))
        const deepEnough = `${'['.repeat(maxJsonDepth)}${nest}${']'.repeat(maxJsonDepth)}`
        const payload = commandAround(place, deepEnough)
        // Past the body limit the answer is 413, before any parsing: shown by the property above.
        fc.pre(payload.length <= bodyLimit)
        const response = await app.inject({
          method: 'POST',
          url: '/commands',
          headers: { authorization: `Bearer ${testTokens.registry}`, 'content-type': 'application/json' },
          payload,
        })
        expect(response.statusCode).toBe(400)
        expect(response.json().error.code).toBe('invalid-command')
        expect(response.json().error.message).toContain(`deeper than ${maxJsonDepth} levels`)
      }),
      { numRuns: 200 },
    )
    expect(appended).toBe(0)
  })

  it('5,000 levels of arrays in data, well under the body limit: 400, not 500', async () => {
    const payload = commandAround('data', `${'['.repeat(5000)}${']'.repeat(5000)}`)
    expect(payload.length).toBeLessThan(bodyLimit)
    const response = await app.inject({
      method: 'POST',
      url: '/commands',
      headers: { authorization: `Bearer ${testTokens.registry}`, 'content-type': 'application/json' },
      payload,
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.issues).toEqual([
      { path: '(root)', message: expect.stringContaining(`deeper than ${maxJsonDepth} levels`) },
    ])
  })
})
