import { randomUUID } from 'node:crypto'
import type { EventMetadataDraft, EventStore, NewEvent } from '@elicence/domain'
import { eventStoreConformance } from '@elicence/domain/testing'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { eventStoreDbEventStore } from './eventstoredb-event-store.js'

// Runs only against a server named by EVENTSTORE_URL (e.g. esdb://localhost:2113?tls=false). There
// is none on our machines, so in our CI this whole file is skipped: it is not evidence that the
// adapter works, only the way to get that evidence where a server exists.
const url = process.env.EVENTSTORE_URL ?? ''

describe.skipIf(url === '')('EventStoreDB at EVENTSTORE_URL (skipped when unset; not run in our CI)', () => {
  // Each case gets its own namespace on the shared server: the "fresh, empty storage" the suite asks for.
  const namespaces = new Map<EventStore, string>()
  const openIn = (namespace: string): EventStore => {
    const store = eventStoreDbEventStore({ connectionString: url, namespace, streamPrefix: '' })
    namespaces.set(store, namespace)
    return store
  }
  eventStoreConformance('eventstoredb', {
    open: async () => openIn(`conformance-${randomUUID()}-`),
    reopen: async (closed) => openIn(namespaces.get(closed) ?? `conformance-${randomUUID()}-`),
  })

  it('readAll keeps licence streams only, by default', async () => {
    const namespace = `prefix-${randomUUID()}-`
    const all = eventStoreDbEventStore({ connectionString: url, namespace, streamPrefix: '' })
    const licences = eventStoreDbEventStore({ connectionString: url, namespace })
    const event = (type: string): NewEvent => ({
      type,
      data: {},
      metadata: {
        eventId: randomUUID(),
        commandId: randomUUID(),
        commandHash: 'c'.repeat(64),
        // Branded in the domain; no decision is made on these events.
        actor: { role: 'system', id: 'esdb-test' } as EventMetadataDraft['actor'],
        at: '2026-03-02T09:00:00+08:00',
        recordedAt: '2026-03-02T01:00:00.000Z',
        schemaVersion: 2,
        rulesVersion: 'test',
      },
    })
    const appended = [
      await all.appendToStream('other-1', 'no-stream', [event('Other')]),
      await all.appendToStream('licence-11010519491231002X', 'no-stream', [event('Licence')]),
    ]
    expect(appended.every(E.isRight)).toBe(true)
    const read = await licences.readAll({ after: 0, limit: 10 })
    expect(E.isRight(read) && read.right.events.map((stored) => stored.streamId)).toEqual([
      'licence-11010519491231002X',
    ])
    await all.close()
    await licences.close()
  })
})
