/**
 * What the conformance cases share: the context each registers with, draft events that need not be
 * licence events, and the checks every case makes of what a store returns (a success or a failure
 * as a value, a sound stream, a whole log read page by page).
 *
 * @example
 * const appended = succeeded(await store.appendToStream('stream-a', 'no-stream', [newEvent('Opened', {})]))
 */
import * as E from 'fp-ts/lib/Either.js'
import { expect } from 'vitest'
import { genesisHash, verifyChain } from '../integrity/hash-chain.js'
import type { EventMetadataDraft, EventStore, NewEvent, StoredEvent, StoreError } from '../store/port.js'

export interface TamperTarget {
  readonly streamId: string
  readonly version: number
  /** The new stored `data`, written as is, without touching `hash`. */
  readonly data: unknown
}

/**
 * What every case gets: `open`/`reopen` that remember the stores they made, so a failing case
 * never leaks an open database into the next one.
 */
export interface ConformanceContext {
  readonly open: () => Promise<EventStore>
  readonly reopen: ((closed: EventStore) => Promise<EventStore>) | undefined
  readonly tamper: ((store: EventStore, target: TamperTarget) => Promise<void>) | undefined
}

const conformanceActor = { role: 'system', id: 'conformance' } as EventMetadataDraft['actor']

/** A draft event as the handler would make it; the suite's events need not be licence events. */
export const newEvent = (
  type: string,
  data: unknown,
  overrides: Partial<EventMetadataDraft> = {},
): NewEvent => ({
  type,
  data,
  metadata: {
    eventId: crypto.randomUUID(),
    commandId: crypto.randomUUID(),
    commandHash: 'c'.repeat(64),
    actor: conformanceActor,
    at: '2026-03-02T09:00:00+08:00',
    recordedAt: '2026-03-02T01:00:00.123Z',
    schemaVersion: 2,
    rulesVersion: 'conformance',
    ...overrides,
  },
})

export const succeeded = <A>(result: E.Either<StoreError, A>): A => {
  if (E.isLeft(result)) throw new Error(`expected success, got ${result.left.code}: ${result.left.message}`)
  return result.right
}

export const failed = <A>(result: E.Either<StoreError, A>): StoreError => {
  if (E.isRight(result)) throw new Error('expected a failure, the store reported success')
  return result.left
}

export const eventIds = (events: ReadonlyArray<{ readonly metadata: { readonly eventId: string } }>) =>
  events.map((event) => event.metadata.eventId)

/** Pages through the whole log; every page must respect `limit` and report its last position. */
export const readWholeLog = async (store: EventStore, limit: number): Promise<StoredEvent[]> => {
  const events: StoredEvent[] = []
  let after = 0
  for (;;) {
    const page = succeeded(await store.readAll({ after, limit }))
    expect(page.events.length).toBeLessThanOrEqual(limit)
    if (page.events.length === 0) {
      expect(page.lastPosition).toBe(after)
      return events
    }
    expect(page.lastPosition).toBe(page.events[page.events.length - 1]?.position)
    // Every event of a page comes after `after`: a store that reads `after` as inclusive would hand
    // the same page back for ever (and, its promises resolved at once, starve the test's timeout).
    for (const event of page.events)
      expect(event.position, 'readAll returned an event at or before `after`').toBeGreaterThan(after)
    events.push(...page.events)
    after = page.lastPosition
  }
}

export const expectIncreasingPositions = (events: ReadonlyArray<StoredEvent>): void => {
  let previous = 0
  for (const event of events) {
    expect(Number.isSafeInteger(event.position)).toBe(true)
    expect(event.position).toBeGreaterThan(previous)
    previous = event.position
  }
}

/** The stream's versions run 0, 1, 2, … and its hash chain is unbroken from the genesis hash. */
export const expectSoundStream = (events: ReadonlyArray<StoredEvent>): void => {
  expect(events.map((event) => event.version)).toEqual(events.map((_, index) => index))
  expect(events[0]?.metadata.prevHash).toBe(genesisHash)
  expect(verifyChain(events)).toEqual([])
}
