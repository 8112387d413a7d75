/**
 * The OpenAPI 3.1 document served at `/openapi.json`. Its schemas are JSON Schema 2020-12, derived
 * from the io-ts codecs (`openapi-schemas.ts`), and strict where the server writes (closed objects),
 * because the tests validate real responses against them: a route that drifts from its document
 * fails a test.
 *
 * To document a new route, add one entry to `routes` below (method, path, operationId, summary,
 * access, parameters, body, its own responses) and its schemas to `openapi-schemas.ts`. What Fastify
 * and Node may answer on any route (a bad URL, a timeout, header fields too large, a path parameter
 * too long, a body too large or not JSON, a fault, shutting down) is added to every entry by
 * `frameworkResponses`, all in the `Error` shape (`server.ts` makes the framework send it), and
 * every GET gets its HEAD.
 *
 * @example
 * // GET /openapi.json → 200 { "openapi": "3.1.0", "paths": { "/commands": … }, "components": … }
 */
import { Count, jsonSchemaOf } from '@elicence/domain'
import { timeAxes } from '@elicence/projections'
import { bearerChallenge } from './errors.js'
import { componentSchemas, ref } from './openapi-schemas.js'
import { webFiles } from './routes/page.js'

type Status = `${number}`

interface ResponseDoc {
  readonly description: string
  readonly content?: Readonly<Record<string, { readonly schema: object }>>
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly schema: object }>>
}

interface RouteDoc {
  readonly method: 'get' | 'post'
  /** The OpenAPI path template, e.g. `/licences/{licenceNumber}`. */
  readonly path: string
  readonly operationId: string
  readonly summary: string
  readonly description?: string
  /** `bearer`: a token of the table the server was given; `public`: anyone. */
  readonly access: 'bearer' | 'public'
  readonly parameters?: ReadonlyArray<object>
  /** The JSON request body's schema. */
  readonly body?: object
  readonly responses: Readonly<Record<Status, ResponseDoc>>
}

const json = (schema: object) => ({ 'application/json': { schema } })

/** A tree size or leaf index in a query: the `Count` of the proofs' own schema, from `minimum`. */
const treeSizeSchema = (minimum: 0 | 1) => ({ ...jsonSchemaOf(Count, { side: 'input' }), minimum })
const response = (description: string, schema: object): ResponseDoc => ({
  description,
  content: json(schema),
})
const failure = (description: string): ResponseDoc => response(description, ref('Error'))

const unauthorised = {
  '401': {
    ...failure('No bearer token, or one that is not recognised.'),
    headers: {
      'WWW-Authenticate': {
        description: `The scheme to authenticate with (RFC 6750 §3): \`${bearerChallenge}\`.`,
        schema: { type: 'string' },
      },
    },
  },
}
const forbidden = { '403': failure('The role may not do this, or a holder asked about another licence.') }
const badInput = { '400': failure('Invalid input: `issues` lists every failing path.') }
const notFound = { '404': failure('No licence with this number is recorded.') }
const storeTrouble = {
  '500': failure('A stored event is corrupt (never caused by the request).'),
  '503': failure('The event store is unavailable.'),
}

const licenceNumberParameter = {
  name: 'licenceNumber',
  in: 'path',
  required: true,
  description: 'The holder’s citizen ID number, e.g. 11010519491231002X.',
  schema: ref('LicenceNumber'),
}
const instantQuery = (name: string, description: string) => ({
  name,
  in: 'query',
  description,
  schema: ref('Instant'),
})

/** Every route of the server but the pages, which `webFiles` lists. */
const routes: ReadonlyArray<RouteDoc> = [
  {
    method: 'post',
    path: '/commands',
    operationId: 'sendCommand',
    summary: 'Send a command',
    access: 'bearer',
    body: ref('Command'),
    responses: {
      '201': response('Recorded: the new events.', ref('CommandOutcome')),
      '200': response('Already recorded under this commandId: its first outcome.', ref('CommandOutcome')),
      ...badInput,
      ...unauthorised,
      ...forbidden,
      ...notFound,
      '409': failure('The stream kept changing (after bounded retries), or the commandId was reused.'),
      '422': failure('Refused by a rule of the domain, e.g. review-not-due.'),
      ...storeTrouble,
    },
  },
  {
    method: 'get',
    path: '/licences/{licenceNumber}',
    operationId: 'getLicence',
    summary: 'The e-licence view of a licence, now or as of an instant',
    access: 'bearer',
    parameters: [
      licenceNumberParameter,
      instantQuery('asOf', 'The view at this instant (ISO-8601 with an offset or Z).'),
      {
        name: 'axis',
        in: 'query',
        description:
          '`business`: events that had happened by `asOf` (their `at`); `record`: events the system had recorded by then.',
        schema: { enum: [...timeAxes], default: 'business' },
      },
    ],
    responses: {
      '200': response('The view.', ref('ELicenceView')),
      ...badInput,
      ...unauthorised,
      ...forbidden,
      '404': failure('No licence with this number is recorded (as of `asOf`, when given).'),
      ...storeTrouble,
    },
  },
  {
    method: 'get',
    path: '/licences/{licenceNumber}/events',
    operationId: 'getLicenceEvents',
    summary: 'The licence’s stored events, with their hash chain',
    access: 'bearer',
    parameters: [licenceNumberParameter],
    responses: {
      '200': response('The stream in order.', ref('EventHistory')),
      ...badInput,
      ...unauthorised,
      ...forbidden,
      ...notFound,
      ...storeTrouble,
    },
  },
  {
    method: 'get',
    path: '/licences/{licenceNumber}/verification',
    operationId: 'verifyLicence',
    summary: 'What a verifier may learn of a licence at an instant (name and number masked)',
    access: 'bearer',
    parameters: [licenceNumberParameter, instantQuery('at', 'Default: now.')],
    responses: {
      '200': response('The verification.', ref('Verification')),
      ...badInput,
      ...unauthorised,
      ...forbidden,
      ...notFound,
      ...storeTrouble,
    },
  },
  {
    method: 'post',
    path: '/licences/{licenceNumber}/credentials',
    operationId: 'issueCredential',
    summary: 'Issue an SD-JWT VC of the holder’s own e-licence, bound to their device key',
    description:
      'Only the licence’s holder, only while the e-licence is issued and valid. Each credential gets a fresh ' +
      'random index in a Token Status List; a re-issue after an invalidation is a new credential with a new index.',
    access: 'bearer',
    parameters: [licenceNumberParameter],
    body: ref('CredentialRequest'),
    responses: {
      '201': response('Issued.', ref('Credential')),
      ...badInput,
      ...unauthorised,
      ...forbidden,
      ...notFound,
      '422': failure('No valid e-licence: `reasons` says why (e.g. never-issued, invalidated, expired).'),
      ...storeTrouble,
    },
  },
  {
    method: 'get',
    path: '/.well-known/jwt-vc-issuer',
    operationId: 'getIssuerMetadata',
    summary: 'JWT VC Issuer Metadata: the issuer and its public keys (JWKS), current and retired',
    access: 'public',
    responses: { '200': response('The metadata.', ref('IssuerMetadata')) },
  },
  {
    method: 'get',
    path: '/.well-known/jwt-vc-issuer/{issuerPath}',
    operationId: 'getIssuerMetadataAtPath',
    summary:
      'The same metadata where draft-ietf-oauth-sd-jwt-vc looks for an issuer whose URL has a path: ' +
      '`https://host/elicence` → `/.well-known/jwt-vc-issuer/elicence` (the path whole, slashes and all)',
    access: 'public',
    parameters: [
      {
        name: 'issuerPath',
        in: 'path',
        required: true,
        description: 'The path of the service’s public URL, without its leading slash, e.g. `elicence`.',
        schema: { type: 'string' },
      },
    ],
    responses: {
      '200': response('The metadata.', ref('IssuerMetadata')),
      '404': failure('The issuer URL has no path, or another one.'),
    },
  },
  {
    method: 'get',
    path: '/status-lists/{id}',
    operationId: 'getStatusList',
    summary: 'A Token Status List JWT (bits 2: 0 valid, 1 invalid, 2 suspended), cacheable for its ttl',
    access: 'public',
    parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
    responses: {
      '200': {
        description: 'The signed list (typ statuslist+jwt).',
        content: { 'application/statuslist+jwt': { schema: { type: 'string' } } },
      },
      ...badInput,
      '404': failure('No such list.'),
      ...storeTrouble,
    },
  },
  {
    method: 'post',
    path: '/presentations/verify',
    operationId: 'verifyPresentation',
    summary: 'Verify an SD-JWT VC presentation (scanned or pasted): every check, every reason',
    access: 'bearer',
    body: ref('PresentationToVerify'),
    responses: {
      '200': response(
        'Verified: `valid` says whether to accept it, `reasons` lists every check that failed (presentation-stale, status-invalid, …).',
        ref('PresentationVerification'),
      ),
      ...badInput,
      ...unauthorised,
      ...forbidden,
    },
  },
  {
    method: 'get',
    path: '/review-queue',
    operationId: 'getReviewQueue',
    summary: 'Open applications, the ones due for review first',
    access: 'bearer',
    parameters: [
      instantQuery('dueBy', 'Only applications due by this instant.'),
      { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
    ],
    responses: {
      '200': {
        ...response("The queue, as of the read model's checkpoint.", ref('ReviewQueue')),
        headers: {
          'Elicence-Read-Model-Position': {
            description: 'The checkpoint the answer is complete up to.',
            schema: { type: 'integer', minimum: 0 },
          },
          'Elicence-Store-Head': {
            description: "The store's head position (absent where the store cannot tell).",
            schema: { type: 'integer', minimum: 0 },
          },
          'Elicence-Read-Model-Behind': {
            description: 'Head minus checkpoint: 0 when up to date (absent where the store cannot tell).',
            schema: { type: 'integer', minimum: 0 },
          },
        },
      },
      ...badInput,
      ...unauthorised,
      ...forbidden,
      ...storeTrouble,
    },
  },
  {
    method: 'get',
    path: '/log/checkpoint',
    operationId: 'getLogCheckpoint',
    summary: 'The latest signed checkpoint of the transparency log',
    description:
      'A C2SP tlog-checkpoint (origin, tree size, base64 root hash) in a C2SP signed note, signed by the ' +
      'log’s Ed25519 key; verify it with the log’s verifier key (`log.vkey`), e.g. with Go’s sumdb/note.',
    access: 'public',
    responses: {
      '200': { description: 'The signed note.', content: { 'text/plain': { schema: { type: 'string' } } } },
      ...storeTrouble,
    },
  },
  {
    method: 'get',
    path: '/log/proof/inclusion',
    operationId: 'getLogInclusionProof',
    summary: 'Inclusion proof of a leaf (an event, by its index in the global order) in a tree size',
    access: 'public',
    parameters: [
      { name: 'index', in: 'query', required: true, schema: treeSizeSchema(0) },
      { name: 'size', in: 'query', required: true, schema: treeSizeSchema(1) },
    ],
    responses: {
      '200': response('The proof.', ref('LogProof')),
      '400': failure('index or size is not a whole number, or not a leaf and size of the tree.'),
      ...storeTrouble,
    },
  },
  {
    method: 'get',
    path: '/log/proof/consistency',
    operationId: 'getLogConsistencyProof',
    summary: 'Consistency proof between two tree sizes',
    access: 'public',
    parameters: [
      { name: 'from', in: 'query', required: true, schema: treeSizeSchema(0) },
      { name: 'to', in: 'query', required: true, schema: treeSizeSchema(0) },
    ],
    responses: {
      '200': response('The proof.', ref('LogProof')),
      '400': failure('from or to is not a whole number, or not sizes of the tree with from ≤ to.'),
      ...storeTrouble,
    },
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Readiness: the store answers reads and takes writes, each probe within 2 s',
    access: 'public',
    responses: {
      '200': response('Serving: the store answers and can write.', ref('Health')),
      '503': response(
        'The store does not answer within the deadline, cannot write (e.g. a full disk), or the server is shutting down.',
        ref('Health'),
      ),
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    access: 'public',
    responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } },
  },
  ...Object.entries(webFiles).map(
    ([path, page]): RouteDoc => ({
      method: 'get',
      path,
      operationId: `getPage${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, next: string | undefined) => (next ?? '').toUpperCase()) || 'Holder'}`,
      summary: page.summary,
      access: 'public',
      responses: {
        '200': { description: page.mediaType, content: { [page.mediaType]: { schema: { type: 'string' } } } },
      },
    }),
  ),
]

/** The longest path parameter Fastify routes (its `maxParamLength`); longer ones are answered 414. */
export const maxPathParameterLength = 100

/**
 * What Fastify and Node answer before, around or instead of a route's handler. `server.ts` makes
 * each of them the `Error` shape.
 */
const frameworkResponses = (route: RouteDoc): Readonly<Record<Status, ResponseDoc>> => ({
  '400': failure(
    route.method === 'post'
      ? 'The request is malformed: a URL that does not decode, or a body that is not valid JSON in UTF-8.'
      : 'The request is malformed, e.g. a URL that does not decode.',
  ),
  '408': failure('The request did not arrive in time.'),
  ...(route.path.includes('{')
    ? { '414': failure(`A path parameter is longer than ${maxPathParameterLength} characters.`) }
    : {}),
  ...(route.method === 'post'
    ? {
        '413': failure('The body is larger than the limit.'),
        '415': failure(
          'The body’s content type is one the server does not read (it reads JSON and plain text).',
        ),
      }
    : {}),
  '431': failure('The request’s header fields (the URL included) are too large.'),
  '500': failure('The server failed to answer this request (never caused by the request).'),
  '503': failure('The server is shutting down.'),
})

/** The route's own responses, and the framework's it does not already describe. */
const responsesOf = (route: RouteDoc): Readonly<Record<Status, ResponseDoc>> => {
  const merged: Record<Status, ResponseDoc> = { ...route.responses }
  for (const [status, framework] of Object.entries(frameworkResponses(route)) as [Status, ResponseDoc][]) {
    const own = merged[status]
    merged[status] =
      own === undefined
        ? framework
        : { ...own, description: `${own.description} Or: ${framework.description}` }
  }
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)))
}

const operationOf = (route: RouteDoc) => ({
  operationId: route.operationId,
  summary: route.summary,
  ...(route.description === undefined ? {} : { description: route.description }),
  ...(route.access === 'public' ? { security: [] } : {}),
  ...(route.parameters === undefined ? {} : { parameters: route.parameters }),
  ...(route.body === undefined ? {} : { requestBody: { required: true, content: json(route.body) } }),
  responses: responsesOf(route),
})

/** HEAD answers as GET does, with its headers and without a body (Fastify adds it to every GET route). */
const headOf = (operation: ReturnType<typeof operationOf>) => ({
  ...operation,
  operationId: `${operation.operationId}Head`,
  summary: `${operation.summary} (headers only)`,
  responses: Object.fromEntries(
    Object.entries(operation.responses).map(([status, { description, headers }]) => [
      status,
      headers === undefined ? { description } : { description, headers },
    ]),
  ),
})

const paths: Record<string, Record<string, object>> = {}
for (const route of routes) {
  const operation = operationOf(route)
  const item = paths[route.path] ?? {}
  item[route.method] = operation
  if (route.method === 'get') item.head = headOf(operation)
  paths[route.path] = item
}

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'elicence',
    version: '0.1.0',
    description:
      'The lifecycle of Chinese electronic driving licences: commands, e-licence views, verification, ' +
      'and the e-licence as an SD-JWT VC with device-bound presentations and a Token Status List (a ' +
      'screenshot is not valid). Every failure is the `Error` ' +
      'shape; a path not in this document is answered 404 `not-found`, and a method its path does ' +
      'not take 405 `method-not-allowed` with `Allow`.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  servers: [{ url: '/', description: 'The server that serves this document.' }],
  jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
  security: [{ bearer: [] }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: componentSchemas,
  },
  paths,
} as const
