// What Fastify and Node answer by themselves — a URL that does not decode, a path parameter over
// the limit, a body too large or not JSON, header fields too large, a request that is not HTTP, a
// request too slow to arrive, a route that does not exist — is answered in the `Error` shape, with a
// status the document lists for the route, on a real server over real sockets.
import { connect } from 'node:net'
import { licenceNumberFor } from '@elicence/projections/testing'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  licenceNumber,
  otherLicenceNumber,
  recordLicenceCommand,
  startTestServer,
  type TestServer,
  testTokens,
} from './test-support/test-server.js'

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

let running: TestServer
let port: number
let isErrorShape: (value: unknown) => boolean

beforeAll(async () => {
  running = await startTestServer()
  const address = running.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  port = address.port
  const document = await (await fetch(`http://127.0.0.1:${port}/openapi.json`)).json()
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema(document, 'openapi.json')
  const validate = ajv.getSchema('openapi.json#/components/schemas/Error')
  if (validate === undefined) throw new Error('no Error schema')
  isErrorShape = (value) => validate(value) === true
})
afterAll(async () => {
  await running.app.close()
})

interface RawResponse {
  readonly status: number
  readonly headers: string
  readonly body: unknown
}

/** Sends bytes as they are (no client to fix them up) and reads the answer until the server closes. */
const rawRequest = (bytes: string, beforeSending?: (socket: ReturnType<typeof connect>) => void) =>
  new Promise<RawResponse>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [head = '', body = ''] = text.split('\r\n\r\n', 2)
      const status = Number(head.split(' ')[1])
      resolve({ status, headers: head, body: body === '' ? undefined : JSON.parse(body) })
    })
    socket.on('connect', () => {
      beforeSending?.(socket)
      if (bytes !== '') socket.write(bytes)
    })
  })

const expectError = (body: unknown, code: string) => {
  expect(isErrorShape(body), JSON.stringify(body)).toBe(true)
  expect((body as { error: { code: string } }).error.code).toBe(code)
}

/** The API's headers on an answer made before any route, or written on the socket. */
const expectApiHeaders = (get: (name: string) => string | null | undefined) => {
  expect(get('cache-control')).toBe('no-store')
  expect(get('x-content-type-options')).toBe('nosniff')
}

/** A header of a raw response's head, by name. */
const rawHeader = (response: RawResponse) => (name: string) =>
  response.headers
    .split('\r\n')
    .find((line) => line.toLowerCase().startsWith(`${name}:`))
    ?.slice(name.length + 1)
    .trim()

describe('Fastify’s and Node’s own answers, in the Error shape', () => {
  it('a URL that does not decode: 400 invalid-request', async () => {
    const response = await running.api.request('GET', '/licences/%zz/verification', {
      token: testTokens.verifier,
    })
    expect(response.status).toBe(400)
    expectError(response.body, 'invalid-request')
    expectApiHeaders((name) => response.headers.get(name))
  })

  it('a path parameter over 100 characters: 414 uri-too-long', async () => {
    const response = await running.api.request('GET', `/licences/${'1'.repeat(101)}`, {
      token: testTokens.auditor,
    })
    expect(response.status).toBe(414)
    expectError(response.body, 'uri-too-long')
    expectApiHeaders((name) => response.headers.get(name))
  })

  it('a body over the limit: 413; a body of a type with no parser: 415; JSON that does not parse: 400', async () => {
    const large = await running.api.request('POST', '/commands', {
      token: testTokens.registry,
      rawBody: JSON.stringify({ ...recordLicenceCommand(), padding: 'x'.repeat(70 * 1024) }),
      headers: { 'content-type': 'application/json' },
    })
    expect(large.status).toBe(413)
    expectError(large.body, 'payload-too-large')
    for (const path of ['/commands', '/presentations/verify', `/licences/${licenceNumber}/credentials`]) {
      // A type with no parser, text/plain (which Fastify would parse as a string), a content coding
      // it does not decode, a charset JSON does not have: each a 415 saying which.
      const unsupported: ReadonlyArray<readonly [Record<string, string>, string, RegExp]> = [
        [{ 'content-type': 'application/xml' }, '<command/>', /xml/i],
        [{ 'content-type': 'text/plain' }, '{}', /text\/plain/],
        [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, '{}', /Content-Encoding gzip/],
        [{ 'content-type': 'application/json; charset=latin1' }, '{}', /charset latin1/],
      ]
      for (const [headers, rawBody, message] of unsupported) {
        const text = await running.api.request('POST', path, { token: testTokens.holder, rawBody, headers })
        expect([path, headers, text.status]).toEqual([path, headers, 415])
        expectError(text.body, 'unsupported-media-type')
        expect(text.body.error.message).toMatch(message)
      }
      const broken = await running.api.request('POST', path, {
        token: testTokens.holder,
        rawBody: '{"type":',
        headers: { 'content-type': 'application/json' },
      })
      expect(broken.status, path).toBe(400)
      expectError(broken.body, 'invalid-request')
    }
  })

  it('answers every command pipelined behind a body it refuses: the refused body was read whole, so the connection carries on', async () => {
    const post = (body: string, last: boolean) =>
      `POST /commands HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${testTokens.registry}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${last ? 'Connection: close\r\n' : ''}\r\n${body}`
    const record = (index: number) => {
      const command = recordLicenceCommand(licenceNumberFor(9100 + index))
      return JSON.stringify({ ...command, metadata: { ...command.metadata, commandId: crypto.randomUUID() } })
    }
    for (const refused of ['{"bad":', '{"a":1,"a":2}', '{"__proto__":{}}']) {
      const answers = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port })
        const chunks: Buffer[] = []
        socket.on('data', (chunk) => chunks.push(chunk))
        socket.on('error', reject)
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')))
        // One write: the three requests arrive together, the third behind the refused one.
        socket.on('connect', () =>
          socket.write(post(record(0), false) + post(refused, false) + post(record(1), true)),
        )
      })
      const statuses = [...answers.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]))
      expect([refused, statuses.length]).toEqual([refused, 3])
      expect(statuses[1]).toBe(400)
      const third = await fetch(`http://127.0.0.1:${port}/licences/${licenceNumberFor(9101)}`, {
        headers: { authorization: `Bearer ${testTokens.registry}` },
      })
      expect(third.status).toBe(200)
    }
  })

  it('runs no command pipelined behind an answer that closes the connection, and answers a command before CONNECT first', async () => {
    const post = (body: string, extra = '') =>
      `POST /commands HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${testTokens.registry}\r\n${extra}` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    const record = (index: number) => {
      const command = recordLicenceCommand(licenceNumberFor(9200 + index))
      return JSON.stringify({ ...command, metadata: { ...command.metadata, commandId: crypto.randomUUID() } })
    }
    const exchange = (bytes: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port })
        const chunks: Buffer[] = []
        socket.on('data', (chunk) => chunks.push(chunk))
        socket.on('error', reject)
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')))
        socket.on('connect', () => socket.write(bytes))
      })
    const statusesOf = (answers: string) =>
      [...answers.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]))
    const recorded = async (index: number) =>
      (
        await fetch(`http://127.0.0.1:${port}/licences/${licenceNumberFor(9200 + index)}`, {
          headers: { authorization: `Bearer ${testTokens.registry}` },
        })
      ).status
    const closing = [
      ['two Hosts', post('{}', 'Host: other\r\n')],
      ['Expect: teapot', post('{}', 'Expect: teapot\r\n')],
    ] as const
    for (const [index, [name, refused]] of closing.entries()) {
      const answers = await exchange(post(record(index * 2)) + refused + post(record(index * 2 + 1)))
      expect([name, statusesOf(answers)]).toEqual([name, [201, 400]])
      // The third was never answered, so it was never run: nothing of it is recorded.
      expect([name, await recorded(index * 2), await recorded(index * 2 + 1)]).toEqual([name, 200, 404])
    }
    const answers = await exchange(
      `${post(record(10))}CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`,
    )
    expect(statusesOf(answers)).toEqual([201, 400])
    expect(await recorded(10)).toBe(200)
  })

  it('a JSON body it refuses, it says why: where the syntax broke, an empty body, a prototype member, bytes that are not UTF-8, a member named twice', async () => {
    const command = JSON.stringify(recordLicenceCommand(otherLicenceNumber))
    // The holder's name with a byte that is no UTF-8 where its first character was: Fastify's own
    // parser read it as U+FFFD, and the command recorded the changed name.
    const notUtf8 = Buffer.from(command.replace('张', '\u0000'))
    notUtf8[notUtf8.indexOf(0)] = 0xff
    const cases: ReadonlyArray<readonly [string | Uint8Array<ArrayBuffer>, RegExp]> = [
      ['{"type":', /^the body is not valid JSON: .*end of JSON input/],
      ['{"type": "x"} trailing', /^the body is not valid JSON: .*position 14/],
      ['', /^the body is empty/],
      ['{"type": "x", "__proto__": {"admin": true}}', /"__proto__" member/],
      ['{"type": "x", "constructor": {"prototype": {"admin": true}}}', /"constructor" with a "prototype"/],
      [notUtf8, /^the body is not UTF-8/],
      // The command with its type named twice: JSON.parse keeps the last (the real one), which a
      // gateway reading the first would have taken for another command.
      [
        `{"type":"ChangeLicenceStatus",${command.slice(1)}`,
        /^the body is refused: the member "type" appears twice in the top-level object/,
      ],
    ]
    for (const path of ['/commands', '/presentations/verify', `/licences/${licenceNumber}/credentials`]) {
      for (const [rawBody, message] of cases) {
        const refused = await running.api.request('POST', path, {
          token: path === '/commands' ? testTokens.registry : testTokens.holder,
          rawBody,
          headers: { 'content-type': 'application/json; charset=utf-8' },
        })
        expect(refused.status, `${path} ${String(rawBody)}`).toBe(400)
        expectError(refused.body, 'invalid-request')
        expect(refused.body.error.message, `${path} ${String(rawBody)}`).toMatch(message)
      }
    }
    // Nothing of the refused command was recorded; the same command in UTF-8 is.
    const recorded = await running.api.request('GET', `/licences/${otherLicenceNumber}`, {
      token: testTokens.registry,
    })
    expect(recorded.status).toBe(404)
    const sent = await running.api.request('POST', '/commands', {
      token: testTokens.registry,
      rawBody: Buffer.from(command),
      headers: { 'content-type': 'application/json' },
    })
    expect(sent.status).toBe(201)
  })

  it('a path with no route: 404 not-found; a path asked with a method it has not: 405 with Allow', async () => {
    for (const [method, path] of [
      ['GET', '/nowhere'],
      ['POST', '/nowhere'],
      ['GET', '/commands/'],
    ] as const) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method })
      expect(response.status, `${method} ${path}`).toBe(404)
      expect(response.headers.get('allow')).toBeNull()
      expectError(await response.json(), 'not-found')
    }
    for (const [method, path, allow] of [
      ['DELETE', '/commands', 'POST'],
      ['GET', '/commands', 'POST'],
      ['PUT', `/licences/${licenceNumber}`, 'GET, HEAD'],
      ['POST', '/openapi.json', 'GET, HEAD'],
    ] as const) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method })
      expect(response.status, `${method} ${path}`).toBe(405)
      expect(response.headers.get('allow'), `${method} ${path}`).toBe(allow)
      const body = await response.json()
      expectError(body, 'method-not-allowed')
      expect(body.error.message).toBe(`${method} is not a method of ${path}, which answers ${allow}`)
    }
  })

  it('header fields that say one thing, missing or twice; an Expect it cannot meet; CONNECT: 400 invalid-request, saying which', async () => {
    const auth = (token: string) => `Authorization: Bearer ${token}\r\n`
    const cases: ReadonlyArray<[string, string, RegExp]> = [
      [
        'no Host',
        'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n',
        /no Host header field, which HTTP\/1\.1 requires/,
      ],
      [
        'two Hosts',
        'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
        /2 host header fields, where one is allowed/,
      ],
      [
        'two tokens',
        `GET /licences/${licenceNumber} HTTP/1.1\r\nHost: a\r\n${auth(testTokens.holder)}${auth(testTokens.registry)}\r\n`,
        /2 authorization header fields/,
      ],
      [
        'two content types',
        'POST /commands HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Type: text/xml\r\nContent-Length: 2\r\n\r\n{}',
        /2 content-type header fields/,
      ],
      [
        'Expect: teapot',
        'GET /healthz HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n',
        /expects "teapot": only 100-continue/,
      ],
      [
        'CONNECT',
        'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
        /CONNECT asks for a tunnel/,
      ],
    ]
    for (const [name, bytes, said] of cases) {
      const response = await rawRequest(bytes)
      expect([name, response.status]).toEqual([name, 400])
      expectError(response.body, 'invalid-request')
      expect((response.body as { error: { message: string } }).error.message).toMatch(said)
      expectApiHeaders(rawHeader(response))
    }
    // One of each is answered as ever; HTTP/1.0 needs no Host.
    expect((await rawRequest('GET /healthz HTTP/1.0\r\n\r\n')).status).toBe(200)
  })

  it('header fields over Node’s limit: 431 header-fields-too-large', async () => {
    const response = await rawRequest(
      `GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'x'.repeat(20 * 1024)}\r\n\r\n`,
    )
    expect(response.status).toBe(431)
    expect(response.headers.toLowerCase()).toContain('content-type: application/json')
    expectError(response.body, 'header-fields-too-large')
    expectApiHeaders(rawHeader(response))
  })

  it('a URL over Node’s header limit: 431 as well', async () => {
    const response = await rawRequest(
      `GET /licences/${'1'.repeat(20 * 1024)} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    )
    expect(response.status).toBe(431)
    expectError(response.body, 'header-fields-too-large')
  })

  it('a request that is not HTTP: 400 invalid-request', async () => {
    const response = await rawRequest('HELLO THERE\r\n\r\n')
    expect(response.status).toBe(400)
    expectError(response.body, 'invalid-request')
    expectApiHeaders(rawHeader(response))
  })

  it('a request too slow to arrive: 408 request-timeout', async () => {
    // Node raises this after `requestTimeout` (30 s); the same error, delivered the way Node delivers it.
    const response = await rawRequest('', (socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n')
      setTimeout(() => {
        const serverSide = [...serverSockets].find((candidate) => candidate.remotePort === socket.localPort)
        running.app.server.emit(
          'clientError',
          Object.assign(new Error('request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }),
          serverSide,
        )
      }, 50)
    })
    expect(response.status).toBe(408)
    expectError(response.body, 'request-timeout')
  })
})

const serverSockets = new Set<import('node:net').Socket>()
beforeAll(() => {
  running.app.server.on('connection', (socket) => {
    serverSockets.add(socket)
    socket.on('close', () => serverSockets.delete(socket))
  })
})

describe('while the server shuts down', () => {
  it('answers a request that arrives then 503 shutting-down, and /healthz in its own shape', async () => {
    const closingServer = await startTestServer()
    const address = closingServer.app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no TCP address')
    const partial = (path: string) => {
      const socket = connect({ host: '127.0.0.1', port: address.port })
      const chunks: Buffer[] = []
      socket.on('data', (chunk) => chunks.push(chunk))
      const answered = new Promise<RawResponse>((resolve) =>
        socket.on('close', () => {
          const [head = '', body = ''] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n', 2)
          resolve({ status: Number(head.split(' ')[1]), headers: head, body: JSON.parse(body) })
        }),
      )
      // A request begun before shutdown keeps its connection open; it ends after shutdown began.
      socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n`))
      return { finish: () => socket.write(`Authorization: Bearer ${testTokens.auditor}\r\n\r\n`), answered }
    }
    const view = partial(`/licences/${licenceNumber}`)
    const health = partial('/healthz')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const closed = closingServer.app.close()
    await new Promise((resolve) => setTimeout(resolve, 100))
    view.finish()
    health.finish()
    const [viewResponse, healthResponse] = await Promise.all([view.answered, health.answered])
    await closed
    expect(viewResponse.status).toBe(503)
    expectError(viewResponse.body, 'shutting-down')
    expect(healthResponse.status).toBe(503)
    expect(healthResponse.body).toMatchObject({ status: 'unavailable' })
  })
})
