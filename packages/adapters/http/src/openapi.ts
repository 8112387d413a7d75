/**
 * The OpenAPI 3.1 document served at `/openapi.json`. Its schemas are JSON Schema 2020-12 and
 * strict (`additionalProperties: false` wherever the shape is ours), because the tests validate real
 * responses against them: a route that drifts from its document fails a test.
 *
 * @example
 * // GET /openapi.json → 200 { "openapi": "3.1.0", "paths": { "/commands": … }, "components": … }
 */
import { actorRoles, commandTypes, licenceClasses, licenceStatuses, photoDefects } from '@elicence/domain'
import { eLicenceStates, presentationErrorCodes, timeAxes, verificationReasons } from '@elicence/projections'

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] })
const closed = (properties: Record<string, object>, optional: ReadonlyArray<string> = []) => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((key) => !optional.includes(key)),
  additionalProperties: false,
})
const instant = { type: 'string', format: 'date-time' }
const localDate = { type: 'string', format: 'date' }
const json = (schema: object) => ({ 'application/json': { schema } })
const response = (description: string, schema: object) => ({ description, content: json(schema) })
const failure = (description: string) => response(description, ref('Error'))

const unauthorised = { '401': failure('No bearer token, or one that is not recognised.') }
const forbidden = { '403': failure('The role may not do this, or a holder asked about another licence.') }
const badInput = { '400': failure('Invalid input: `issues` lists every failing path.') }
const notFound = { '404': failure('No licence with this number is recorded.') }
const storeTrouble = {
  '500': failure('A stored event is corrupt (never caused by the request).'),
  '503': failure('The event store is unavailable, or the server is shutting down.'),
}

const licenceNumberParameter = {
  name: 'licenceNumber',
  in: 'path',
  required: true,
  description: 'The holder’s 18-character citizen ID number (GB 11643), e.g. 11010519491231002X.',
  schema: { type: 'string', pattern: '^[0-9]{17}[0-9X]$' },
}

const bearer = [{ bearer: [] }]

const verificationProperties = {
  at: instant,
  licenceNumber: nullable({ type: 'string', description: 'Masked: 110105********002X' }),
  holderName: nullable({ type: 'string', description: 'Masked: 张*' }),
  eLicence: { enum: ['valid', 'invalid', 'none'] },
  driving: { enum: ['allowed', 'not-allowed'] },
  classes: { type: 'array', items: ref('LicenceClass') },
  mayDrive: {
    type: 'array',
    items: ref('LicenceClass'),
    description: 'Held classes and those they imply.',
  },
  validUntil: nullable(ref('ValidUntil')),
  statuses: { type: 'array', items: ref('LicenceStatus') },
  abnormal: { type: 'boolean', description: 'Shown red: any status but A alone.' },
  reasons: { type: 'array', items: { enum: [...verificationReasons] } },
}

const schemas = {
  Error: closed({
    error: closed(
      {
        code: { type: 'string', description: 'kebab-case, e.g. invalid-command, review-not-due' },
        message: { type: 'string' },
        issues: {
          type: 'array',
          items: closed({ path: { type: 'string' }, message: { type: 'string' } }),
        },
        reasons: { type: 'array', items: { type: 'string' } },
        streamId: { type: 'string', description: 'A store error: the stream it concerns.' },
        version: { type: 'integer', description: 'corrupt-event: the version of the corrupt event.' },
        expected: {
          anyOf: [{ type: 'integer' }, { enum: ['no-stream', 'any'] }],
          description: 'concurrency-conflict: the stream version the write expected.',
        },
        actual: { type: 'integer', description: "concurrency-conflict: the stream's actual version." },
      },
      ['issues', 'reasons', 'streamId', 'version', 'expected', 'actual'],
    ),
  }),
  Actor: closed({ role: { enum: [...actorRoles] }, id: { type: 'string', minLength: 1, maxLength: 128 } }),
  Authority: closed({ code: { type: 'string' }, name: { type: 'string' } }),
  Holder: closed({ accountId: { type: 'string' }, name: { type: 'string' } }),
  LicenceClass: { enum: [...licenceClasses] },
  LicenceStatus: { enum: [...licenceStatuses] },
  PhotoDefect: { enum: [...photoDefects] },
  ValidUntil: { anyOf: [localDate, { const: 'long-term' }] },
  Command: {
    type: 'object',
    description:
      'A command of DESIGN §3. `metadata.actor` comes from the bearer token (a different one is refused); ' +
      '`metadata.at` is stamped by the server, and only the registry and the system may state it.',
    properties: {
      type: { enum: [...commandTypes] },
      data: {
        type: 'object',
        properties: { licenceNumber: { type: 'string' } },
        required: ['licenceNumber'],
      },
      metadata: {
        type: 'object',
        properties: {
          commandId: { type: 'string', format: 'uuid' },
          at: instant,
          actor: ref('Actor'),
        },
        required: ['commandId'],
      },
    },
    required: ['type', 'data', 'metadata'],
  },
  StoredEvent: closed({
    streamId: { type: 'string' },
    version: { type: 'integer', minimum: 0 },
    position: { type: 'integer', minimum: 1 },
    type: { type: 'string' },
    data: { type: 'object' },
    metadata: closed({
      eventId: { type: 'string' },
      commandId: { type: 'string', format: 'uuid' },
      commandHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      actor: ref('Actor'),
      at: instant,
      recordedAt: instant,
      schemaVersion: { type: 'integer', minimum: 1 },
      rulesVersion: { type: 'string' },
      prevHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    }),
  }),
  CommandOutcome: closed({
    events: { type: 'array', items: ref('StoredEvent') },
    version: { type: 'integer', minimum: 0 },
    replayed: { type: 'boolean', description: 'True when the commandId was already recorded: nothing new.' },
  }),
  EventHistory: closed({
    licenceNumber: { type: 'string' },
    version: { type: 'integer', minimum: 0 },
    events: { type: 'array', items: ref('StoredEvent') },
  }),
  ELicenceView: closed({
    streamId: { type: 'string' },
    licenceNumber: { type: 'string' },
    holder: ref('Holder'),
    classes: { type: 'array', items: ref('LicenceClass'), minItems: 1 },
    validFrom: localDate,
    validUntil: ref('ValidUntil'),
    authority: ref('Authority'),
    statuses: { type: 'array', items: ref('LicenceStatus'), minItems: 1 },
    photoOnFile: { type: 'boolean' },
    state: { enum: [...eLicenceStates] },
    eLicenceId: nullable({ type: 'string' }),
    issuedAt: nullable(instant),
    issuedCount: { type: 'integer', minimum: 0 },
    applicationId: nullable({ type: 'string' }),
    appliedAt: nullable(instant),
    reviewDueAt: nullable(instant),
    photoRejections: {
      type: 'array',
      items: closed({
        applicationId: { type: 'string' },
        reasons: { type: 'array', items: ref('PhotoDefect'), minItems: 1 },
        photoId: nullable({ type: 'string' }),
        source: { enum: ['review', 'reviewer', 'submission'] },
        at: instant,
      }),
    },
    lastInvalidation: nullable(
      closed({
        eLicenceId: { type: 'string' },
        reason: { enum: ['renewal', 'licence-revoked'] },
        changes: { type: 'array', items: { enum: ['class', 'expiry', 'authority'] } },
        at: instant,
      }),
    ),
    version: { type: 'integer', minimum: 0 },
    position: { type: 'integer', minimum: 1 },
    hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    updatedAt: instant,
  }),
  Verification: closed(verificationProperties),
  PresentationPayload: closed({
    reference: {
      type: 'string',
      pattern: '^[A-Za-z0-9_-]+$',
      description:
        'The e-licence, opaque: its id sealed (AES-256-GCM, base64url) under a key only the issuing service holds, which opens it for the online check.',
    },
    holder: { type: 'string', description: 'Masked' },
    licenceNumber: { type: 'string', description: 'Masked' },
    classes: { type: 'array', items: ref('LicenceClass'), minItems: 1 },
    validUntil: ref('ValidUntil'),
    statuses: { type: 'array', items: ref('LicenceStatus'), minItems: 1 },
    signedAt: instant,
    presentation: closed({ validFrom: instant, validUntil: instant }),
  }),
  Presentation: closed({
    presentation: {
      type: 'string',
      pattern: '^EP1\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
      description: 'The signed presentation, EP1.<payload>.<signature> (base64url): what the QR code holds.',
    },
    payload: ref('PresentationPayload'),
    qrSvg: { type: 'string', description: 'The QR code of `presentation`, as an SVG document.' },
  }),
  PresentationToVerify: closed({ presentation: { type: 'string', minLength: 1, maxLength: 8192 } }),
  PresentationVerification: {
    oneOf: [
      closed({
        valid: { const: true },
        checkedAt: instant,
        payload: ref('PresentationPayload'),
        verification: nullable(ref('Verification')),
      }),
      closed({
        valid: { const: false },
        checkedAt: instant,
        code: { enum: [...presentationErrorCodes] },
        message: { type: 'string' },
        reasons: { type: 'array', items: { enum: [...verificationReasons] } },
      }),
    ],
  },
  ReviewQueue: closed({
    entries: {
      type: 'array',
      items: closed({
        streamId: { type: 'string' },
        licenceNumber: { type: 'string' },
        holderName: { type: 'string' },
        applicationId: { type: 'string' },
        stage: { enum: ['pending-review', 'awaiting-photo'] },
        appliedAt: instant,
        reviewDueAt: nullable(instant),
        photoRejections: { type: 'integer', minimum: 0 },
      }),
    },
    checkpoint: { type: 'integer', minimum: 0, description: 'Global position the queue is complete up to.' },
    head: {
      ...nullable({ type: 'integer', minimum: 0 }),
      description:
        "The store's head position when answered; null where the store cannot tell. Also the header Elicence-Store-Head.",
    },
    behind: {
      ...nullable({ type: 'integer', minimum: 0 }),
      description:
        'head − checkpoint: how many positions the answer may lack (0: up to date). Far behind (after a restart) the queue answers at once from its last checkpoint while it catches up in the background. Also the header Elicence-Read-Model-Behind.',
    },
  }),
  Health: closed(
    {
      status: { enum: ['ok', 'unavailable'] },
      store: closed(
        { name: { type: 'string' }, status: { enum: ['ok', 'unavailable'] }, message: { type: 'string' } },
        ['message'],
      ),
      writes: {
        ...closed(
          {
            status: { enum: ['ok', 'failing'] },
            message: { type: 'string' },
            since: { ...instant, description: 'When the last append failed, with no success since.' },
          },
          ['message', 'since'],
        ),
        description:
          "Whether the store can write: its write probe where it has one, and the last append's outcome.",
      },
    },
    ['writes'],
  ),
}

const paths = {
  '/commands': {
    post: {
      summary: 'Send a command',
      security: bearer,
      requestBody: { required: true, content: json(ref('Command')) },
      responses: {
        '201': response('Recorded: the new events.', ref('CommandOutcome')),
        '200': response('Already recorded under this commandId: its first outcome.', ref('CommandOutcome')),
        ...badInput,
        ...unauthorised,
        ...forbidden,
        ...notFound,
        '409': failure('The stream kept changing (after bounded retries), or the commandId was reused.'),
        '413': failure('The body is larger than the limit.'),
        '415': failure('The body is not JSON.'),
        '422': failure('Refused by a rule of the domain, e.g. review-not-due.'),
        ...storeTrouble,
      },
    },
  },
  '/licences/{licenceNumber}': {
    get: {
      summary: 'The e-licence view of a licence, now or as of an instant',
      security: bearer,
      parameters: [
        licenceNumberParameter,
        {
          name: 'asOf',
          in: 'query',
          description: 'The view at this instant (ISO-8601 with an offset or Z).',
          schema: instant,
        },
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
  },
  '/licences/{licenceNumber}/events': {
    get: {
      summary: 'The licence’s stored events, with their hash chain',
      security: bearer,
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
  },
  '/licences/{licenceNumber}/verification': {
    get: {
      summary: 'What a verifier may learn of a licence at an instant (name and number masked)',
      security: bearer,
      parameters: [
        licenceNumberParameter,
        { name: 'at', in: 'query', description: 'Default: now.', schema: instant },
      ],
      responses: {
        '200': response('The verification.', ref('Verification')),
        ...badInput,
        ...unauthorised,
        ...forbidden,
        ...notFound,
        ...storeTrouble,
      },
    },
  },
  '/licences/{licenceNumber}/presentations': {
    post: {
      summary: 'Sign a fresh short-lived presentation of the holder’s own e-licence',
      description:
        'Only the licence’s holder. The presentation is valid for 60 seconds by default: the page shows it as a QR ' +
        'code with the current time and re-issues it before it expires, so a screenshot is soon refused.',
      security: bearer,
      parameters: [licenceNumberParameter],
      responses: {
        '201': response('Signed.', ref('Presentation')),
        ...badInput,
        ...unauthorised,
        ...forbidden,
        ...notFound,
        '422': failure('No valid e-licence to present: `reasons` says why (e.g. never-issued, expired).'),
        ...storeTrouble,
      },
    },
  },
  '/presentations/verify': {
    post: {
      summary: 'Verify a presentation (scanned or pasted), online against the current e-licence',
      security: bearer,
      requestBody: { required: true, content: json(ref('PresentationToVerify')) },
      responses: {
        '200': response(
          'Verified: `valid` says whether to accept it, and if not why (bad-signature, presentation-expired, e-licence-invalidated, …).',
          ref('PresentationVerification'),
        ),
        ...badInput,
        ...unauthorised,
        ...forbidden,
        '413': failure('The body is larger than the limit.'),
        '415': failure('The body is not JSON.'),
        ...storeTrouble,
      },
    },
  },
  '/review-queue': {
    get: {
      summary: 'Open applications, the ones due for review first',
      security: bearer,
      parameters: [
        {
          name: 'dueBy',
          in: 'query',
          description: 'Only applications due by this instant.',
          schema: instant,
        },
        {
          name: 'limit',
          in: 'query',
          schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
        },
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
  },
  '/healthz': {
    get: {
      summary: 'Readiness: the store answers reads and takes writes, each probe within 2 s',
      responses: {
        '200': response('Serving: the store answers and can write.', ref('Health')),
        '503': response(
          'The store does not answer within the deadline, cannot write (e.g. a full disk), or the server is shutting down.',
          ref('Health'),
        ),
      },
    },
  },
  '/': {
    get: {
      summary: 'The holder’s live e-licence (web page; token and licence number in the URL fragment)',
      responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
  },
  '/verify': {
    get: {
      summary: 'The verifier’s page: paste or scan a presentation',
      responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
  },
  '/openapi.json': {
    get: {
      summary: 'This document',
      responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } },
    },
  },
}

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'elicence',
    version: '0.1.0',
    description:
      'The lifecycle of Chinese electronic driving licences: commands, e-licence views, verification ' +
      'and signed short-lived presentations (a screenshot is not valid).',
  },
  jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas,
  },
  paths,
} as const
