/**
 * The `components.schemas` of the OpenAPI document, derived from the io-ts codecs wherever the
 * shape is the domain's or a read model's (`jsonSchemaOf`): every command type's body, every event's
 * data, every view. What is left by hand is the transport's own envelope (errors, outcomes, health)
 * and the credential's responses (DESIGN §6), which the issuer and the verifier build and nothing
 * decodes.
 *
 * Named values (a licence number, an instant, a set of classes…) are components of their own and
 * referenced, so a client generator names them once; objects are inlined, because what the decoder
 * accepts (open objects: unknown properties are ignored) and what the server writes (closed
 * objects) differ, and a reference could only be one of the two.
 *
 * @example
 * componentSchemas.RecordLicence.properties.data.required // ['licenceNumber', 'holder', 'classes', …]
 */
import {
  Changes,
  CommandMetadata,
  Count,
  commandCodecs,
  commandTypes,
  eventCodecs,
  eventTypes,
  Id,
  Instant,
  type JsonSchema,
  jsonSchemaOf,
  LicenceClass,
  LicenceClasses,
  LicenceNumber,
  LicenceStatus,
  LicenceStatuses,
  LocalDate,
  Name,
  PhotoDefects,
  RejectionReasons,
  type SchemaSide,
  Sha256Hex,
  StoredEventCodec,
  StoredEventMetadataCodec,
  Uuid,
  ValidUntil,
} from '@elicence/domain'
import {
  Base64UrlCoordinate,
  CredentialRequest,
  credentialStatuses,
  disclosableClaims,
  ELicenceView,
  HolderKey,
  presentationReasons,
  ReviewQueueEntry,
  Verification,
} from '@elicence/projections'
import { errorCodes } from './errors.js'
import { PresentationToVerify } from './routes/presentations.js'

/** Values referenced by name; every other codec is inlined where it is used. */
const namedValues = {
  LicenceNumber,
  LocalDate,
  Instant,
  Uuid,
  Id,
  Name,
  ValidUntil,
  LicenceClass,
  LicenceClasses,
  LicenceStatus,
  LicenceStatuses,
  PhotoDefects,
  RejectionReasons,
  Changes,
  Sha256Hex,
  HolderKey,
} as const

const nameOf = new Map<unknown, string>(Object.entries(namedValues).map(([name, codec]) => [codec, name]))

const schemaOf = (codec: Parameters<typeof jsonSchemaOf>[0], side: SchemaSide): JsonSchema =>
  jsonSchemaOf(codec, { side, refOf: (candidate) => nameOf.get(candidate) })

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] })
const closed = (properties: Record<string, object>, optional: ReadonlyArray<string> = []) => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((key) => !optional.includes(key)),
  additionalProperties: false,
})
const withProperties = (schema: JsonSchema, properties: Record<string, object>): JsonSchema => ({
  ...schema,
  properties: { ...(schema.properties as object), ...properties },
})

/** A union discriminated by `type`, each member a component named after its type. */
const byType = (types: ReadonlyArray<string>, description: string) => ({
  description,
  oneOf: types.map(ref),
  discriminator: {
    propertyName: 'type',
    mapping: Object.fromEntries(types.map((type) => [type, `#/components/schemas/${type}`])),
  },
})

/**
 * What `POST /commands` takes in `metadata`: the codec's, less what the transport fills in
 * (routes/commands.ts): `actor` comes from the bearer token and `at` from the server's clock.
 */
const commandRequestMetadata = (() => {
  const derived = schemaOf(CommandMetadata, 'input')
  const properties = derived.properties as Record<string, object>
  return {
    ...derived,
    required: ['commandId'],
    properties: {
      ...properties,
      at: {
        ...properties.at,
        description:
          'Stamped by the server. Only roles trusted with their own clock (by default the registry and the system) may state it; from anyone else it is invalid input.',
      },
      actor: {
        ...properties.actor,
        description:
          'The actor of the bearer token. It may be left out or repeated; another one is refused (403).',
      },
    },
  }
})()

const commandSchemas = Object.fromEntries(
  commandTypes.map((type) => [
    type,
    withProperties(schemaOf(commandCodecs[type], 'input'), { metadata: ref('CommandRequestMetadata') }),
  ]),
)

// The stored-event codecs are `t.type`; `decodeStoredEventShape` refuses any field beyond them (a
// hash covers all of `metadata`), which the closed schema states.
const storedEventMetadata = { ...schemaOf(StoredEventMetadataCodec, 'output'), additionalProperties: false }
const storedEventPosition = {
  streamId: schemaOf(StoredEventCodec.props.streamId, 'output'),
  version: schemaOf(StoredEventCodec.props.version, 'output'),
  position: schemaOf(StoredEventCodec.props.position, 'output'),
}

/** A stored event of one type: the event codec's `{ type, data }` where the store put it. */
const storedEventSchemas = Object.fromEntries(
  eventTypes.map((type) => [
    type,
    {
      ...withProperties(schemaOf(eventCodecs[type], 'output'), {
        ...storedEventPosition,
        metadata: ref('StoredEventMetadata'),
      }),
      required: ['streamId', 'version', 'position', 'type', 'data', 'metadata'],
    },
  ]),
)

const errorSchema = closed({
  error: closed(
    {
      code: {
        type: 'string',
        enum: errorCodes,
        description: 'kebab-case; the status tells its kind (DESIGN §7)',
      },
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
})

/** The JWK members of a 256-bit curve coordinate or Ed25519 key, as the issuer's keys carry them. */
const coordinate = schemaOf(Base64UrlCoordinate, 'output')

// The credential's responses are built by the issuer and the verifier, not decoded: no codec.
const credentialSchemas = {
  CredentialRequest: schemaOf(CredentialRequest, 'input'),
  Credential: closed({
    credential: {
      type: 'string',
      pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+~([A-Za-z0-9_-]+~)*$',
      description: 'The SD-JWT VC (typ dc+sd-jwt), with every disclosure; the holder presents a subset.',
    },
    status: closed({ idx: { type: 'integer', minimum: 0 }, uri: { type: 'string', format: 'uri' } }),
    defaultDisclosures: {
      type: 'array',
      items: { enum: [...disclosableClaims] },
      description: 'What the holder’s page discloses unless told otherwise: never the licence number.',
    },
  }),
  IssuerMetadata: closed({
    issuer: { type: 'string', format: 'uri' },
    jwks: closed({
      keys: {
        type: 'array',
        minItems: 1,
        items: closed({
          kty: { const: 'OKP' },
          crv: { const: 'Ed25519' },
          x: coordinate,
          kid: { type: 'string' },
          alg: { const: 'EdDSA' },
          use: { const: 'sig' },
        }),
      },
    }),
  }),
  PresentationToVerify: schemaOf(PresentationToVerify, 'input'),
  PresentationVerification: closed({
    valid: { type: 'boolean' },
    reasons: { type: 'array', items: { enum: [...presentationReasons] } },
    disclosed: { type: 'object', description: 'The claims disclosed, as the issuer signed them.' },
    status: { enum: [...credentialStatuses, 'unchecked'] },
    keyBinding: nullable(
      closed({
        // NumericDates (RFC 7519 §2) may have fractions; the issuer-signed ones of a forgery too.
        iat: { type: 'number' },
        aud: {
          oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
        },
        nonce: { type: 'string' },
        ageSeconds: { type: 'number' },
      }),
    ),
    credential: closed({
      issuer: nullable({ type: 'string' }),
      issuedAt: nullable({ type: 'number' }),
      expiresAt: nullable({ type: 'number' }),
      kid: nullable({ type: 'string' }),
    }),
    checkedAt: ref('Instant'),
  }),
}

export const componentSchemas = {
  ...Object.fromEntries(
    Object.entries(namedValues).map(([name, codec]) => [name, schemaOf(codec, 'output')]),
  ),
  Error: errorSchema,
  Command: byType(
    commandTypes,
    'A command of DESIGN §3. `metadata.actor` comes from the bearer token and `metadata.at` from the server (see CommandRequestMetadata).',
  ),
  CommandRequestMetadata: commandRequestMetadata,
  ...commandSchemas,
  StoredEvent: byType(eventTypes, 'A stored event: its data, its place in the stream and its hash chain.'),
  StoredEventMetadata: storedEventMetadata,
  ...storedEventSchemas,
  CommandOutcome: closed({
    events: { type: 'array', items: ref('StoredEvent') },
    version: schemaOf(Count, 'output'),
    replayed: { type: 'boolean', description: 'True when the commandId was already recorded: nothing new.' },
  }),
  EventHistory: closed({
    licenceNumber: ref('LicenceNumber'),
    version: schemaOf(Count, 'output'),
    events: { type: 'array', items: ref('StoredEvent') },
  }),
  ELicenceView: schemaOf(ELicenceView, 'output'),
  Verification: schemaOf(Verification, 'output'),
  ReviewQueueEntry: schemaOf(ReviewQueueEntry, 'output'),
  ReviewQueue: closed({
    entries: { type: 'array', items: ref('ReviewQueueEntry') },
    checkpoint: { ...schemaOf(Count, 'output'), description: 'Global position the queue is complete up to.' },
    head: {
      ...nullable(schemaOf(Count, 'output')),
      description:
        "The store's head position when answered; null where the store cannot tell. Also the header Elicence-Store-Head.",
    },
    behind: {
      ...nullable(schemaOf(Count, 'output')),
      description:
        'head − checkpoint: how many positions the answer may lack (0: up to date). Far behind (after a restart) the queue answers at once from its last checkpoint while it catches up in the background. Also the header Elicence-Read-Model-Behind.',
    },
  }),
  ...credentialSchemas,
  LogProof: closed(
    {
      treeSize: schemaOf(Count, 'output'),
      leafIndex: { ...schemaOf(Count, 'output'), description: 'Inclusion proofs only: the leaf proven.' },
      hashes: {
        type: 'array',
        items: { type: 'string', contentEncoding: 'base64', minLength: 44, maxLength: 44 },
        description: 'RFC 9162 §2.1.3–2.1.4 proof hashes, in the order the RFC verifies them.',
      },
    },
    ['leafIndex'],
  ),
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
            since: ref('Instant'), // when the last append failed, with no success since
          },
          ['message', 'since'],
        ),
        description:
          "Whether the store can write: its write probe where it has one, and the last append's outcome.",
      },
    },
    ['writes'],
  ),
} as const
