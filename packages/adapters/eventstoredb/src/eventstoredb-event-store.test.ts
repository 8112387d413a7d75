import { isCorruptEvent, isStoreFailure, type StoreError } from '@elicence/domain'
import type { RecordedEvent } from '@eventstore/db-client'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { eventStoreDbClient, eventStoreDbEventStore, storedEventOf } from './eventstoredb-event-store.js'
import { globalPositionOf, readPositionAfter } from './positions.js'

// What can be checked without an EventStoreDB server: position mapping, connection strings, the
// mapping of recorded events, and failures reported as values.

const draft = { type: 'Noted', data: { n: 1 }, metadata: { eventId: 'e-1', hash: 'a'.repeat(64) } }

const recorded = (overrides: Partial<Record<keyof RecordedEvent, unknown>> = {}): RecordedEvent =>
  ({
    streamId: 'ns-licence-11010519491231002X',
    id: '5a1e0b1c-0d2e-4f3a-8b4c-5d6e7f8a9b0c',
    isJson: true,
    revision: 3n,
    type: draft.type,
    created: new Date('2026-03-02T01:00:00Z'),
    data: draft.data,
    metadata: draft.metadata,
    position: { commit: 4096n, prepare: 4096n },
    ...overrides,
  }) as RecordedEvent

const failureOf = <A>(result: E.Either<StoreError, A>): StoreError => {
  if (E.isRight(result)) throw new Error('expected a failure')
  return result.left
}

describe('$all positions', () => {
  it('numbers an event by its commit position plus one and resumes a read exactly there', () => {
    expect(globalPositionOf({ commit: 4096n, prepare: 4096n })).toEqual(E.right(4097))
    expect(readPositionAfter(4097)).toEqual({ commit: 4096n, prepare: 4096n })
    expect(readPositionAfter(0)).toBe('start')
  })

  it('round-trips every position that fits a safe integer, keeping their order', () => {
    const offset = fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) - 1n })
    fc.assert(
      fc.property(offset, offset, (a, b) => {
        const first = globalPositionOf({ commit: a, prepare: a })
        const second = globalPositionOf({ commit: b, prepare: b })
        if (E.isLeft(first) || E.isLeft(second)) return false
        expect(readPositionAfter(first.right)).toEqual({ commit: a, prepare: a })
        expect(Math.sign(first.right - second.right)).toBe(a === b ? 0 : a < b ? -1 : 1)
        return first.right >= 1
      }),
    )
  })

  it('refuses positions of explicit transactions and positions beyond safe integers', () => {
    expect(E.isLeft(globalPositionOf({ commit: 100n, prepare: 180n }))).toBe(true)
    const beyond = BigInt(Number.MAX_SAFE_INTEGER)
    expect(E.isLeft(globalPositionOf({ commit: beyond, prepare: beyond }))).toBe(true)
  })
})

describe('recorded events', () => {
  it('become stored events under the store’s stream id, with version and position', () => {
    expect(storedEventOf(recorded(), 'licence-11010519491231002X')).toEqual(
      E.right({
        streamId: 'licence-11010519491231002X',
        version: 3,
        position: 4097,
        type: draft.type,
        data: draft.data,
        metadata: draft.metadata,
      }),
    )
  })

  it('that are not JSON or carry no JSON metadata are corrupt, named by stream and version', () => {
    for (const bad of [recorded({ isJson: false }), recorded({ metadata: new Uint8Array([1]) })]) {
      const failure = failureOf(storedEventOf(bad, 'licence-x'))
      expect(isCorruptEvent(failure)).toBe(true)
      expect(failure).toMatchObject({ streamId: 'licence-x', version: 3 })
    }
  })

  it('without a position (servers before 22.6) or from an explicit transaction are a store failure', () => {
    for (const bad of [
      recorded({ position: undefined }),
      recorded({ position: { commit: 1n, prepare: 2n } }),
    ]) {
      expect(isStoreFailure(failureOf(storedEventOf(bad, 'licence-x')))).toBe(true)
    }
  })
})

describe('eventStoreDbEventStore without a server', () => {
  it('refuses a malformed connection string as a value, on every call', async () => {
    expect(E.isLeft(eventStoreDbClient('http://localhost:2113'))).toBe(true)
    const store = eventStoreDbEventStore({ connectionString: 'postgres://localhost' })
    const results: ReadonlyArray<E.Either<StoreError, unknown>> = [
      await store.readStream('licence-x'),
      await store.appendToStream('licence-x', 'any', []),
      await store.readAll({ after: 0, limit: 1 }),
    ]
    for (const result of results) {
      const failure = failureOf(result)
      expect(isStoreFailure(failure)).toBe(true)
      expect(failure.message).toMatch(/connection string/)
    }
    await store.close()
  })

  it('accepts the client’s connection strings without connecting', async () => {
    for (const url of [
      'esdb://localhost:2113?tls=false',
      'esdb+discover://admin:changeit@cluster.example:2113',
    ]) {
      const client = eventStoreDbClient(url)
      expect(E.isRight(client)).toBe(true)
      if (E.isRight(client)) await client.right.dispose()
    }
  })

  it('reports an unreachable server, bad readAll options and a closed store as store failures', async () => {
    const store = eventStoreDbEventStore({
      connectionString: 'esdb://127.0.0.1:1?tls=false&defaultDeadline=5000',
    })
    expect(isStoreFailure(failureOf(await store.readStream('licence-x')))).toBe(true)
    expect(isStoreFailure(failureOf(await store.readAll({ after: -1, limit: 10 })))).toBe(true)
    expect(isStoreFailure(failureOf(await store.readAll({ after: 0, limit: 1.5 })))).toBe(true)
    await store.close()
    expect(failureOf(await store.readAll({ after: 0, limit: 10 })).message).toMatch(/closed/)
    await store.close()
  })
})
