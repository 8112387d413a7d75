import { canonicalJson, hashInput, type StoredEvent, sealBreak, sealEvents } from '@elicence/domain'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nodeSha256Hex } from '../node/sha256.js'
import { historyScriptArbitrary } from '../testing/histories.js'
import { runHistoryScript } from '../testing/run-history.js'
import { inCanonicalOrder, sealedText, sealHolds } from './seal-check.js'

const digest = nodeSha256Hex

/** `hashInput` of an event, as `sealBreak` computes it. */
const domainText = (event: StoredEvent): string => {
  const { hash: _, ...draft } = event.metadata
  return hashInput(event.streamId, event.version, event.type, event.data, draft)
}

/** An object with the same members in the order `order` puts them. */
const reordered = (
  record: Record<string, unknown>,
  order: ReadonlyArray<number>,
): Record<string, unknown> => {
  const entries = Object.entries(record)
  const sorted = entries
    .map((entry, index) => [order[index % Math.max(1, order.length)] ?? index, entry] as const)
    .sort((a, b) => a[0] - b[0])
  return Object.fromEntries(sorted.map(([, entry]) => entry))
}

const anyKey = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('0', '1', '2', '10', '9', '__proto__', 'a', 'B', 'é', '\ud800'),
)
/** JSON values with any keys, in any member order, and a few values that are not JSON at all. */
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
    // As JSON.parse gives it: the members sorted, as a store writing canonical JSON has them.
    fc.dictionary(anyKey, tie('value'), { maxKeys: 5 }).map((record) => {
      try {
        return JSON.parse(canonicalJson(record))
      } catch {
        return record
      }
    }),
  ),
})).value

const text = fc.string({ unit: 'binary', maxLength: 12 })
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/)

const storedEvent = fc
  .record({
    streamId: text,
    version: fc.oneof(fc.nat(), fc.constant(-0)),
    type: text,
    data: value,
    metadata: fc.record({
      eventId: text,
      commandId: text,
      commandHash: hex64,
      actor: fc.oneof(
        fc.record({ role: text, id: text }),
        fc.record({ role: text, id: text }).map((actor) => Object.assign([], actor)),
        fc.record({ role: text, id: text }).map((actor) => Object.assign(Object.create({ more: 1 }), actor)),
        fc.dictionary(anyKey, value, { maxKeys: 3 }),
        value,
      ),
      at: text,
      recordedAt: text,
      schemaVersion: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(1.5)),
      rulesVersion: text,
      prevHash: hex64,
      hash: hex64,
    }),
    order: fc.array(fc.nat(), { maxLength: 12 }),
    extra: fc.option(fc.tuple(anyKey, value), { nil: undefined }),
    sealed: fc.boolean(),
  })
  .map(({ order, extra, sealed, ...event }) => {
    const metadata = reordered(
      extra === undefined ? event.metadata : { ...event.metadata, [`x${extra[0]}`]: extra[1] },
      order,
    )
    const stored = { ...event, position: 1, metadata } as unknown as StoredEvent
    if (!sealed) return stored
    // Half the events with their true hash, where there is one.
    try {
      return { ...stored, metadata: { ...metadata, hash: digest(domainText(stored)) } } as StoredEvent
    } catch {
      return stored
    }
  })

describe("the auditor's seal check", () => {
  it('writes exactly the text hashInput writes, or leaves it to sealBreak', () => {
    fc.assert(
      fc.property(storedEvent, (event) => {
        let expected: string | undefined
        try {
          expected = domainText(event)
        } catch {
          expected = undefined
        }
        let written: string | undefined
        try {
          written = sealedText(event)
        } catch {
          written = undefined
        }
        if (written !== undefined) expect(written).toBe(expected)
      }),
      { numRuns: 2000 },
    )
  })

  it('holds only where sealBreak finds no break, and where it does not hold sealBreak has the last word', () => {
    let held = 0
    fc.assert(
      fc.property(storedEvent, (event) => {
        const broken = sealBreak(event, digest)
        if (sealHolds(event, digest)) {
          held++
          expect(broken).toBeUndefined()
        }
        // The auditor's check, as audit.ts runs it: the same answer as sealBreak alone, always.
        expect(sealHolds(event, digest) ? undefined : sealBreak(event, digest)).toEqual(broken)
      }),
      { numRuns: 2000 },
    )
    // Not vacuous: many of the sealed events take the fast path.
    expect(held).toBeGreaterThan(20)
  })

  it('takes the fast path for every event of a history as a store reads it back, and finds an edit', async () => {
    await fc.assert(
      fc.asyncProperty(historyScriptArbitrary({ maxLicences: 3, maxSteps: 20 }), async (script) => {
        const { events } = await runHistoryScript(script)
        // The SQLite store's rows: data in canonical JSON, metadata as JSON.stringify wrote it.
        const read = events.map(
          (event): StoredEvent => ({
            ...event,
            data: JSON.parse(canonicalJson(event.data)),
            metadata: JSON.parse(JSON.stringify(event.metadata)),
          }),
        )
        for (const event of read) {
          expect(sealedText(event)).toBe(domainText(event))
          expect(sealHolds(event, digest)).toBe(true)
          const edited = { ...event, data: { ...(event.data as object), edited: true } }
          expect(sealHolds(edited, digest)).toBe(false)
          const resealedElsewhere = { ...event, version: event.version + 1 }
          expect(sealHolds(resealedElsewhere, digest)).toBe(false)
        }
      }),
      { numRuns: 20 },
    )
  })

  it('agrees with sealEvents on what it sealed', () => {
    const [event] = sealEvents(
      {
        streamId: 'licence-x',
        firstVersion: 0,
        prevHash: '0'.repeat(64),
        events: [
          {
            type: 'T',
            data: { b: [1, { d: 'é', c: null }], a: '\u2028' },
            metadata: {
              eventId: 'e',
              commandId: 'c',
              commandHash: '1'.repeat(64),
              actor: { role: 'holder', id: 'h' } as StoredEvent['metadata']['actor'],
              at: '2026-01-01T00:00:00Z',
              recordedAt: '2026-01-01T00:00:00Z',
              schemaVersion: 2,
              rulesVersion: 'r',
            },
          },
        ],
      },
      digest,
    )
    expect(sealHolds({ ...(event as NonNullable<typeof event>), position: 1 }, digest)).toBe(true)
  })
})

describe('inCanonicalOrder', () => {
  it('is true only where JSON.stringify writes RFC 8785', () => {
    fc.assert(
      fc.property(value, (candidate) => {
        if (inCanonicalOrder(candidate)) expect(JSON.stringify(candidate)).toBe(canonicalJson(candidate))
      }),
      { numRuns: 2000 },
    )
    expect(inCanonicalOrder(JSON.parse('{"a":1,"b":{"c":[1,"x",null,true]}}'))).toBe(true)
    expect(inCanonicalOrder({ b: 1, a: 2 })).toBe(false)
    expect(inCanonicalOrder({ 10: 1, 9: 2 })).toBe(false)
    expect(inCanonicalOrder([1, undefined])).toBe(false)
    expect(inCanonicalOrder({ a: Number.POSITIVE_INFINITY })).toBe(false)
  })
})
