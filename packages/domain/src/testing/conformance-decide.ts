/**
 * Conformance cases for deciding under the store's write lock (`decideAndAppend`, DESIGN §4
 * "Concurrency"): parallel decisions on one stream all apply, each seeing every one before it; a
 * caller is handed only what came after the version it folded (the whole stream when it folded
 * more than there is); the command's earlier events of that stream and no other; a `Left` appends
 * nothing; a decision that throws or events that cannot be stored append nothing and are reported
 * as a `store-failure`. Stores without the capability report the cases as skipped. Registered by
 * `eventStoreConformance`, not used alone.
 *
 * @example
 * registerDecideCases({ open, reopen, tamper })
 */
import * as E from 'fp-ts/lib/Either.js'
import { expect, it } from 'vitest'
import {
  type AppendResult,
  type DecideAndAppend,
  type DecideAndAppendResult,
  type EventStore,
  isStoreFailure,
  type StreamSince,
} from '../store/port.js'
import {
  type ConformanceContext,
  eventIds,
  expectSoundStream,
  newEvent,
  readWholeLog,
  succeeded,
} from './conformance-context.js'

const parallel = 12

/** The store's `decideAndAppend`, or a skip of the case when the store has none. */
const decider = (store: EventStore, skip: (note?: string) => never): DecideAndAppend => {
  const { decideAndAppend } = store
  if (decideAndAppend === undefined) return skip('the store does not decide under a write lock')
  return decideAndAppend.bind(store)
}

const appendedBy = <R>(result: DecideAndAppendResult<R>): AppendResult => {
  const outcome = succeeded(result)
  if (E.isLeft(outcome)) throw new Error('expected the decision to append, it handed back a Left')
  return outcome.right
}

export const registerDecideCases = ({ open }: ConformanceContext): void => {
  it(`decideAndAppend: ${parallel} parallel decisions on one stream all apply, each after the one before`, async ({
    skip,
  }) => {
    const store = await open()
    const decide = decider(store, skip)
    succeeded(await store.appendToStream('stream-d', 'no-stream', [newEvent('Seed', {})]))
    const outcomes = await Promise.all(
      Array.from({ length: parallel }, (_, writer) =>
        decide({
          streamId: 'stream-d',
          after: -1,
          commandId: crypto.randomUUID(),
          // Each records the version it decided on: under the lock it is the one before its own.
          decide: (since) =>
            E.right([newEvent('Decided', { writer, sawVersion: since.version, saw: since.events.length })]),
        }),
      ),
    )
    for (const outcome of outcomes) appendedBy(outcome)
    const read = succeeded(await store.readStream('stream-d'))
    expect(read.version).toBe(parallel)
    for (const event of read.events.slice(1)) {
      expect(event.data).toMatchObject({ sawVersion: event.version - 1, saw: event.version })
    }
    expect(new Set(read.events.slice(1).map((event) => (event.data as { writer: number }).writer)).size).toBe(
      parallel,
    )
    await expectSoundStream(read.events)
  })

  it('decideAndAppend hands over what came after `after`, the whole stream when `after` is past its end', async ({
    skip,
  }) => {
    const store = await open()
    const decide = decider(store, skip)
    const written = succeeded(
      await store.appendToStream('stream-e', 'no-stream', [
        newEvent('A', {}),
        newEvent('B', {}),
        newEvent('C', {}),
      ]),
    ).events
    const seen: StreamSince[] = []
    const look = (after: number) =>
      decide({
        streamId: 'stream-e',
        after,
        commandId: crypto.randomUUID(),
        decide: (since) => {
          seen.push(since)
          return E.left('looked')
        },
      })
    for (const after of [-1, 0, 1, 2, 3, 9]) expect(succeeded(await look(after))).toEqual(E.left('looked'))
    expect(seen.map((since) => since.version)).toEqual([2, 2, 2, 2, 2, 2])
    expect(seen.map((since) => eventIds(since.events))).toEqual([
      eventIds(written),
      eventIds(written.slice(1)),
      eventIds(written.slice(2)),
      [],
      eventIds(written),
      eventIds(written),
    ])
    for (const since of seen) for (const event of since.events) expect(written).toContainEqual(event)
    const none = await decide({
      streamId: 'stream-none',
      after: -1,
      commandId: crypto.randomUUID(),
      decide: (since) => E.left(since),
    })
    expect(succeeded(none)).toEqual(E.left({ version: -1, events: [], ofCommand: [] }))
  })

  it("decideAndAppend hands over the command's earlier events of that stream only", async ({ skip }) => {
    const store = await open()
    const decide = decider(store, skip)
    const commandId = crypto.randomUUID()
    // Quotes and a backslash: a store that builds SQL text must quote the id, not paste it.
    const quoted = `stream-f'"\\ 流`
    const mine = [newEvent('Mine', { n: 1 }, { commandId }), newEvent('Mine', { n: 2 }, { commandId })]
    succeeded(await store.appendToStream(quoted, 'no-stream', [newEvent('Other', {}), ...mine]))
    succeeded(await store.appendToStream('stream-g', 'no-stream', [newEvent('Elsewhere', {}, { commandId })]))
    const ofCommand = (streamId: string, id: string) =>
      decide({ streamId, after: 2, commandId: id, decide: (since) => E.left(since.ofCommand) })
    const found = succeeded(await ofCommand(quoted, commandId))
    expect(E.isLeft(found) ? eventIds(found.left) : []).toEqual(eventIds(mine))
    const stored = succeeded(await store.readStream(quoted)).events
    expect(found).toEqual(E.left(stored.slice(1)))
    expect(succeeded(await ofCommand(quoted, crypto.randomUUID()))).toEqual(E.left([]))
    appendedBy(
      await decide({ streamId: quoted, after: 2, commandId, decide: () => E.right([newEvent('More', {})]) }),
    )
    expect(succeeded(await store.readStream(quoted)).version).toBe(3)
    const elsewhere = succeeded(await ofCommand('stream-g', commandId))
    expect(E.isLeft(elsewhere) ? elsewhere.left.map((event) => event.type) : []).toEqual(['Elsewhere'])
  })

  it('decideAndAppend: a Left, a decision that throws, or events that cannot be stored append nothing', async ({
    skip,
  }) => {
    const store = await open()
    const decide = decider(store, skip)
    succeeded(await store.appendToStream('stream-h', 'no-stream', [newEvent('Seed', {})]))
    const before = await readWholeLog(store, 100)
    const request = (decision: (since: StreamSince) => E.Either<string, ReturnType<typeof newEvent>[]>) =>
      decide({ streamId: 'stream-h', after: -1, commandId: crypto.randomUUID(), decide: decision })

    expect(succeeded(await request(() => E.left('refused')))).toEqual(E.left('refused'))
    const thrown = await request(() => {
      throw new Error('a broken decision')
    })
    expect(E.isLeft(thrown) && isStoreFailure(thrown.left)).toBe(true)
    const unstorable = await request(() => E.right([newEvent('Fine', {}), newEvent('Bad', { n: 10n })]))
    expect(E.isLeft(unstorable) && isStoreFailure(unstorable.left)).toBe(true)
    expect(await readWholeLog(store, 100)).toEqual(before)
    // The lock is released after each: the next decision applies.
    appendedBy(await request((since) => E.right([newEvent('After', { sawVersion: since.version })])))
    expect(succeeded(await store.readStream('stream-h')).version).toBe(1)
  })
}
