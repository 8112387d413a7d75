import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { verifyChain } from '../integrity/hash-chain.js'
import { sha256Hex } from '../integrity/sha256.js'
import { eventStoreConformance } from '../testing/conformance.js'
import { newEvent, succeeded } from '../testing/conformance-context.js'
import { inMemoryEventStore } from './in-memory.js'
import { isStoreFailure, type StoredEvent } from './port.js'

// Memory has no storage to reopen or edit in place, so the restart and tampering cases do not apply.
eventStoreConformance('in-memory', { open: async () => inMemoryEventStore() })

const frozenThroughout = (value: unknown): boolean =>
  typeof value !== 'object' ||
  value === null ||
  (Object.isFrozen(value) && Object.values(value).every(frozenThroughout))

describe('the in-memory store beyond the port', () => {
  it('seals with the digest it is given and offers it to the handler', async () => {
    const hashed: string[] = []
    const digest = (text: string) => {
      hashed.push(text)
      return sha256Hex(text)
    }
    const store = inMemoryEventStore({ digest })
    expect(store.digest).toBe(digest)
    const { events } = succeeded(
      await store.appendToStream('stream-d', 'no-stream', [newEvent('A', { n: 1 })]),
    )
    expect(hashed).toHaveLength(1)
    expect(verifyChain(events, sha256Hex)).toEqual([])
    expect(inMemoryEventStore().digest).toBe(sha256Hex)
  })

  it('hands out events frozen at every level, and arrays of its own that a reader may change', async () => {
    const store = inMemoryEventStore()
    const appended = succeeded(
      await store.appendToStream('stream-f', 'no-stream', [newEvent('A', { list: [{ n: 1 }] })]),
    )
    const read = succeeded(await store.readStream('stream-f'))
    const all = succeeded(await store.readAll({ after: 0, limit: 10 }))
    for (const event of [...appended.events, ...read.events, ...all.events]) {
      expect(frozenThroughout(event)).toBe(true)
    }
    ;(read.events as StoredEvent[]).length = 0
    ;(all.events as StoredEvent[]).push(appended.events[0] as StoredEvent)
    expect(succeeded(await store.readStream('stream-f')).events).toHaveLength(1)
    expect(succeeded(await store.readAll({ after: 0, limit: 10 })).events).toHaveLength(1)
  })

  it('keeps what was hashed: the stored data is its JSON form, and the chain verifies from it', async () => {
    const store = inMemoryEventStore()
    const data = { kept: 1, gone: undefined, zero: -0, at: new Date(0) }
    const [event] = succeeded(
      await store.appendToStream('stream-j', 'no-stream', [newEvent('A', data)]),
    ).events
    expect(event?.data).toStrictEqual({ kept: 1, zero: 0, at: {} })
    expect(verifyChain(succeeded(await store.readStream('stream-j')).events, sha256Hex)).toEqual([])
  })

  it('refuses an event with no JSON form (a function) by either way in, and appends nothing', async () => {
    const store = inMemoryEventStore()
    const broken = newEvent('Broken', { call: () => 1 })
    const appended = await store.appendToStream('stream-x', 'no-stream', [newEvent('A', {}), broken])
    expect(E.isLeft(appended) && isStoreFailure(appended.left)).toBe(true)
    const decided = await store.decideAndAppend?.({
      streamId: 'stream-x',
      after: -1,
      commandId: crypto.randomUUID(),
      decide: () => E.right([broken]),
    })
    expect(decided !== undefined && E.isLeft(decided) && isStoreFailure(decided.left)).toBe(true)
    expect(succeeded(await store.readStream('stream-x')).version).toBe(-1)
    expect(succeeded(await store.readAll({ after: 0, limit: 10 })).events).toEqual([])
  })
})
