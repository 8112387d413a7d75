/**
 * The EventStore conformance suite (DESIGN §4): one set of vitest cases every store runs, so the
 * in-memory, SQLite, PostgreSQL and EventStoreDB stores keep the same promises — round trip,
 * expected versions, all-or-none appends, one winner under concurrency, global order and paging,
 * the hash chain, the command handler's idempotency (after a restart too), corrupt events, a
 * polling reader that never misses nor repeats an event while writers commit, and, for stores that
 * offer them, deciding under the write lock, reading by partition and reading a stream after a
 * version (the cases are reported as skipped for the others).
 *
 * Call it at the top level of a test file; it registers one `describe` block. Each case opens its
 * own store on fresh storage, and the suite closes whatever a case left open.
 *
 * @example
 * // packages/adapters/sqlite/src/sqlite-store.int.test.ts
 * const dir = mkdtempSync(join(tmpdir(), 'elicence-sqlite-'))
 * const paths = new Map<EventStore, string>()
 * const storeAt = (path: string) => {
 *   const store = sqliteEventStore({ path })
 *   paths.set(store, path)
 *   return store
 * }
 * eventStoreConformance('sqlite', {
 *   open: async () => storeAt(join(dir, `${randomUUID()}.db`)),
 *   reopen: async (closed) => storeAt(paths.get(closed) as string),
 *   cleanup: async () => rmSync(dir, { recursive: true, force: true }),
 * })
 */
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { genesisHash, verifyChain } from '../integrity/hash-chain.js'
import { hashInput } from '../integrity/hash-input.js'
import { type EventStore, isConcurrencyConflict, isStoreFailure, type StoredEvent } from '../store/port.js'
import { registerConcurrencyCases } from './conformance-concurrency.js'
import {
  type ConformanceContext,
  eventIds,
  expectIncreasingPositions,
  expectSoundStream,
  failed,
  newEvent,
  readWholeLog,
  succeeded,
  type TamperTarget,
} from './conformance-context.js'
import { registerDecideCases } from './conformance-decide.js'
import { registerHandlerCases } from './conformance-handler.js'
import { registerPartitionCases } from './conformance-partitions.js'
import { registerStreamAfterCases } from './conformance-stream-after.js'

export type { TamperTarget } from './conformance-context.js'

export interface EventStoreHarness {
  /** A store on fresh, empty storage. Called by every case, a few times by some. */
  readonly open: () => Promise<EventStore>
  /**
   * A new store on the storage of `closed`, which the suite has just closed: a process restart.
   * A store without durable storage leaves it out, and the restart cases are then not registered.
   */
  readonly reopen?: (closed: EventStore) => Promise<EventStore>
  /**
   * Overwrites one stored event's `data` behind the store's back, as a bad migration or an attacker
   * would, so the suite can show the hash chain catches it. Stores that cannot edit in place leave it out.
   */
  readonly tamper?: (store: EventStore, target: TamperTarget) => Promise<void>
  /** Runs once after all cases: removes files, stops servers. */
  readonly cleanup?: () => Promise<void>
}

export const eventStoreConformance = (name: string, harness: EventStoreHarness): void => {
  describe(`EventStore conformance: ${name}`, () => {
    const opened: EventStore[] = []
    const remember = (store: EventStore): EventStore => {
      opened.push(store)
      return store
    }
    const { reopen } = harness
    const context: ConformanceContext = {
      open: async () => remember(await harness.open()),
      reopen: reopen === undefined ? undefined : async (closed) => remember(await reopen(closed)),
      tamper: harness.tamper,
    }

    afterEach(async () => {
      // close() must be harmless on a store a case already closed (a case below checks it).
      for (const store of opened.splice(0)) await store.close()
    })
    afterAll(async () => {
      await harness.cleanup?.()
    })

    registerRoundTripCases(context)
    registerExpectedVersionCases(context)
    registerOrderCases(context)
    registerConcurrencyCases(context)
    registerDecideCases(context)
    registerHandlerCases(context)
    registerPartitionCases(context)
    registerStreamAfterCases(context)
  })
}

// The data every store must give back unchanged: non-ASCII text, escapes, numbers at JSON's edges.
const richData = {
  authority: { code: '粤A', name: '广东省广州市公安局交通警察支队' },
  text: 'quote " backslash \\ newline \n tab \t emoji 🚗 separator \u2028',
  numbers: [0, -1, 0.1, 1e-7, 2 ** 53 - 1, -2.5e30],
  flags: [true, false, null],
  nested: { empty: {}, list: [], deep: { deeper: ['a', { b: 'c' }] } },
}

// ── round trip ──────────────────────────────────────────────────────────────────────────────────────

const registerRoundTripCases = ({ open, reopen, tamper }: ConformanceContext): void => {
  it('reads a stream that was never written as empty at version -1', async () => {
    const store = await open()
    expect(succeeded(await store.readStream('licence-none'))).toEqual({ events: [], version: -1 })
    expect(succeeded(await store.readAll({ after: 0, limit: 10 }))).toEqual({ events: [], lastPosition: 0 })
  })

  it('reads back type, data, metadata and the hash chain; versions count from 0, positions increase', async () => {
    const store = await open()
    const first = [newEvent('Opened', richData), newEvent('Noted', { n: 1 })]
    const second = [newEvent('Noted', { n: 2 })]
    const appendedFirst = succeeded(await store.appendToStream('stream-a', 'no-stream', first))
    const appendedSecond = succeeded(await store.appendToStream('stream-a', 1, second))
    expect(appendedFirst.version).toBe(1)
    expect(appendedSecond.version).toBe(2)

    const read = succeeded(await store.readStream('stream-a'))
    expect(read.version).toBe(2)
    // What an append returns is exactly what is stored.
    expect(read.events).toEqual([...appendedFirst.events, ...appendedSecond.events])
    ;[...first, ...second].forEach((draft, index) => {
      const stored = read.events[index]
      expect(stored).toBeDefined()
      if (stored === undefined) return
      const { prevHash, hash, ...rest } = stored.metadata
      expect({ streamId: stored.streamId, type: stored.type, data: stored.data, metadata: rest }).toEqual({
        streamId: 'stream-a',
        type: draft.type,
        data: draft.data,
        metadata: draft.metadata,
      })
      expect(prevHash).toBe(index === 0 ? genesisHash : read.events[index - 1]?.metadata.hash)
      expect(hash).toMatch(/^[0-9a-f]{64}$/)
    })
    expectIncreasingPositions(read.events)
    expectSoundStream(read.events)
  })

  it('offers, if a digest at all, SHA-256 as lowercase hex (the handler hashes commands with it)', async () => {
    const store = await open()
    if (store.digest === undefined) return
    // FIPS 180-2's test vectors, and text beyond ASCII, hashed as its UTF-8.
    expect(store.digest('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(store.digest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    const text = JSON.stringify(richData)
    const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
    expect(store.digest(text)).toBe(Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(''))
  })

  it('hashes exactly {streamId, version, type, data, metadata without hash}, as SHA-256 of RFC 8785 JSON', async () => {
    const store = await open()
    succeeded(await store.appendToStream('stream-h', 'no-stream', [newEvent('Opened', richData)]))
    const [stored] = succeeded(await store.readStream('stream-h')).events
    expect(stored).toBeDefined()
    if (stored === undefined) return
    const { hash, ...draft } = stored.metadata
    // Recomputed with Web Crypto, an implementation of SHA-256 that neither the stores nor we wrote.
    const text = hashInput(stored.streamId, stored.version, stored.type, stored.data, draft)
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
    expect(hash).toBe(Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join(''))
    // The hash covers the data: the same event with other data no longer verifies.
    const edited = { ...stored, data: { ...richData, text: 'edited' } }
    expect(verifyChain([edited]).map((found) => found.reason)).toEqual(['hash-mismatch'])
  })

  it('re-appends events read from another store (an import) into a chain with the same hashes', async () => {
    const source = await open()
    succeeded(
      await source.appendToStream('stream-i', 'no-stream', [newEvent('A', richData), newEvent('B', {})]),
    )
    const exported = succeeded(await source.readStream('stream-i')).events
    const target = await open()
    // The stored events go in as they are, their old prevHash and hash still in their metadata.
    const imported = succeeded(await target.appendToStream('stream-i', 'no-stream', exported))
    expect(imported.events.map((event) => event.metadata)).toEqual(exported.map((event) => event.metadata))
    expectSoundStream(succeeded(await target.readStream('stream-i')).events)
  })

  it('keeps streams apart: each counts its own versions and chains its own hashes', async () => {
    const store = await open()
    succeeded(await store.appendToStream('stream-x', 'no-stream', [newEvent('A', {}), newEvent('B', {})]))
    succeeded(await store.appendToStream('stream-y', 'no-stream', [newEvent('C', {})]))
    succeeded(await store.appendToStream('stream-x', 1, [newEvent('D', {})]))
    const x = succeeded(await store.readStream('stream-x'))
    const y = succeeded(await store.readStream('stream-y'))
    expect(x.events.map((event) => event.type)).toEqual(['A', 'B', 'D'])
    expect(y.events.map((event) => event.type)).toEqual(['C'])
    expect(y.version).toBe(0)
    expectSoundStream(x.events)
    expectSoundStream(y.events)
  })

  it('keeps what was appended even when the caller later changes its objects or what it read', async () => {
    const store = await open()
    const data = { n: 1, list: ['a'] }
    const event = newEvent('A', data)
    succeeded(await store.appendToStream('stream-m', 'no-stream', [event]))
    data.n = 2
    data.list.push('b')
    const [read] = succeeded(await store.readStream('stream-m')).events
    try {
      ;(read?.data as { n: number }).n = 3
    } catch {
      // A store may hand out frozen events; refusing the change is as good as ignoring it.
    }
    const [again] = succeeded(await store.readStream('stream-m')).events
    expect(again?.data).toEqual({ n: 1, list: ['a'] })
    expectSoundStream(succeeded(await store.readStream('stream-m')).events)
  })

  it('after close(), reports store failures as values, and a second close() is harmless', async () => {
    const store = await open()
    succeeded(await store.appendToStream('stream-c', 'no-stream', [newEvent('A', {})]))
    await store.close()
    expect(isStoreFailure(failed(await store.readStream('stream-c')))).toBe(true)
    expect(isStoreFailure(failed(await store.appendToStream('stream-c', 'any', [newEvent('B', {})])))).toBe(
      true,
    )
    expect(isStoreFailure(failed(await store.readAll({ after: 0, limit: 10 })))).toBe(true)
    await store.close()
  })

  it.skipIf(reopen === undefined)(
    'after a restart, reads the same streams and log, and appends continue the chain',
    async () => {
      const store = await open()
      succeeded(
        await store.appendToStream('stream-r', 'no-stream', [newEvent('A', richData), newEvent('B', {})]),
      )
      succeeded(await store.appendToStream('stream-s', 'no-stream', [newEvent('C', {})]))
      const before = await readWholeLog(store, 100)
      await store.close()

      const reopened = await (reopen as NonNullable<typeof reopen>)(store)
      expect(await readWholeLog(reopened, 100)).toEqual(before)
      const conflict = failed(await reopened.appendToStream('stream-r', 'no-stream', [newEvent('X', {})]))
      expect(isConcurrencyConflict(conflict)).toBe(true)
      const next = succeeded(await reopened.appendToStream('stream-r', 1, [newEvent('D', {})]))
      expect(next.version).toBe(2)
      expect(next.events[0]?.position).toBeGreaterThan(before[before.length - 1]?.position ?? 0)
      expectSoundStream(succeeded(await reopened.readStream('stream-r')).events)
    },
  )

  it.skipIf(tamper === undefined)(
    'an event edited behind the store is caught: verifyChain flags it, or the read refuses it',
    async () => {
      const store = await open()
      succeeded(
        await store.appendToStream('stream-t', 'no-stream', [newEvent('A', { n: 1 }), newEvent('B', {})]),
      )
      await (tamper as NonNullable<typeof tamper>)(store, {
        streamId: 'stream-t',
        version: 0,
        data: { n: 2 },
      })
      const read = await store.readStream('stream-t')
      if (E.isLeft(read)) {
        expect(read.left).toMatchObject({ code: 'corrupt-event', streamId: 'stream-t', version: 0 })
        return
      }
      const breaks = verifyChain(read.right.events)
      expect(breaks.map((found) => [found.version, found.reason])).toEqual([[0, 'hash-mismatch']])
    },
  )
}

// ── expected versions and atomic appends ───────────────────────────────────────────────────────────

const registerExpectedVersionCases = ({ open }: ConformanceContext): void => {
  it('no-stream: appends to a new stream, conflicts on an existing one and appends nothing', async () => {
    const store = await open()
    const first = newEvent('A', {})
    succeeded(await store.appendToStream('stream-n', 'no-stream', [first]))
    const conflict = failed(await store.appendToStream('stream-n', 'no-stream', [newEvent('B', {})]))
    expect(isConcurrencyConflict(conflict)).toBe(true)
    expect(conflict).toMatchObject({ streamId: 'stream-n', expected: 'no-stream', actual: 0 })
    expect(eventIds(succeeded(await store.readStream('stream-n')).events)).toEqual([first.metadata.eventId])
  })

  it('an exact version: appends when it is the last version; conflicts when stale, ahead or the stream is new', async () => {
    const store = await open()
    const onNew = failed(await store.appendToStream('stream-e', 0, [newEvent('A', {})]))
    expect(onNew).toMatchObject({
      code: 'concurrency-conflict',
      streamId: 'stream-e',
      expected: 0,
      actual: -1,
    })
    succeeded(await store.appendToStream('stream-e', 'no-stream', [newEvent('A', {}), newEvent('B', {})]))
    for (const expected of [0, 2, 5]) {
      const conflict = failed(await store.appendToStream('stream-e', expected, [newEvent('X', {})]))
      expect(isConcurrencyConflict(conflict)).toBe(true)
      expect(conflict).toMatchObject({ streamId: 'stream-e', expected, actual: 1 })
    }
    const appended = succeeded(await store.appendToStream('stream-e', 1, [newEvent('C', {})]))
    expect(appended.version).toBe(2)
    expect(appended.events.map((event) => event.version)).toEqual([2])
    const read = succeeded(await store.readStream('stream-e'))
    expect(read.events.map((event) => event.type)).toEqual(['A', 'B', 'C'])
    expectSoundStream(read.events)
  })

  it('any: appends whether or not the stream exists', async () => {
    const store = await open()
    expect(succeeded(await store.appendToStream('stream-any', 'any', [newEvent('A', {})])).version).toBe(0)
    const second = succeeded(
      await store.appendToStream('stream-any', 'any', [newEvent('B', {}), newEvent('C', {})]),
    )
    expect(second.version).toBe(2)
    expectSoundStream(succeeded(await store.readStream('stream-any')).events)
  })

  it('a batch holding an event that cannot be stored appends none of its events and reports a store failure', async () => {
    const store = await open()
    const kept = newEvent('A', { n: 0 })
    succeeded(await store.appendToStream('stream-b', 'no-stream', [kept]))
    // NaN has no JSON form (RFC 8785 refuses it), so no store can hash or keep this event.
    const batch = [newEvent('B', { n: 1 }), newEvent('Broken', { n: Number.NaN }), newEvent('C', { n: 3 })]
    const failure = failed(await store.appendToStream('stream-b', 0, batch))
    expect(isStoreFailure(failure)).toBe(true)
    expect(succeeded(await store.readStream('stream-b'))).toMatchObject({ version: 0 })
    expect(eventIds(await readWholeLog(store, 10))).toEqual([kept.metadata.eventId])

    const next = succeeded(await store.appendToStream('stream-b', 0, [newEvent('D', {})]))
    expect(next.version).toBe(1)
    expectSoundStream(succeeded(await store.readStream('stream-b')).events)
  })
}

// ── global order and paging ────────────────────────────────────────────────────────────────────────

const registerOrderCases = ({ open }: ConformanceContext): void => {
  it('readAll gives every event once, in the order of the appends, in pages of any size', async () => {
    const store = await open()
    const plan: Array<[string, number]> = [
      ['stream-1', 1],
      ['stream-2', 2],
      ['stream-1', 3],
      ['stream-3', 1],
      ['stream-2', 1],
      ['stream-1', 2],
    ]
    const appended: StoredEvent[] = []
    for (const [streamId, size] of plan) {
      const batch = Array.from({ length: size }, (_, index) => newEvent('Noted', { streamId, index }))
      appended.push(...succeeded(await store.appendToStream(streamId, 'any', batch)).events)
    }

    const whole = succeeded(await store.readAll({ after: 0, limit: 1000 }))
    expect(whole.events).toEqual(appended)
    expect(whole.lastPosition).toBe(appended[appended.length - 1]?.position)
    expectIncreasingPositions(whole.events)
    for (const limit of [1, 2, 3, 7]) expect(await readWholeLog(store, limit)).toEqual(appended)

    const middle = appended[3]?.position ?? 0
    expect(succeeded(await store.readAll({ after: middle, limit: 1000 })).events).toEqual(appended.slice(4))
    const end = whole.lastPosition
    // The optional head: the position of the last event readAll gives, without reading events.
    if (store.headPosition !== undefined) expect(succeeded(await store.headPosition())).toBe(end)
    expect(succeeded(await store.readAll({ after: end, limit: 10 }))).toEqual({
      events: [],
      lastPosition: end,
    })

    // Each stream's events appear in the global order in version order, as readStream has them.
    for (const streamId of ['stream-1', 'stream-2', 'stream-3']) {
      const inLog = whole.events.filter((event) => event.streamId === streamId)
      expect(succeeded(await store.readStream(streamId)).events).toEqual(inLog)
    }
  })
}
