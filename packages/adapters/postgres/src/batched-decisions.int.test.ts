// Batched decisions on a real server (batched-decisions.ts): decisions waiting together on different
// streams share one transaction; within it each keeps its own outcome — a refusal, a throw, events
// that cannot be sealed, events the server refuses at the insert or only at COMMIT fail their own
// command alone, and the others land, once each. A decision taken ahead, on the head the store
// knows, is sent in one message, and taken again under the lock whenever that head was not the
// stream's: another writer appended, the command was already recorded, the stream was not new.
import type { DecideAndAppendRequest, EventStore, NewEvent, StreamSince } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import pg from 'pg'
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { postgresEventStore } from './postgres-event-store.js'
import { draftEvent } from './testing/draft-events.js'
import { throwawaySchemas } from './testing/throwaway-schemas.js'

const url = inject('postgresUrl')
const schemas = throwawaySchemas(url, 'batched')
afterAll(schemas.dropAll)

const decide = (
  store: EventStore,
  streamId: string,
  decision: (since: StreamSince) => E.Either<string, ReadonlyArray<NewEvent>>,
  commandId: string = crypto.randomUUID(),
  after = -1,
) => {
  const request: DecideAndAppendRequest<string> = { streamId, after, commandId, decide: decision }
  // biome-ignore lint/style/noNonNullAssertion: the PostgreSQL store decides under its locks
  return store.decideAndAppend!(request)
}

const transactionsOf = async (schema: string, streamIds: ReadonlyArray<string>) =>
  (
    await schemas.admin.query<{ streams: string; transactions: string }>(
      `SELECT count(DISTINCT stream_id) AS streams, count(DISTINCT transaction_id) AS transactions
       FROM "${schema}".events WHERE stream_id = ANY($1)`,
      [streamIds],
    )
  ).rows[0]

const streamsOf = async (schema: string) =>
  (
    await schemas.admin.query<{ stream_id: string; type: string; version: number }>(
      `SELECT stream_id, type, version FROM "${schema}".events ORDER BY stream_id, version`,
    )
  ).rows

describe('PostgreSQL decideAndAppend, batched', () => {
  it('decisions on different streams at one moment commit in one transaction, each with its own outcome', async () => {
    const schema = schemas.fresh()
    const store = postgresEventStore({ connectionString: url, schema })
    expect(E.isRight(await store.readAll({ after: 0, limit: 1 }))).toBe(true)
    // A trigger of the test's own: the server refuses one event type at the insert.
    await schemas.admin.query(`
      CREATE FUNCTION "${schema}".refuse_unstorable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.type = 'Unstorable' THEN RAISE EXCEPTION 'the test refuses this event'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_unstorable BEFORE INSERT ON "${schema}".events
        FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse_unstorable();`)

    const fine = ['stream-f1', 'stream-f2', 'stream-f3']
    const outcomes = await Promise.all([
      ...fine.map((streamId) =>
        decide(store, streamId, (since) => E.right([draftEvent('Fine', { since: since.version })])),
      ),
      decide(store, 'stream-refused', () => E.left('refused')),
      decide(store, 'stream-throws', () => {
        throw new Error('a broken decision')
      }),
      decide(store, 'stream-unsealable', () => E.right([draftEvent('Bad', { n: 10n })])),
      decide(store, 'stream-unstorable', () =>
        E.right([draftEvent('Fine', {}), draftEvent('Unstorable', {})]),
      ),
    ])
    const [f1, f2, f3, refused, thrown, unsealable, unstorable] = outcomes
    for (const outcome of [f1, f2, f3]) {
      expect(E.isRight(outcome) && E.isRight(outcome.right) && outcome.right.right.version).toBe(0)
    }
    expect(refused).toEqual(E.right(E.left('refused')))
    for (const outcome of [thrown, unsealable, unstorable]) {
      expect(outcome !== undefined && E.isLeft(outcome) && outcome.left.code).toBe('store-failure')
    }
    expect(unstorable !== undefined && E.isLeft(unstorable) && unstorable.left.message).toMatch(
      /the test refuses this event/,
    )
    expect((await streamsOf(schema)).map((row) => row.stream_id)).toEqual(fine)

    // Without a failing member, one batch is one transaction.
    const together = ['stream-t1', 'stream-t2', 'stream-t3', 'stream-t4']
    await Promise.all(
      together.map((streamId) => decide(store, streamId, () => E.right([draftEvent('Fine', {})]))),
    )
    expect(await transactionsOf(schema, together)).toEqual({ streams: '4', transactions: '1' })
    await store.close()
  })

  it('a batch whose COMMIT fails is decided again one by one: only the command at fault fails', async () => {
    const schema = schemas.fresh()
    const store = postgresEventStore({ connectionString: url, schema })
    expect(E.isRight(await store.readAll({ after: 0, limit: 1 }))).toBe(true)
    // Checked only at COMMIT: the insert passes, the commit of its transaction is refused.
    await schemas.admin.query(`
      CREATE FUNCTION "${schema}".refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.type = 'RefusedAtCommit' THEN RAISE EXCEPTION 'refused at commit'; END IF; RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON "${schema}".events
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse_at_commit();`)
    const decisions: Array<{ streamId: string; calls: number }> = []
    const counted = (streamId: string, type: string) => {
      const entry = { streamId, calls: 0 }
      decisions.push(entry)
      return decide(store, streamId, () => {
        entry.calls++
        return E.right([draftEvent(type, {})])
      })
    }
    const [a, refused, b] = await Promise.all([
      counted('stream-a', 'Fine'),
      counted('stream-at-commit', 'RefusedAtCommit'),
      counted('stream-b', 'Fine'),
    ])
    for (const outcome of [a, b]) expect(E.isRight(outcome) && E.isRight(outcome.right)).toBe(true)
    expect(E.isLeft(refused) && refused.left.code).toBe('store-failure')
    expect(E.isLeft(refused) && refused.left.message).toMatch(/refused at commit/)
    // Each was decided once in the batch and once alone; the survivors landed once.
    expect(decisions.map((entry) => entry.calls)).toEqual([2, 2, 2])
    expect((await streamsOf(schema)).map((row) => [row.stream_id, row.version])).toEqual([
      ['stream-a', 0],
      ['stream-b', 0],
    ])
    await store.close()
  })

  it('a re-sent command in a batch is handed its earlier events; decisions on one stream queue, each after the last', async () => {
    const schema = schemas.fresh()
    const store = postgresEventStore({ connectionString: url, schema })
    const commandId = crypto.randomUUID()
    const firstEvent = draftEvent('First', {})
    const first = await decide(
      store,
      'stream-r',
      () => E.right([{ ...firstEvent, metadata: { ...firstEvent.metadata, commandId } }]),
      commandId,
    )
    expect(E.isRight(first) && E.isRight(first.right)).toBe(true)
    const seen: number[] = []
    const [resent, ...queued] = await Promise.all([
      decide(
        store,
        'stream-r',
        (since) => E.left(since.ofCommand.map((event) => event.type).join()),
        commandId,
      ),
      ...[1, 2, 3].map(() =>
        decide(store, 'stream-r', (since) => {
          seen.push(since.version)
          return E.right([draftEvent('Next', {})])
        }),
      ),
      decide(store, 'stream-other', () => E.right([draftEvent('Other', {})])),
    ])
    expect(resent).toEqual(E.right(E.left('First')))
    for (const outcome of queued) expect(E.isRight(outcome) && E.isRight(outcome.right)).toBe(true)
    expect(seen).toEqual([0, 1, 2])
    expect(
      (await streamsOf(schema)).filter((row) => row.stream_id === 'stream-r').map((row) => row.version),
    ).toEqual([0, 1, 2, 3])
    await store.close()
  })

  it('refuses a stream id, command id, type or metadata PostgreSQL would not keep or read back, alone, as a store-failure naming it', async () => {
    const schema = schemas.fresh()
    const store = postgresEventStore({ connectionString: url, schema })
    const withActorId = (id: string): NewEvent => {
      const event = draftEvent('Noted', {})
      // Branded in the domain; any string here, as a store may be given.
      const actor = { ...event.metadata.actor, id } as NewEvent['metadata']['actor']
      return { ...event, metadata: { ...event.metadata, actor } }
    }
    const [fine, ...refused] = await Promise.all([
      decide(store, 'stream-fine', () => E.right([draftEvent('Fine', {})])),
      decide(store, 'stream-\u0000', () => E.right([draftEvent('Fine', {})])),
      decide(store, 'stream-\ud800', () => E.right([draftEvent('Fine', {})])),
      decide(store, 'stream-c', () => E.right([draftEvent('Fine', {})]), 'command-\u0000'),
      decide(store, 'stream-t', () => E.right([draftEvent('Type\u0000', {})])),
      decide(store, 'stream-u', () => E.right([draftEvent('Type\udfff', {})])),
      decide(store, 'stream-m', () => E.right([withActorId('a\u0000b')])),
    ])
    expect(refused.map((outcome) => E.isLeft(outcome) && outcome.left.message)).toEqual([
      'postgres: decideAndAppend failed: the stream id holds U+0000, which PostgreSQL text cannot hold',
      'postgres: decideAndAppend failed: the stream id holds a lone surrogate, which PostgreSQL text cannot hold (it would store U+FFFD)',
      'postgres: decideAndAppend failed: the command id holds U+0000, which PostgreSQL text cannot hold',
      'postgres: decideAndAppend failed: the type of event 0 holds U+0000, which PostgreSQL text cannot hold',
      'postgres: decideAndAppend failed: the type of event 0 holds a lone surrogate, which PostgreSQL text cannot hold (it would store U+FFFD)',
      'postgres: decideAndAppend failed: metadata.actor.id of event 0 holds U+0000, which PostgreSQL’s JSON functions cannot read',
    ])
    expect(E.isRight(fine) && E.isRight(fine.right)).toBe(true)
    expect((await streamsOf(schema)).map((row) => row.stream_id)).toEqual(['stream-fine'])
    // The stream whose metadata was refused takes the next decision.
    const next = await decide(store, 'stream-m', () => E.right([withActorId('a')]))
    expect(E.isRight(next) && E.isRight(next.right)).toBe(true)
    await store.close()
  })
})

// The store's functions each message called, in the order sent, seen at pg's own Client: the one
// place every message to the server passes, whichever connection of the pool sends it.
const sent: string[] = []
const query = pg.Client.prototype.query
beforeEach(() => {
  sent.length = 0
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [config] = args
    const text = typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text
    for (const name of ['append_if_current', 'lock_and_read', 'append_batch'])
      if (text?.includes(`.${name}(`)) sent.push(name)
    return (query as (...all: unknown[]) => unknown).apply(this, args)
  } as typeof query
})
afterEach(() => {
  pg.Client.prototype.query = query
})

/** A decision that records what it was handed and appends one event. */
const recording =
  (seen: StreamSince[], type = 'Next') =>
  (since: StreamSince) => {
    seen.push(since)
    return E.right([draftEvent(type, {})])
  }

const versionsOf = async (schema: string, streamId: string) =>
  (await streamsOf(schema)).filter((row) => row.stream_id === streamId).map((row) => [row.version, row.type])

/**
 * Two stores on one schema, as two processes: `mine` wrote the stream's first event and `theirs` the
 * next, so the head `mine` knows is stale.
 */
const movedUnderMine = async (streamId: string, firstType: string, nextType: string) => {
  const schema = schemas.fresh()
  const mine = postgresEventStore({ connectionString: url, schema })
  const theirs = postgresEventStore({ connectionString: url, schema })
  await decide(mine, streamId, recording([], firstType))
  await decide(theirs, streamId, recording([], nextType), crypto.randomUUID(), 0)
  return { schema, mine, close: () => Promise.all([mine.close(), theirs.close()]) }
}

describe('PostgreSQL decideAndAppend, decided ahead on the head the store knows', () => {
  it('a new stream and then each next decision on the head it wrote: one message each, with no lock-and-read', async () => {
    const schema = schemas.fresh()
    const store = postgresEventStore({ connectionString: url, schema })
    expect(E.isRight(await store.readAll({ after: 0, limit: 1 }))).toBe(true)
    sent.length = 0
    const seen: StreamSince[] = []
    for (const after of [-1, 0, 1]) {
      const outcome = await decide(store, 'stream-ahead', recording(seen), crypto.randomUUID(), after)
      expect(E.isRight(outcome) && E.isRight(outcome.right) && outcome.right.right.version).toBe(after + 1)
    }
    expect(sent).toEqual(['append_if_current', 'append_if_current', 'append_if_current'])
    expect(seen.map((since) => [since.version, since.events.length, since.ofCommand.length])).toEqual([
      [-1, 0, 0],
      [0, 0, 0],
      [1, 0, 0],
    ])
    // Several streams decided ahead at one moment share one transaction.
    const together = ['stream-a1', 'stream-a2', 'stream-a3']
    await Promise.all(together.map((streamId) => decide(store, streamId, recording([]))))
    expect(await transactionsOf(schema, together)).toEqual({ streams: '3', transactions: '1' })
    await store.close()
  })

  it('another writer appended after the known head: nothing of the decision ahead is written, and it is taken again on the events since', async () => {
    const { schema, mine, close } = await movedUnderMine('stream-s', 'Mine', 'Theirs')
    sent.length = 0
    const seen: StreamSince[] = []
    const outcome = await decide(mine, 'stream-s', recording(seen, 'MineAgain'), crypto.randomUUID(), 0)
    expect(E.isRight(outcome) && E.isRight(outcome.right) && outcome.right.right.version).toBe(2)
    expect(sent).toEqual(['append_if_current', 'lock_and_read', 'append_batch'])
    expect(seen.map((since) => [since.version, since.events.map((event) => event.type)])).toEqual([
      [0, []],
      [1, ['Theirs']],
    ])
    expect(await versionsOf(schema, 'stream-s')).toEqual([
      [0, 'Mine'],
      [1, 'Theirs'],
      [2, 'MineAgain'],
    ])
    // The chain links on: the stream reads back whole, each event after the one before.
    const read = await mine.readStream('stream-s')
    expect(E.isRight(read) && read.right.events.map((event) => event.version)).toEqual([0, 1, 2])
    await close()
  })

  it('a refusal decided ahead on a stale head is never answered: the decision under the lock is', async () => {
    const { mine, close } = await movedUnderMine('stream-r', 'Opened', 'Closed')
    // Refuses while the stream is open, appends once it is closed.
    const outcome = await decide(
      mine,
      'stream-r',
      (since) =>
        since.events.some((event) => event.type === 'Closed')
          ? E.right([draftEvent('Archived', {})])
          : E.left('still open'),
      crypto.randomUUID(),
      0,
    )
    expect(E.isRight(outcome) && E.isRight(outcome.right) && outcome.right.right.version).toBe(2)
    await close()
  })

  it('a command already recorded is replayed from its events, though the head the store knows has not moved', async () => {
    const schema = schemas.fresh()
    const store = postgresEventStore({ connectionString: url, schema })
    const commandId = crypto.randomUUID()
    const first = draftEvent('First', {})
    await decide(
      store,
      'stream-c',
      () => E.right([{ ...first, metadata: { ...first.metadata, commandId } }]),
      commandId,
    )
    sent.length = 0
    const seen: StreamSince[] = []
    const outcome = await decide(
      store,
      'stream-c',
      (since) => {
        seen.push(since)
        return since.ofCommand.length > 0 ? E.left('replayed') : E.right([draftEvent('Twice', {})])
      },
      commandId,
      0,
    )
    expect(outcome).toEqual(E.right(E.left('replayed')))
    expect(sent).toEqual(['append_if_current', 'lock_and_read'])
    expect(seen.map((since) => since.ofCommand.map((event) => event.type))).toEqual([[], ['First']])
    expect(await versionsOf(schema, 'stream-c')).toEqual([[0, 'First']])
    await store.close()
  })

  it('a stream taken to be new that another process already wrote: decided again on its whole past', async () => {
    const schema = schemas.fresh()
    const theirs = postgresEventStore({ connectionString: url, schema })
    await decide(theirs, 'stream-n', recording([], 'Theirs'))
    const mine = postgresEventStore({ connectionString: url, schema })
    const seen: StreamSince[] = []
    const outcome = await decide(mine, 'stream-n', recording(seen, 'Mine'))
    expect(E.isRight(outcome) && E.isRight(outcome.right) && outcome.right.right.version).toBe(1)
    expect(seen.map((since) => [since.version, since.events.length])).toEqual([
      [-1, 0],
      [0, 1],
    ])
    await Promise.all([mine.close(), theirs.close()])
  })

  it('in one batch, current heads are appended at once, and stale ones, and callers the store cannot decide ahead, the long way: every one once', async () => {
    const schema = schemas.fresh()
    const mine = postgresEventStore({ connectionString: url, schema })
    const theirs = postgresEventStore({ connectionString: url, schema })
    const streams = ['b-current-1', 'b-current-2', 'b-stale-1', 'b-stale-2', 'b-unknown']
    for (const streamId of streams) await decide(mine, streamId, recording([], 'Mine'))
    for (const streamId of ['b-stale-1', 'b-stale-2'])
      await decide(theirs, streamId, recording([], 'Theirs'), crypto.randomUUID(), 0)
    // The caller folded further than the store knows: it cannot be decided ahead.
    const outcomes = await Promise.all(
      streams.map((streamId) =>
        decide(mine, streamId, recording([], 'Again'), crypto.randomUUID(), streamId === 'b-unknown' ? 5 : 0),
      ),
    )
    expect(
      outcomes.map(
        (outcome) => E.isRight(outcome) && E.isRight(outcome.right) && outcome.right.right.version,
      ),
    ).toEqual([1, 1, 2, 2, 1])
    for (const streamId of streams) {
      const types = (await versionsOf(schema, streamId)).map(([, type]) => type)
      expect(types).toEqual(streamId.includes('stale') ? ['Mine', 'Theirs', 'Again'] : ['Mine', 'Again'])
    }
    await Promise.all([mine.close(), theirs.close()])
  })
})
