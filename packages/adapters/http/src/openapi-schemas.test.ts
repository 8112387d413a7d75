// The JSON Schemas of the document against the codecs they are derived from, both ways, with a JSON
// Schema validator we did not write (ajv, 2020-12, formats asserted): on the commands and events of
// generated histories, on the invalid commands of `invalidCommandArb`, and on mutations of both.
//
// - What a codec accepts, the schema accepts: no exception.
// - What the schema accepts, the codec accepts, except for the checks JSON Schema cannot state, each
//   named in the schema's description and listed here (`explainedBy`): the GB 11643 check
//   character and date of birth, `validUntil` before `validFrom` or `validFrom` before the birth,
//   and a lone surrogate in an id or a name. The document's `POST /commands` body may also leave out `metadata.at` and
//   `metadata.actor`, which the transport fills in. Every refusal of the codec that the schema
//   missed must be explained by one of these, path by path.
import {
  commandCodecs,
  decodeEvent,
  eventCodecs,
  isCitizenIdNumber,
  jsonSchemaOf,
  LicenceCommand,
  LicenceEvent,
  parseCommand,
} from '@elicence/domain'
import {
  historyArb,
  impossibleDateArb,
  invalidCommandArb,
  offsetlessInstantArb,
  wrongCheckLicenceNumberArb,
} from '@elicence/domain/testing'
import { eLicenceView, foldView, ELicenceView as ViewCodec, verifyAt } from '@elicence/projections'
import { decodeHistory, historyScriptArbitrary, runHistoryScript } from '@elicence/projections/testing'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
// Internal to @elicence/projections (its README lists the public surface): imported by path.
import { reviewQueueEntryOf } from '../../../projections/src/views/review-queue.js'
import { errorCodes } from './errors.js'
import { openApiDocument } from './openapi.js'

// ajv-formats is CommonJS with a `default` export; under NodeNext the default import is the module.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats(ajv)
ajv.addSchema(openApiDocument, 'openapi.json')
const componentValidator = (name: string) => {
  const validate = ajv.getSchema(`openapi.json#/components/schemas/${name}`)
  if (validate === undefined) throw new Error(`no component ${name}`)
  return (value: unknown) => validate(value) === true
}
/** The codec's own schema, all inline (no references), as an embedder would derive it. */
const derivedValidator = (codec: Parameters<typeof jsonSchemaOf>[0], side: 'input' | 'output') => {
  const validate = ajv.compile(jsonSchemaOf(codec, { side }))
  return (value: unknown) => validate(value) === true
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
const clone = (value: unknown): Json => JSON.parse(JSON.stringify(value)) as Json

const valueAt = (root: unknown, path: string): unknown =>
  path === '(root)'
    ? root
    : path
        .split('.')
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], root)

const hasLoneSurrogate = (value: unknown): boolean =>
  typeof value === 'string' &&
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)

interface Relaxations {
  /** `metadata.at` and `metadata.actor` may be absent: the transport fills them in. */
  readonly transportMetadata: boolean
}

/** Whether a refusal of the codec is one the schema is documented not to state. */
const explainedBy = (
  json: unknown,
  issue: { readonly path: string; readonly message: string },
  relaxations: Relaxations,
): string | undefined => {
  const value = valueAt(json, issue.path)
  if (issue.path.endsWith('licenceNumber') && typeof value === 'string' && /^\d{17}[\dX]$/.test(value))
    return isCitizenIdNumber(value) ? undefined : 'check character'
  if (
    issue.path === 'data' &&
    (issue.message.includes('is before validFrom') || issue.message.includes("holder's date of birth"))
  )
    return 'validity order'
  if (hasLoneSurrogate(value)) return 'lone surrogate'
  if (
    relaxations.transportMetadata &&
    (issue.path === 'metadata.at' || issue.path === 'metadata.actor') &&
    value === undefined
  )
    return 'filled in by the transport'
  return undefined
}

const checkCommand = (validate: (value: unknown) => boolean, json: unknown, relaxations: Relaxations) => {
  const decoded = parseCommand(json)
  const accepted = validate(json)
  if (E.isRight(decoded)) {
    expect(accepted, `the codec accepts what the schema refuses: ${JSON.stringify(json)}`).toBe(true)
    return
  }
  if (!accepted) return
  const issues = decoded.left.issues ?? []
  expect(issues.length).toBeGreaterThan(0)
  for (const issue of issues) {
    expect(
      explainedBy(json, issue, relaxations),
      `the schema accepts what the codec refuses at ${issue.path} (${issue.message}), unexplained: ${JSON.stringify(json)}`,
    ).toBeDefined()
  }
}

// ── mutations ────────────────────────────────────────────────────────────────────────────────────

/** Every path to a value inside `json`, the root excluded. */
const pathsOf = (json: Json, prefix: ReadonlyArray<string> = []): string[][] => {
  if (json === null || typeof json !== 'object') return []
  const entries = Array.isArray(json)
    ? json.map((value, index) => [String(index), value] as const)
    : Object.entries(json)
  return entries.flatMap(([key, value]) => [[...prefix, key], ...pathsOf(value, [...prefix, key])])
}

const replacementArb: fc.Arbitrary<Json | undefined> = fc.oneof(
  fc.constantFrom<Json | undefined>(
    null,
    0,
    -1,
    1.5,
    true,
    '',
    ' ',
    'x',
    'Z',
    'A',
    'C1',
    'registry',
    'long-term',
    [],
    {},
    ['A', 'B'],
    ['C1', 'C1'],
    'x'.repeat(129),
    'x'.repeat(128),
    '𠮷'.repeat(65),
    '𠮷'.repeat(129),
    '11010519491231002x',
    '2026-02-29',
    '2024-02-29',
    '2026-10-01T09:00+08:00',
    '2026-10-01T24:00:00Z',
    '5B0C3F8E-8A55-4C4B-9D7E-0F6B1C2D3E4F',
    'urn:uuid:5b0c3f8e-8a55-4c4b-9d7e-0f6b1c2d3e4f',
  ),
  wrongCheckLicenceNumberArb,
  impossibleDateArb,
  offsetlessInstantArb,
  fc.string({ maxLength: 20 }),
)

type Mutation =
  | { readonly kind: 'replace'; readonly at: number; readonly value: Json | undefined }
  | { readonly kind: 'add-property'; readonly at: number; readonly name: string }
  | { readonly kind: 'repeat-member'; readonly at: number }

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: replacementArb }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('replace' as const),
      at: fc.nat(),
      value: fc.constant(undefined),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('add-property' as const),
      at: fc.nat(),
      name: fc.constantFrom('extra', 'note'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeat-member' as const), at: fc.nat() }) },
)

const mutate = (original: unknown, mutation: Mutation): Json => {
  const json = clone(original)
  const paths = pathsOf(json)
  const path = paths[mutation.at % Math.max(paths.length, 1)] ?? []
  const parent = path
    .slice(0, -1)
    .reduce<Json>((node, key) => (node as Record<string, Json>)[key] as Json, json)
  const key = path[path.length - 1]
  if (key === undefined || parent === null || typeof parent !== 'object') return json
  const target = parent as Record<string, Json>
  switch (mutation.kind) {
    case 'replace':
      if (mutation.value === undefined) {
        if (Array.isArray(parent)) parent.splice(Number(key), 1)
        else delete target[key]
      } else target[key] = mutation.value
      return json
    case 'add-property': {
      const node = target[key]
      if (node !== null && typeof node === 'object' && !Array.isArray(node)) node[mutation.name] = 'x'
      return json
    }
    case 'repeat-member': {
      const node = target[key]
      if (Array.isArray(node) && node.length > 0) node.push(node[0] as Json)
      return json
    }
  }
}

const commandsArb = historyArb({ maxSteps: 12 }).map((history) =>
  history.entries.map((entry) => entry.command),
)
const eventsArb = historyArb({ maxSteps: 12 }).map((history) =>
  history.events.map((event) => ({ type: event.type, data: event.data })),
)

const recordLicence = {
  type: 'RecordLicence',
  data: {
    licenceNumber: '11010519491231002X',
    holder: { accountId: 'acct-1', name: '张三' },
    classes: ['C1'],
    validFrom: '2020-01-01',
    validUntil: '2030-01-01',
    authority: { code: '粤A', name: '广东省广州市公安局交通警察支队' },
    statuses: ['A'],
    photoOnFile: true,
  },
  metadata: {
    commandId: '5b0c3f8e-8a55-4c4b-9d7e-0f6b1c2d3e4f',
    at: '2026-10-01T09:00:00+08:00',
    actor: { role: 'registry', id: 'registry-1' },
  },
}

describe('the command schemas, derived from the codecs', () => {
  const derived = derivedValidator(LicenceCommand, 'input')
  const documented = componentValidator('Command')
  const none: Relaxations = { transportMetadata: false }
  const transport: Relaxations = { transportMetadata: true }

  it('has one branch per command type, discriminated by type', () => {
    const command = openApiDocument.components.schemas.Command
    expect(command.oneOf.map((branch) => branch.$ref.split('/').pop())).toEqual(Object.keys(commandCodecs))
    expect(command.discriminator.propertyName).toBe('type')
  })

  it('accepts every command of a generated history, as the codecs do', () => {
    fc.assert(
      fc.property(commandsArb, (commands) => {
        for (const command of commands) {
          expect(E.isRight(parseCommand(command))).toBe(true)
          expect(derived(command)).toBe(true)
          expect(documented(command)).toBe(true)
        }
      }),
      { numRuns: 60 },
    )
  })

  it('agrees with the codecs on invalid commands, but for the documented exceptions', () => {
    fc.assert(
      fc.property(invalidCommandArb, ({ json }) => {
        checkCommand(derived, json, none)
        checkCommand(documented, json, transport)
      }),
      { numRuns: 300 },
    )
  })

  it('agrees with the codecs on mutated commands of every type, but for the documented exceptions', () => {
    fc.assert(
      fc.property(commandsArb, fc.nat(), mutationArb, (commands, pick, mutation) => {
        const command = commands[pick % commands.length]
        const json = mutate(command, mutation)
        checkCommand(derived, json, none)
        checkCommand(documented, json, transport)
      }),
      { numRuns: 1500 },
    )
  })

  it('each documented exception is real: the schema accepts it, the codec does not', () => {
    const record = recordLicence as { data: Record<string, Json> }
    const cases: Array<[string, Json]> = [
      ['check character', { ...record, data: { ...record.data, licenceNumber: '110105194912310021' } }],
      [
        'validity order',
        { ...record, data: { ...record.data, validFrom: '2020-01-02', validUntil: '2020-01-01' } },
      ],
      [
        'validity order',
        { ...record, data: { ...record.data, validFrom: '1949-12-30', validUntil: '2020-01-01' } },
      ],
      ['check character', { ...record, data: { ...record.data, licenceNumber: '110105194913310021' } }],
      [
        'lone surrogate',
        { ...record, data: { ...record.data, holder: { accountId: 'acct-\ud800', name: '张三' } } },
      ],
    ]
    for (const [exception, json] of cases) {
      expect(derived(json), exception).toBe(true)
      const decoded = parseCommand(json)
      expect(E.isLeft(decoded), exception).toBe(true)
      if (E.isLeft(decoded))
        for (const issue of decoded.left.issues ?? []) expect(explainedBy(json, issue, none)).toBe(exception)
    }
  })

  it('lets the transport fill in metadata.at and metadata.actor, and nothing else', () => {
    const command = recordLicence
    const { at: _at, actor: _actor, ...metadata } = command.metadata
    expect(documented({ ...command, metadata })).toBe(true)
    expect(derived({ ...command, metadata })).toBe(false)
    expect(documented({ ...command, metadata: {} })).toBe(false)
  })
})

describe('the event schemas, derived from the codecs', () => {
  const derived = derivedValidator(LicenceEvent, 'output')

  it('has one stored-event component per event type, discriminated by type', () => {
    const stored = openApiDocument.components.schemas.StoredEvent
    expect(stored.oneOf.map((branch) => branch.$ref.split('/').pop())).toEqual(Object.keys(eventCodecs))
  })

  it('accepts every event a generated history decides', () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        for (const event of events) expect(derived(event), JSON.stringify(event)).toBe(true)
      }),
      { numRuns: 60 },
    )
  })

  it('accepts only what the codecs decode, and what they decode without dropping anything', () => {
    fc.assert(
      fc.property(eventsArb, fc.nat(), mutationArb, (events, pick, mutation) => {
        const event = events[pick % Math.max(events.length, 1)]
        if (event === undefined) return
        const json = mutate(event, mutation)
        const decoded = decodeEvent(json as { type: unknown; data: unknown })
        const accepted = derived(json)
        // A closed object refuses a property the codec would drop: the schema says what the server writes.
        if (E.isRight(decoded) && mutation.kind !== 'add-property')
          expect(accepted, JSON.stringify(json)).toBe(true)
        if (accepted && E.isLeft(decoded)) {
          const licenceNumber = valueAt(json, 'data.licenceNumber')
          const explained =
            (typeof licenceNumber === 'string' && !isCitizenIdNumber(licenceNumber)) ||
            pathsOf(json).some((path) => hasLoneSurrogate(valueAt(json, path.join('.')))) ||
            /is before validFrom|holder's date of birth/.test(String(decoded.left))
          expect(explained, `the schema accepts what the codec refuses: ${decoded.left}`).toBe(true)
        }
      }),
      { numRuns: 1000 },
    )
  })
})

describe('the view and stored-event schemas, derived from the codecs', () => {
  const storedEvent = componentValidator('StoredEvent')
  const view = componentValidator('ELicenceView')
  const verification = componentValidator('Verification')
  const queueEntry = componentValidator('ReviewQueueEntry')

  it('accept every stored event, view, verification and queue entry of a generated history, closed as they are', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyScriptArbitrary({ maxLicences: 2 }),
        fc.integer({ min: -400, max: 4000 }),
        async (script, days) => {
          const { events } = await runHistoryScript(script)
          for (const event of events) expect(storedEvent(clone(event)), JSON.stringify(event)).toBe(true)
          const decoded = decodeHistory(events)
          for (const streamId of new Set(decoded.map((event) => event.streamId))) {
            const folded = foldView(
              eLicenceView,
              decoded.filter((event) => event.streamId === streamId),
            )
            if (folded === null) continue
            expect(ViewCodec.is(folded)).toBe(true)
            expect(view(clone(folded)), JSON.stringify(folded)).toBe(true)
            // A property the server does not write is one the document does not have.
            expect(view({ ...(clone(folded) as object), extra: 1 })).toBe(false)
            const at = new Date(Date.parse(folded.updatedAt) + days * 86_400_000).toISOString()
            expect(verification(clone(verifyAt(folded, at)))).toBe(true)
            const entry = reviewQueueEntryOf(folded)
            if (entry !== null) expect(queueEntry(clone(entry)), JSON.stringify(entry)).toBe(true)
          }
          expect(verification(clone(verifyAt(null, '2026-10-01T09:00:00+08:00')))).toBe(true)
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('the Error schema', () => {
  const error = componentValidator('Error')
  const body = (code: string) => ({ error: { code, message: 'refused' } })

  it('lists every code the handler and the transport can answer with, and no other', () => {
    fc.assert(fc.property(fc.constantFrom(...errorCodes), (code) => error(body(code))))
    fc.assert(
      fc.property(
        fc.string().filter((code) => !(errorCodes as ReadonlyArray<string>).includes(code)),
        (code) => !error(body(code)),
      ),
    )
  })
})

describe('HEAD in the document', () => {
  it('has every GET’s statuses and headers, without a body', () => {
    const paths = openApiDocument.paths as Record<
      string,
      Record<string, { responses: Record<string, object> }>
    >
    const heads = Object.values(paths).filter((item) => item.get !== undefined)
    expect(heads.length).toBeGreaterThan(0)
    for (const item of heads) {
      const { get, head } = item as Record<
        'get' | 'head',
        { responses: Record<string, { headers?: object }> }
      >
      expect(Object.keys(head.responses)).toEqual(Object.keys(get.responses))
      for (const [status, answer] of Object.entries(get.responses)) {
        expect(head.responses[status]).not.toHaveProperty('content')
        expect(head.responses[status]?.headers).toEqual(answer.headers)
      }
    }
  })
})
