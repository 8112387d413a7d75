// The chain verifier from a given head (DESIGN §4): a reader that keeps each stream's head — the
// version and hash it has verified — checks the rest of the stream exactly as a verifier that reads
// the stream from its start would, and a head that is not the stream's is caught on the next event.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { EventMetadataDraft, NewEvent } from '../store/port.js'
import { canonicalJson } from './canonical-json.js'
import {
  type ChainHead,
  genesisHash,
  headAfter,
  type SealedEvent,
  sealEvents,
  sealEventsWithData,
  streamStart,
  verifyChain,
} from './hash-chain.js'
import { hashInput } from './hash-input.js'
import { sha256Hex } from './sha256.js'

const metadata: EventMetadataDraft = {
  eventId: 'event',
  commandId: '00000000-0000-4000-8000-000000000001',
  commandHash: 'a'.repeat(64),
  actor: { role: 'registry', id: 'registry-1' } as EventMetadataDraft['actor'],
  at: '2026-10-01T10:00:00+08:00',
  recordedAt: '2026-10-01T02:00:00.000Z',
  schemaVersion: 2,
  rulesVersion: 'test',
}

const streamArb = fc
  .array(fc.jsonValue(), { minLength: 1, maxLength: 8 })
  .map(
    (data): ReadonlyArray<NewEvent> =>
      data.map((each, index) => ({ type: `E${index}`, data: each, metadata })),
  )

const sealed = (events: ReadonlyArray<NewEvent>): ReadonlyArray<SealedEvent> =>
  sealEvents({ streamId: 'licence-s', firstVersion: 0, prevHash: genesisHash, events }, sha256Hex)

/** The head after the first `k` events: the stream's start for none. */
const headAt = (events: ReadonlyArray<SealedEvent>, k: number): ChainHead => {
  const last = events[k - 1]
  return last === undefined ? streamStart : headAfter(last)
}

describe('verifyChain from a given head', () => {
  it('checks the rest of a stream as a check from its start does', async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.nat(), async (stream, cut) => {
        const events = await sealed(stream)
        const k = cut % (events.length + 1)
        expect(await verifyChain(events)).toEqual([])
        expect(await verifyChain(events.slice(k), sha256Hex, headAt(events, k))).toEqual([])
      }),
      { numRuns: 50 },
    )
  })
  it('finds an edit after the head, at the edited event', async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.nat(), fc.nat(), async (stream, cut, at) => {
        const events = await sealed(stream)
        const k = cut % events.length
        const edited = k + (at % (events.length - k))
        const tampered = events.map((event, index) =>
          index === edited ? { ...event, data: { edited: event.data } } : event,
        )
        const breaks = await verifyChain(tampered.slice(k), sha256Hex, headAt(events, k))
        expect(breaks.map((found) => [found.version, found.reason])).toEqual([[edited, 'hash-mismatch']])
      }),
      { numRuns: 50 },
    )
  })
  it('refuses a head that is not the stream’s: a wrong version or hash breaks the next event', async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.nat(), async (stream, cut) => {
        const events = await sealed(stream)
        const k = cut % events.length
        const head = headAt(events, k)
        const rest = events.slice(k)
        const wrongHash = await verifyChain(rest, sha256Hex, { ...head, hash: 'f'.repeat(64) })
        expect(wrongHash.map((found) => [found.version, found.reason])).toEqual([[k, 'prev-hash-mismatch']])
        const wrongVersion = await verifyChain(rest, sha256Hex, {
          ...head,
          version: head.version + 1,
        })
        expect(wrongVersion.map((found) => [found.version, found.reason])).toEqual([[k, 'version-gap']])
      }),
      { numRuns: 50 },
    )
  })
})

describe('sealEventsWithData', () => {
  // The port's members (each string with escapes and lone surrogates now and then), sometimes a
  // member more, an old `hash` (a re-appended event) or an undefined one: the fast path and every
  // way off it.
  const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }))
  const metadataArb = fc.record(
    {
      eventId: text,
      commandId: text,
      actor: fc.record({ role: fc.constantFrom('registry', 'holder'), id: text }),
      at: text,
      commandHash: fc.constant(metadata.commandHash),
      recordedAt: fc.constant(metadata.recordedAt),
      schemaVersion: fc.oneof(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true })),
      rulesVersion: text,
      extra: fc.option(fc.jsonValue(), { nil: undefined }),
      hash: text,
    },
    {
      requiredKeys: [
        'eventId',
        'commandId',
        'commandHash',
        'actor',
        'at',
        'recordedAt',
        'schemaVersion',
        'rulesVersion',
      ],
    },
  ) as unknown as fc.Arbitrary<EventMetadataDraft>
  const eventArb = fc.record({
    type: fc.string(),
    data: fc.option(fc.jsonValue(), { nil: undefined }),
    metadata: metadataArb,
  }) as fc.Arbitrary<NewEvent>

  it('hashes exactly as hashInput and sealEvents do, and keeps the data and metadata as canonical JSON', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.nat(1000),
        fc.array(eventArb, { maxLength: 5 }),
        (streamId, first, events) => {
          const input = { streamId, firstVersion: first, prevHash: genesisHash, events }
          const withData = sealEventsWithData(input, sha256Hex)
          expect(withData.map((each) => each.event)).toEqual(sealEvents(input, sha256Hex))
          withData.forEach(({ event, dataJson, metadataJson }, index) => {
            const { hash, ...draft } = event.metadata
            // The caller's members (an old `hash` aside), the link to the event before, its own hash.
            const { hash: _old, ...given } = (events[index] as NewEvent).metadata as EventMetadataDraft & {
              hash?: unknown
            }
            const prevHash = index === 0 ? genesisHash : withData[index - 1]?.event.metadata.hash
            expect(event.metadata).toEqual({ ...given, prevHash, hash })
            expect(hash).toBe(sha256Hex(hashInput(streamId, first + index, event.type, event.data, draft)))
            expect(dataJson).toBe(event.data === undefined ? undefined : canonicalJson(event.data))
            expect(metadataJson).toBe(canonicalJson(event.metadata))
          })
        },
      ),
      { numRuns: 200 },
    )
  })
})
