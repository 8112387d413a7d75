/**
 * Draft events for this package's integration tests, shaped as the command handler makes them; the
 * tests exercise the store, so the events need not be licence events. Not part of the build.
 *
 * @example
 * await store.appendToStream('licence-a', 'no-stream', [draftEvent('Opened', { n: 1 })])
 */
import { randomUUID } from 'node:crypto'
import type { EventMetadataDraft, NewEvent } from '@elicence/domain'

// Branded in the domain; a literal is fine here because no decision is made on these events.
const testActor = { role: 'system', id: 'postgres-test' } as EventMetadataDraft['actor']

export const draftEvent = (type: string, data: unknown): NewEvent => ({
  type,
  data,
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
