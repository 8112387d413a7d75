import { randomUUID } from 'node:crypto'
import type { EventMetadataDraft, EventStore, NewEvent } from '@elicence/domain'
import { eventStoreConformance } from '@elicence/domain/testing'
import {
  ANY,
  type AppendExpectedRevision,
  type EventData,
  type EventStoreDBClient,
  NO_STREAM,
  type Position,
  type RecordedEvent,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { eventStoreDbEventStore } from './eventstoredb-event-store.js'

// The adapter's own logic (sealing, revisions and conflicts, paging $all by position, filtering,
// namespaces) run through the conformance suite against a small model of an EventStoreDB server,
// using the client's real error classes. It is a model, written from the client's types and the
// server's documented behaviour: it checks this adapter's logic, not EventStoreDB itself. That
// needs a real server: see eventstoredb-event-store.int.test.ts (EVENTSTORE_URL).

interface LogRecord {
  readonly streamId: string
  readonly revision: bigint
  readonly id: string
  readonly type: string
  readonly data: string
  readonly metadata: string
  /** Byte offset in the log: commit and prepare position alike, as for any gRPC append. */
  readonly offset: bigint
}

/** Lets other calls run in between, as the network would. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

const isAtOrAfter = (offset: bigint, from: Position) =>
  offset > from.commit || (offset === from.commit && offset >= from.prepare)

/** What a read returns: an async iterable of resolved events that can be cancelled. */
const streamingRead = <A>(produce: (cancelled: () => boolean) => AsyncGenerator<A>) => {
  let cancelled = false
  const events = produce(() => cancelled)
  return {
    [Symbol.asyncIterator]: () => events,
    cancel: async () => {
      cancelled = true
    },
  }
}

const serverModel = (): EventStoreDBClient => {
  const log: LogRecord[] = []
  const streams = new Map<string, LogRecord[]>()
  // A real log does not start at zero, and offsets grow by each record's size.
  let offset = 8192n

  const write = (streamId: string, id: string, type: string, data: string, metadata: string) => {
    const stream = streams.get(streamId) ?? []
    const record = { streamId, revision: BigInt(stream.length), id, type, data, metadata, offset }
    offset += BigInt(96 + data.length + metadata.length)
    log.push(record)
    streams.set(streamId, [...stream, record])
  }

  const recorded = (record: LogRecord) =>
    ({
      streamId: record.streamId,
      id: record.id,
      isJson: true,
      revision: record.revision,
      type: record.type,
      created: new Date(0),
      data: JSON.parse(record.data),
      metadata: JSON.parse(record.metadata),
      position: { commit: record.offset, prepare: record.offset },
    }) as RecordedEvent

  const allows = (expected: AppendExpectedRevision, current: number) =>
    expected === ANY ||
    (expected === NO_STREAM
      ? current === -1
      : expected === 'stream_exists'
        ? current >= 0
        : BigInt(current) === expected)

  const client = {
    appendToStream: async (
      streamName: string,
      given: EventData | EventData[],
      options: { readonly expectedRevision?: AppendExpectedRevision } = {},
    ) => {
      await tick()
      const events = Array.isArray(given) ? given : [given]
      const current = (streams.get(streamName)?.length ?? 0) - 1
      const expected = options.expectedRevision ?? ANY
      if (!allows(expected, current)) {
        throw new WrongExpectedVersionError(undefined, {
          streamName,
          expected,
          current: current === -1 ? NO_STREAM : BigInt(current),
        })
      }
      // Other writers' traffic lands in $all between appends: server statistics, another application.
      write('$stats-127.0.0.1:2113', randomUUID(), '$statsCollected', '{}', '{}')
      write('orders-1', randomUUID(), 'OrderPlaced', '{}', '{}')
      for (const event of events)
        write(streamName, event.id, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata))
      const last = log[log.length - 1]
      return {
        success: true,
        nextExpectedRevision: BigInt(current + events.length),
        ...(last === undefined ? {} : { position: { commit: last.offset, prepare: last.offset } }),
      }
    },

    readStream: (
      streamName: string,
      options: {
        readonly direction?: string
        readonly fromRevision?: bigint | 'start' | 'end'
        readonly maxCount?: number | bigint
      } = {},
    ) =>
      streamingRead(async function* (cancelled) {
        await tick()
        const stream = streams.get(streamName)
        if (stream === undefined) throw new StreamNotFoundError(undefined, streamName)
        const backwards = options.direction === 'backwards'
        const from = options.fromRevision ?? (backwards ? 'end' : 'start')
        const ordered = backwards ? [...stream].reverse() : stream
        const selected = ordered.filter((record) =>
          typeof from === 'bigint' ? (backwards ? record.revision <= from : record.revision >= from) : true,
        )
        for (const record of selected.slice(0, Number(options.maxCount ?? Number.MAX_SAFE_INTEGER))) {
          if (cancelled()) return
          yield { event: recorded(record), commitPosition: record.offset }
        }
      }),

    readAll: (options: { readonly fromPosition?: Position | 'start' | 'end' } = {}) =>
      streamingRead(async function* (cancelled) {
        const from = options.fromPosition ?? 'start'
        // Live: records appended while the read runs are seen too, as on a server.
        for (let index = 0; index < log.length; index++) {
          await tick()
          const record = log[index]
          if (cancelled() || record === undefined) return
          if (from === 'end' || (from !== 'start' && !isAtOrAfter(record.offset, from))) continue
          yield { event: recorded(record), commitPosition: record.offset }
        }
      }),

    dispose: async () => undefined,
  }
  return client as unknown as EventStoreDBClient
}

const servers = new Map<EventStore, EventStoreDBClient>()
const openOn = (server: EventStoreDBClient, namespace: string): EventStore => {
  const store = eventStoreDbEventStore({ client: server, namespace, streamPrefix: '' })
  servers.set(store, server)
  return store
}

eventStoreConformance('eventstoredb adapter on a model of the server', {
  open: async () => openOn(serverModel(), 'conformance-'),
  reopen: async (closed) => openOn(servers.get(closed) ?? serverModel(), 'conformance-'),
})

const testActor = { role: 'system', id: 'model-test' } as EventMetadataDraft['actor']
const draft = (type: string): NewEvent => ({
  type,
  data: {},
  metadata: {
    eventId: randomUUID(),
    commandId: randomUUID(),
    commandHash: 'c'.repeat(64),
    actor: testActor,
    at: '2026-03-02T09:00:00+08:00',
    recordedAt: '2026-03-02T01:00:00.000Z',
    schemaVersion: 2,
    rulesVersion: 'test',
  },
})

describe('eventStoreDbEventStore on a model of the server', () => {
  it('readAll keeps licence streams of its own namespace only, by default', async () => {
    const server = serverModel()
    const mine = eventStoreDbEventStore({ client: server, namespace: 'a-' })
    const neighbour = eventStoreDbEventStore({ client: server, namespace: 'b-' })
    const appended = [
      await mine.appendToStream('licence-11010519491231002X', 'no-stream', [draft('Mine')]),
      await mine.appendToStream('notes-1', 'no-stream', [draft('NotALicence')]),
      await neighbour.appendToStream('licence-11010519491231002X', 'no-stream', [draft('Theirs')]),
    ]
    expect(appended.every(E.isRight)).toBe(true)
    const read = await mine.readAll({ after: 0, limit: 10 })
    expect(E.isRight(read) && read.right.events.map((event) => [event.streamId, event.type])).toEqual([
      ['licence-11010519491231002X', 'Mine'],
    ])
  })

  it('maps a conflict the server reports to concurrency-conflict with the actual version', async () => {
    const store = eventStoreDbEventStore({ client: serverModel() })
    expect(E.isRight(await store.appendToStream('licence-c', 'no-stream', [draft('A')]))).toBe(true)
    // Both read the head at version 0; the server refuses the second revision-0 append.
    const [first, second] = await Promise.all([
      store.appendToStream('licence-c', 0, [draft('B')]),
      store.appendToStream('licence-c', 0, [draft('C')]),
    ])
    const lost = [first, second].filter(E.isLeft)
    expect(lost).toHaveLength(1)
    expect(lost[0]?.left).toMatchObject({ code: 'concurrency-conflict', expected: 0, actual: 1 })
  })
})
