// The one stored-event codec and the one reader of decoded history: what a stored event is (every
// metadata field, lowercase hex hashes, no unknown field), a stream read that refuses a stream whose
// events do not link up, and pages that end only where the store's position stops moving.
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { inMemoryEventStore } from '../store/in-memory.js'
import type { AllRead, EventMetadataDraft, EventStore, StoredEvent } from '../store/port.js'
import { storedEventDecoder } from './decoder.js'
import { readDecodedStream, readDecodedStreamAfter, storedPages } from './reader.js'
import { decodeStoredEventShape } from './stored-event.js'

const licenceNumber = '11010519491231002X'
const streamId = `licence-${licenceNumber}`
const metadata = (n: number): EventMetadataDraft => ({
  eventId: `event-${n}`,
  commandId: `00000000-0000-4000-9000-00000000000${n}`,
  commandHash: 'a'.repeat(64),
  actor: { role: 'registry', id: 'registry-1' } as EventMetadataDraft['actor'],
  at: '2026-09-30T10:00:00+08:00',
  recordedAt: '2026-09-30T02:00:00.000Z',
  schemaVersion: 2,
  rulesVersion: '2026.11.1',
})
const licenceData = {
  licenceNumber,
  holder: { accountId: 'acct-1', name: '张三' },
  classes: ['C1'],
  validFrom: '2020-03-15',
  validUntil: 'long-term',
  authority: { code: '粤A', name: '广东省广州市公安局交通警察支队' },
  statuses: ['A'],
  photoOnFile: true,
}

/** A recorded licence and a status change, as the in-memory store sealed them. */
const sealedStream = async (): Promise<ReadonlyArray<StoredEvent>> => {
  const store = inMemoryEventStore()
  const appended = await store.appendToStream(streamId, 'no-stream', [
    { type: 'LicenceRecorded', data: licenceData, metadata: metadata(1) },
    {
      type: 'LicenceStatusChanged',
      data: { statuses: ['B'], previous: ['A'], changedAt: '2026-09-30T10:00:00+08:00' },
      metadata: metadata(2),
    },
  ])
  if (E.isLeft(appended)) throw new Error(appended.left.message)
  return appended.right.events
}

/** A store that answers `readStream` with these events, as a store with a tampered file would. */
const storeReading = (events: ReadonlyArray<StoredEvent>): Pick<EventStore, 'readStream'> => ({
  readStream: async () => E.right({ events, version: events[events.length - 1]?.version ?? -1 }),
})

describe('the stored-event codec', () => {
  it('accepts what a store sealed', async () => {
    for (const event of await sealedStream()) expect(decodeStoredEventShape(event)).toEqual(E.right(event))
  })
  it('names every problem by path: an unknown field, an upper-case hash, a stream of no licence', async () => {
    const [event] = await sealedStream()
    const broken = {
      ...event,
      streamId: 'licence-123',
      extra: 1,
      metadata: { ...event?.metadata, hash: 'A'.repeat(64), note: 'x' },
    }
    const decoded = decodeStoredEventShape(broken)
    expect(E.isLeft(decoded) && decoded.left.map((issue) => issue.path)).toEqual([
      'streamId',
      'metadata.hash',
      'extra',
      'metadata.note',
    ])
  })
})

describe('readDecodedStream', () => {
  it('decodes a stream whose events link up', async () => {
    const read = await readDecodedStream(storeReading(await sealedStream()), streamId)
    expect(E.isRight(read) && read.right.events.map((event) => event.type)).toEqual([
      'LicenceRecorded',
      'LicenceStatusChanged',
    ])
  })
  it('stops at a missing event, naming the version it expected', async () => {
    const [, second] = await sealedStream()
    const read = await readDecodedStream(storeReading([second as StoredEvent]), streamId)
    expect(E.isLeft(read) && read.left).toMatchObject({
      code: 'corrupt-event',
      streamId,
      version: 1,
      message: `event ${streamId}@1: expected version 0`,
    })
  })
  it('stops at an event whose prevHash is not the hash before it', async () => {
    const [first, second] = (await sealedStream()) as [StoredEvent, StoredEvent]
    const relinked = { ...second, metadata: { ...second.metadata, prevHash: 'b'.repeat(64) } }
    const read = await readDecodedStream(storeReading([first, relinked]), streamId)
    expect(E.isLeft(read) && read.left.message).toMatch(/@1: prevHash does not continue/)
  })
  it('stops at an event without the stored-event shape, with its paths', async () => {
    const [first] = (await sealedStream()) as [StoredEvent]
    const unsealed = { ...first, metadata: { ...first.metadata, hash: undefined } }
    const read = await readDecodedStream(
      storeReading([unsealed as unknown as StoredEvent]),
      streamId,
      storedEventDecoder(),
    )
    expect(E.isLeft(read) && read.left).toMatchObject({ code: 'corrupt-event', streamId, version: 0 })
    expect(E.isLeft(read) && read.left.message).toMatch(/metadata\.hash/)
  })
})

/** A store that answers `readStreamAfter` from these events, reporting the hash at `after` as given. */
const storeReadingAfter = (
  events: ReadonlyArray<StoredEvent>,
  hashAt: (after: number) => string | undefined = (after) => events[after]?.metadata.hash,
): Pick<EventStore, 'readStreamAfter'> => ({
  readStreamAfter: async (_streamId, after) =>
    E.right({ version: events.length - 1, hashAt: hashAt(after), events: events.slice(after + 1) }),
})

describe('readDecodedStreamAfter', () => {
  it('decodes what came after the head, its links checked from the head', async () => {
    const [first, second] = (await sealedStream()) as [StoredEvent, StoredEvent]
    const head = { version: 0, hash: first.metadata.hash }
    const read = await readDecodedStreamAfter(storeReadingAfter([first, second]), streamId, head)
    expect(E.isRight(read) && read.right).toMatchObject({
      version: 1,
      events: [{ type: 'LicenceStatusChanged' }],
    })
    const upToDate = await readDecodedStreamAfter(storeReadingAfter([first, second]), streamId, {
      version: 1,
      hash: second.metadata.hash,
    })
    expect(upToDate).toEqual(E.right({ events: [], version: 1 }))
  })
  it('cannot continue a head the stream does not hold, nor on a store without readStreamAfter', async () => {
    const [first, second] = (await sealedStream()) as [StoredEvent, StoredEvent]
    const head = { version: 0, hash: first.metadata.hash }
    const replaced = storeReadingAfter([first, second], () => 'c'.repeat(64))
    expect(await readDecodedStreamAfter(replaced, streamId, head)).toEqual(E.right(undefined))
    const shorter = storeReadingAfter([first])
    expect(
      await readDecodedStreamAfter(shorter, streamId, { version: 1, hash: second.metadata.hash }),
    ).toEqual(E.right(undefined))
    expect(await readDecodedStreamAfter({}, streamId, head)).toEqual(E.right(undefined))
    expect(
      await readDecodedStreamAfter(storeReadingAfter([first, second]), streamId, { version: -1, hash: '' }),
    ).toEqual(E.right(undefined))
  })
  it('stops at a new event that does not link on, or does not decode', async () => {
    const [first, second] = (await sealedStream()) as [StoredEvent, StoredEvent]
    const head = { version: 0, hash: first.metadata.hash }
    const relinked = { ...second, metadata: { ...second.metadata, prevHash: 'b'.repeat(64) } }
    const broken = await readDecodedStreamAfter(storeReadingAfter([first, relinked]), streamId, head)
    expect(E.isLeft(broken) && broken.left.message).toMatch(/@1: prevHash does not continue/)
    const unsealed = {
      ...second,
      metadata: { ...second.metadata, hash: undefined },
    } as unknown as StoredEvent
    const undecodable = await readDecodedStreamAfter(storeReadingAfter([first, unsealed]), streamId, head)
    expect(E.isLeft(undecodable) && undecodable.left).toMatchObject({ code: 'corrupt-event', version: 1 })
  })
  it('hands on what the store failed with', async () => {
    const failing: Pick<EventStore, 'readStreamAfter'> = {
      readStreamAfter: async () => E.left({ code: 'store-failure', message: 'disk gone' }),
    }
    expect(await readDecodedStreamAfter(failing, streamId, { version: 0, hash: 'a'.repeat(64) })).toEqual(
      E.left({ code: 'store-failure', message: 'disk gone' }),
    )
  })
})

describe('storedPages', () => {
  it('reads on past an empty page that moves the position, and stops where it stops moving', async () => {
    const events = await sealedStream()
    const pages: ReadonlyArray<AllRead> = [
      { events: [], lastPosition: 5 },
      { events: events.slice(0, 1), lastPosition: 6 },
      { events: [], lastPosition: 6 },
    ]
    const asked: number[] = []
    const store: Pick<EventStore, 'readAll'> = {
      readAll: async ({ after }) => {
        asked.push(after)
        return E.right(pages[asked.length - 1] ?? { events: [], lastPosition: after })
      },
    }
    const seen: StoredEvent[] = []
    for await (const page of storedPages(store, { pageSize: 10 }))
      if (E.isRight(page)) seen.push(...page.right.events)
    expect(seen).toEqual(events.slice(0, 1))
    expect(asked).toEqual([0, 5, 6])
  })
})
