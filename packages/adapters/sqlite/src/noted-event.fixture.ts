/**
 * An event of no lifecycle for the store's own tests: the port stores and seals any type, and these
 * tests are about rows, files and locks, not about licences. Each call has fresh ids.
 *
 * @example
 * await store.appendToStream('stream-a', 'no-stream', [notedEvent({ n: 1 })])
 */
import { randomUUID } from 'node:crypto'
import type { NewEvent } from '@elicence/domain'

export const notedEvent = (data: Readonly<Record<string, unknown>>): NewEvent => ({
  type: 'Noted',
  data,
  metadata: {
    eventId: randomUUID(),
    commandId: randomUUID(),
    commandHash: 'c'.repeat(64),
    actor: { role: 'system', id: 'test' } as NewEvent['metadata']['actor'],
    at: '2026-03-02T09:00:00+08:00',
    recordedAt: '2026-03-02T01:00:00.000Z',
    schemaVersion: 2,
    rulesVersion: 'test',
  },
})
