// `decodeStoredEventShape` accepts exactly what its definition does — `StoredEventCodec.is` and no
// member beyond the codec's, at the top and in `metadata` — although it tests the members one by one
// rather than through the codec's `is`: over sound events and events edited a member at a time
// (dropped, undefined, inherited, of another type, one more).
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { genesisHash } from '../integrity/hash-chain.js'
import { jsonSchemaOf } from '../licence/json-schema.js'
import { licenceNumberArb } from '../testing/values.js'
import { decodeStoredEventShape, Sha256Hex, StoredEventCodec } from './stored-event.js'

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const onlyMembersOf = (value: unknown, known: ReadonlyArray<string>): boolean => {
  if (!isRecord(value)) return false
  for (const key in value) if (!known.includes(key)) return false
  return true
}
const topMembers = ['streamId', 'version', 'position', 'type', 'data', 'metadata']
const metadataMembers = Object.keys(StoredEventCodec.props.metadata.props)

/** The definition the fast test must agree with. */
const isStoredEventByDefinition = (value: unknown): boolean =>
  StoredEventCodec.is(value) &&
  onlyMembersOf(value, topMembers) &&
  onlyMembersOf((value as { metadata: unknown }).metadata, metadataMembers)

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/)
const soundEvent = fc.record({
  streamId: licenceNumberArb.map((number) => `licence-${number}`),
  version: fc.nat({ max: 50 }),
  position: fc.integer({ min: 1, max: 10_000 }),
  type: fc.constantFrom('LicenceRecorded', 'ELicenceIssued', 'x'),
  data: fc.jsonValue(),
  metadata: fc.record({
    eventId: fc.uuid(),
    commandId: fc.uuid(),
    commandHash: hex64,
    actor: fc.record({
      role: fc.constantFrom('registry', 'holder', 'system'),
      id: fc.constantFrom('a', 'review-job'),
    }),
    at: fc.constantFrom('2026-03-04T10:48:00.000Z', '2026-03-04T10:48:00+08:00'),
    recordedAt: fc.constant('2026-03-04T10:48:00.000Z'),
    schemaVersion: fc.integer({ min: 1, max: 2 }),
    rulesVersion: fc.constant('2026.11.1'),
    prevHash: fc.constant(genesisHash),
    hash: hex64,
  }),
})

const otherValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.jsonValue(),
  fc.constantFrom(-1, 1.5, 0, '', 'licence-1', 'A'.repeat(64), [], {}),
)

/** One edit of the event or its metadata: a member dropped, made undefined, inherited, replaced or added. */
const editedEvent = fc
  .tuple(
    soundEvent,
    fc.constantFrom('top', 'metadata'),
    fc.constantFrom('drop', 'undefined', 'inherit', 'replace', 'add'),
    fc.nat(),
    otherValue,
    fc.string({ maxLength: 6 }),
  )
  .map(([event, where, edit, pick, value, extra]) => {
    const members = where === 'top' ? topMembers : metadataMembers
    const member = members[pick % members.length] as string
    const target: Record<string, unknown> = where === 'top' ? { ...event } : { ...event.metadata }
    const edited = ((): Record<string, unknown> => {
      switch (edit) {
        case 'drop':
          delete target[member]
          return target
        case 'undefined':
          target[member] = undefined
          return target
        case 'inherit': {
          const { [member]: inherited, ...own } = target
          return Object.assign(Object.create({ [member]: inherited }), own)
        }
        case 'replace':
          target[member] = value
          return target
        case 'add':
          target[extra] = value
          return target
      }
    })()
    return where === 'top' ? edited : { ...event, metadata: edited }
  })

describe('the shape of a stored event', () => {
  it('is the codec and its members, whatever the edit', () => {
    let sound = 0
    fc.assert(
      fc.property(fc.oneof(soundEvent, editedEvent, otherValue), (value) => {
        const expected = isStoredEventByDefinition(value)
        if (expected) sound++
        expect(E.isRight(decodeStoredEventShape(value))).toBe(expected)
      }),
      { numRuns: 3000 },
    )
    expect(sound).toBeGreaterThan(500)
  })
})

describe('Sha256Hex', () => {
  // Nearly a digest: 63 to 65 characters, mostly hex, now and then an upper-case or other character.
  const nearlyHex = fc
    .array(fc.constantFrom(...'0123456789abcdefABCDEFg/:`@G \u0660'), { minLength: 63, maxLength: 65 })
    .map((characters) => characters.join(''))
  it('is the pattern it publishes, /^[0-9a-f]{64}$/', () => {
    const pattern = new RegExp(jsonSchemaOf(Sha256Hex, { side: 'input' }).pattern as string)
    fc.assert(
      fc.property(fc.oneof(nearlyHex, fc.stringMatching(/^[0-9a-f]{64}$/), fc.string()), (text) => {
        expect(Sha256Hex.is(text)).toBe(pattern.test(text))
      }),
      { numRuns: 3000 },
    )
  })
})
