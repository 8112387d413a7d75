// `hashInput` and `sealBreak` write the hashed text straight for metadata of the port's members
// (hash-chain.ts, `sealedText`): held here to the definition — RFC 8785 of {streamId, version, type,
// data, metadata without hash}, `canonicalJson` of the whole — over random events, edited ones
// (members more or less, in any order, of other types, inherited, undefined) and events as a store
// reads them back.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { EventMetadataDraft, StoredEvent } from '../store/port.js'
import { canonicalJson } from './canonical-json.js'
import { genesisHash, sealBreak, sealEvents } from './hash-chain.js'
import { hashInput, sealedText } from './hash-input.js'
import { sha256Hex } from './sha256.js'

const digest = sha256Hex

/** The definition: the metadata without `hash`, and the whole in RFC 8785. */
const definedText = (event: Pick<StoredEvent, 'streamId' | 'version' | 'type' | 'data' | 'metadata'>) => {
  const { hash: _, ...draft } = event.metadata
  return canonicalJson({
    streamId: event.streamId,
    version: event.version,
    type: event.type,
    data: event.data,
    metadata: draft,
  })
}

const attempt = (write: () => string): string | { readonly threw: true } => {
  try {
    return write()
  } catch {
    return { threw: true }
  }
}

/** An object with the same members in the order `order` puts them. */
const reordered = (
  record: Record<string, unknown>,
  order: ReadonlyArray<number>,
): Record<string, unknown> => {
  const sorted = Object.entries(record)
    .map((entry, index) => [order[index % Math.max(1, order.length)] ?? index, entry] as const)
    .sort((a, b) => a[0] - b[0])
  return Object.fromEntries(sorted.map(([, entry]) => entry))
}

const anyKey = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('0', '1', '10', '__proto__', 'a', 'é', '\ud800', 'hash', 'at', 'actor'),
)
/** JSON values with any keys, and a few values that have no RFC 8785 form. */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(-0, undefined, Number.NaN, new Date(0)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(anyKey, tie('value'), { maxKeys: 5 }),
  ),
})).value

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('"', '\\', '\n', '\u2028', '\udc00'),
)
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/)
const fieldValue = fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: value })

const metadataArb = fc.record({
  eventId: fieldValue,
  commandId: fieldValue,
  commandHash: fc.oneof(hex64, value),
  actor: fc.oneof(
    fc.record({ role: text, id: text }),
    fc.record({ role: text, id: text }).map((actor) => Object.assign([], actor)),
    fc.dictionary(anyKey, value, { maxKeys: 3 }),
    value,
  ),
  at: fieldValue,
  recordedAt: fieldValue,
  schemaVersion: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom(1.5, -0, Number.NaN), value),
  rulesVersion: fieldValue,
  prevHash: fc.oneof(hex64, value),
  hash: hex64,
})

/** A stored event, sometimes edited: a member dropped, one added, one inherited, in any order. */
const storedEvent = fc
  .record({
    streamId: fc.oneof({ weight: 8, arbitrary: text }, { weight: 1, arbitrary: value }),
    version: fc.oneof({ weight: 8, arbitrary: fc.nat() }, { weight: 1, arbitrary: value }),
    type: fc.oneof({ weight: 8, arbitrary: text }, { weight: 1, arbitrary: value }),
    data: value,
    metadata: metadataArb,
    order: fc.array(fc.nat(), { maxLength: 12 }),
    edit: fc.oneof(
      { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
      fc.record({ kind: fc.constant('drop' as const), field: fc.constantFrom(...Object.keys(metadataArb)) }),
      fc.record({ kind: fc.constant('add' as const), key: anyKey, value }),
      fc.record({ kind: fc.constant('inherit' as const), field: fc.constantFrom('at', 'actor', 'hash') }),
    ),
  })
  .map(({ order, edit, metadata, ...event }) => {
    let edited: Record<string, unknown> = { ...metadata }
    if (edit.kind === 'drop') delete edited[edit.field]
    if (edit.kind === 'add') edited[edit.key] = edit.value
    edited = reordered(edited, order)
    if (edit.kind === 'inherit') {
      const { [edit.field]: inherited, ...own } = edited
      edited = Object.assign(Object.create({ [edit.field]: inherited }), own)
    }
    return { ...event, position: 1, metadata: edited } as unknown as StoredEvent
  })

const draftArb: fc.Arbitrary<EventMetadataDraft> = fc.record({
  eventId: text,
  commandId: text,
  commandHash: hex64,
  actor: fc.record({ role: text, id: text }) as fc.Arbitrary<EventMetadataDraft['actor']>,
  at: text,
  recordedAt: text,
  schemaVersion: fc.integer({ min: 1, max: 3 }),
  rulesVersion: text,
})

describe('the hashed text of an event', () => {
  it('is written straight exactly as canonicalJson writes the whole, or left to canonicalJson', () => {
    let straight = 0
    fc.assert(
      fc.property(storedEvent, (event) => {
        const { streamId, version, type, data, metadata } = event
        const written = attempt(() => sealedText(streamId, version, type, data, metadata, true) ?? '')
        if (typeof written === 'string' && written !== '') {
          straight++
          expect(written).toBe(definedText(event))
        }
        // hashInput (the metadata as given, `hash` and all) is canonicalJson of the whole, or both throw.
        expect(attempt(() => hashInput(streamId, version, type, data, metadata))).toEqual(
          attempt(() => canonicalJson({ streamId, version, type, data, metadata })),
        )
      }),
      { numRuns: 3000 },
    )
    // Not vacuous: many events take the straight path.
    expect(straight).toBeGreaterThan(100)
  })

  it('gives sealBreak the answer of the definition, for any event', () => {
    fc.assert(
      fc.property(storedEvent, fc.boolean(), (event, sealed) => {
        // sealBreak names the event by its stream and version in its message: the port's types.
        fc.pre(typeof event.streamId === 'string' && typeof event.version === 'number')
        const defined = attempt(() => definedText(event))
        const candidate =
          sealed && typeof defined === 'string'
            ? {
                ...event,
                metadata: Object.assign(
                  Object.create(Object.getPrototypeOf(event.metadata)),
                  event.metadata,
                  { hash: digest(defined) },
                ),
              }
            : event
        const expected = attempt(() => digest(definedText(candidate)))
        const broken = sealBreak(candidate, digest)
        expect(broken === undefined).toBe(
          typeof expected === 'string' && expected === candidate.metadata.hash,
        )
        if (broken !== undefined) expect(broken.reason).toBe('hash-mismatch')
      }),
      { numRuns: 3000 },
    )
  })

  it('is written straight for every event sealEvents sealed, read back as a store gives it, and finds an edit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, fc.jsonValue(), draftArb), { minLength: 1, maxLength: 6 }),
        (drafts) => {
          const sealed = sealEvents(
            {
              streamId: 'licence-s',
              firstVersion: 0,
              prevHash: genesisHash,
              events: drafts.map(([type, data, metadata]) => ({ type, data, metadata })),
            },
            digest,
          )
          for (const event of sealed) {
            // The SQLite store's row: data in canonical JSON, metadata as JSON.stringify wrote it.
            const read = {
              ...event,
              data: JSON.parse(canonicalJson(event.data)),
              metadata: JSON.parse(JSON.stringify(event.metadata)),
            }
            const { streamId, version, type, data, metadata } = read
            expect(sealedText(streamId, version, type, data, metadata, true)).toBe(definedText(read))
            expect(sealBreak(read, digest)).toBeUndefined()
            expect(sealBreak({ ...read, data: { edited: read.data } }, digest)?.reason).toBe('hash-mismatch')
            expect(sealBreak({ ...read, version: read.version + 1 }, digest)?.reason).toBe('hash-mismatch')
            expect(
              sealBreak({ ...read, metadata: { ...read.metadata, at: `${read.metadata.at} ` } }, digest)
                ?.reason,
            ).toBe('hash-mismatch')
          }
        },
      ),
      { numRuns: 200 },
    )
  })
})
