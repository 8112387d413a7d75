import {
  genesisHash,
  type NewEvent,
  partitionOfStream,
  type SealedEvent,
  type StoredEvent,
  sealEvents,
  sha256Hex,
  streamPartitionKey,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { Client } from 'pg'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { postgresEventStore } from './postgres-event-store.js'
import { draftEvent } from './testing/draft-events.js'
import { throwawaySchemas } from './testing/throwaway-schemas.js'

// The no-skip guarantee of readAll (see the header of postgres-event-store.ts), shown with
// transactions that are held open on purpose: an append that has drawn its positions but not yet
// committed while later appends commit around it.

const url = inject('postgresUrl')
const { admin, fresh: freshSchema, dropAll } = throwawaySchemas(url, 'late', 2)
afterAll(dropAll)

/** Opens a transaction on `client` and appends through the store's own function, leaving it uncommitted. */
const appendUncommitted = async (
  client: Client,
  schema: string,
  streamId: string,
  head: { readonly version: number; readonly hash: string },
  events: ReadonlyArray<NewEvent>,
): Promise<{ sealed: ReadonlyArray<SealedEvent>; positions: number[] }> => {
  const sealed = sealEvents(
    { streamId, firstVersion: head.version + 1, prevHash: head.hash, events },
    sha256Hex,
  )
  await client.query('BEGIN')
  const result = await client.query<{ appended_position: string }>(
    `SELECT appended_position FROM "${schema}".append_events($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      streamId,
      streamPartitionKey(streamId),
      head.version + 1,
      head.hash,
      sealed.map((event) => event.type),
      sealed.map((event) => JSON.stringify(event.data)),
      sealed.map((event) => JSON.stringify(event.metadata)),
      sealed.map((event) => event.metadata.commandId),
    ],
  )
  return { sealed, positions: result.rows.map((row) => Number(row.appended_position)) }
}

// 'licence-late' and 'licence-early' are in different partitions of two (checked where used).
const partitionsOf2 = [
  { index: 0, count: 2 },
  { index: 1, count: 2 },
]

const ids = (events: ReadonlyArray<{ readonly metadata: { readonly eventId: string } }>) =>
  events.map((event) => event.metadata.eventId)

describe('readAll with late commits', () => {
  it('holds back an event committed after an open append with a lower position, then returns both in order', async () => {
    const schema = freshSchema()
    const store = postgresEventStore({ connectionString: url, schema })
    expect(E.isRight(await store.readAll({ after: 0, limit: 1 }))).toBe(true)
    const slow = new Client({ connectionString: url })
    await slow.connect()
    try {
      const late = await appendUncommitted(slow, schema, 'licence-late', { version: -1, hash: genesisHash }, [
        draftEvent('Late', {}),
      ])
      const early = await store.appendToStream('licence-early', 'no-stream', [draftEvent('Early', {})])
      if (E.isLeft(early)) throw new Error(early.left.message)
      const earlyPosition = early.right.events[0]?.position ?? 0
      expect(partitionOfStream('licence-late', 2)).not.toBe(partitionOfStream('licence-early', 2))
      expect(earlyPosition).toBeGreaterThan(late.positions[0] ?? Number.POSITIVE_INFINITY)

      // A reader that trusted positions alone would now see the later event and move past the open one.
      const naive = await admin.query<{ position: string }>(
        `SELECT position FROM "${schema}".events ORDER BY position`,
      )
      expect(naive.rows.map((row) => Number(row.position))).toEqual([earlyPosition])
      expect(await store.readAll({ after: 0, limit: 10 })).toEqual(E.right({ events: [], lastPosition: 0 }))
      // Partition readers are held back alike, whether or not the open append is in their partition.
      for (const partition of partitionsOf2) {
        expect(await store.readPartition?.({ after: 0, limit: 10, partition })).toEqual(
          E.right({ events: [], lastPosition: 0 }),
        )
      }

      await slow.query('COMMIT')
      const read = await store.readAll({ after: 0, limit: 10 })
      if (E.isLeft(read)) throw new Error(read.left.message)
      expect(read.right.events.map((event) => event.type)).toEqual(['Late', 'Early'])
      expect(read.right.events.map((event) => event.position)).toEqual([late.positions[0], earlyPosition])
      expect(read.right.lastPosition).toBe(earlyPosition)
      // Each partition now returns its own event: the late one is not lost behind the early one.
      for (const partition of partitionsOf2) {
        const page = await store.readPartition?.({ after: 0, limit: 10, partition })
        const mine = read.right.events.filter(
          (event) => partitionOfStream(event.streamId, partition.count) === partition.index,
        )
        expect(mine).toHaveLength(1)
        expect(page).toEqual(E.right({ events: mine, lastPosition: mine[0]?.position }))
      }
    } finally {
      await slow.end()
      await store.close()
    }
  })

  it('an append waiting for the critical section has no transaction id yet: it takes one inside', async () => {
    const schema = freshSchema()
    const store = postgresEventStore({ connectionString: url, schema })
    expect(E.isRight(await store.readAll({ after: 0, limit: 1 }))).toBe(true)
    const holder = await admin.connect()
    await holder.query(`SELECT pg_advisory_lock(hashtextextended('${schema}.events:append', 0))`)
    const appending = store.appendToStream('licence-wait', 'no-stream', [draftEvent('Waited', {})])
    try {
      // Wait (no deadline but the test's) until the append is queued on the lock, then look at it.
      let waiting: Array<{ xid: string | null }> = []
      while (waiting.length === 0) {
        await new Promise<void>((resolve) => setTimeout(resolve, 5))
        waiting = (
          await admin.query<{ xid: string | null }>(
            `SELECT backend_xid::text AS xid FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE '%append_events%'`,
          )
        ).rows
      }
      expect(waiting).toEqual([{ xid: null }])
    } finally {
      await holder.query('SELECT pg_advisory_unlock_all()')
      holder.release()
    }
    expect(E.isRight(await appending)).toBe(true)
    await store.close()
  })

  it('many transactions on several connections, some committing late, while readers poll the log and its partitions: nothing skipped or repeated', async () => {
    const schema = freshSchema()
    const fastWriters = Array.from({ length: 4 }, () =>
      postgresEventStore({ connectionString: url, schema, poolSize: 2 }),
    )
    // One connection for the reader of the whole log, one for each reader of a partition of three.
    const partitionCount = 3
    const reader = postgresEventStore({ connectionString: url, schema, poolSize: 1 + partitionCount })
    expect(E.isRight(await reader.readAll({ after: 0, limit: 1 }))).toBe(true)
    const slowClients = Array.from({ length: 3 }, () => new Client({ connectionString: url }))
    for (const client of slowClients) await client.connect()

    const committed: SealedEvent[] = []
    let lateCommits = 0
    let slowActive = slowClients.length
    // Each slow transaction waits, before committing, until a fast writer has committed after it.
    let fastCommits = 0
    let fastCommitted: Array<() => void> = []
    const nextFastCommit = () => new Promise<void>((resolve) => fastCommitted.push(resolve))

    const fast = async (store: (typeof fastWriters)[number], writer: number) => {
      for (let round = 0; slowActive > 0 || round < 20; round++) {
        const shared = round % 5 === 0
        const streamId = shared ? 'licence-shared' : `licence-fast-${writer}-${round % 3}`
        const batch = Array.from({ length: 1 + ((writer + round) % 3) }, (_, index) =>
          draftEvent('Fast', { writer, round, index }),
        )
        const appended = await store.appendToStream(streamId, 'any', batch)
        if (E.isLeft(appended)) throw new Error(appended.left.message)
        committed.push(...appended.right.events)
        fastCommits++
        const waiting = fastCommitted
        fastCommitted = []
        for (const resolve of waiting) resolve()
      }
    }

    const slowWriter = async (client: Client, writer: number) => {
      const streamId = `licence-slow-${writer}`
      let head = { version: -1, hash: genesisHash }
      for (let round = 0; round < 8; round++) {
        const batch = Array.from({ length: 1 + (round % 2) }, (_, index) =>
          draftEvent('Slow', { writer, round, index }),
        )
        const { sealed, positions } = await appendUncommitted(client, schema, streamId, head, batch)
        const seenFastCommits = fastCommits
        while (fastCommits === seenFastCommits) await nextFastCommit()
        const visible = await admin.query<{ highest: string | null }>(
          `SELECT max(position) AS highest FROM "${schema}".events`,
        )
        if (Number(visible.rows[0]?.highest ?? 0) > Math.min(...positions)) lateCommits++
        await client.query('COMMIT')
        committed.push(...sealed)
        const last = sealed[sealed.length - 1]
        if (last !== undefined) head = { version: last.version, hash: last.metadata.hash }
      }
      slowActive--
    }

    let writing = true
    const writers = Promise.all([
      ...fastWriters.map((store, writer) => fast(store, writer)),
      ...slowClients.map((client, writer) => slowWriter(client, writer)),
    ]).finally(() => {
      writing = false
    })

    /** Polls until a read begun after the writers finished comes back empty; the events in order. */
    const poll = async (read: (after: number) => ReturnType<typeof reader.readAll>) => {
      const seen: StoredEvent[] = []
      let after = 0
      for (;;) {
        const drained = !writing
        const page = await read(after)
        if (E.isLeft(page)) throw new Error(page.left.message)
        seen.push(...page.right.events)
        after = page.right.lastPosition
        if (page.right.events.length === 0) {
          if (drained) return seen
          await new Promise<void>((resolve) => setImmediate(resolve))
        }
      }
    }
    const { readPartition } = reader
    if (readPartition === undefined) throw new Error('the postgres store reads partitions')

    try {
      const [, seen, ...seenByPartition] = await Promise.all([
        writers,
        poll((after) => reader.readAll({ after, limit: 7 })),
        ...Array.from({ length: partitionCount }, (_, index) =>
          poll((after) => readPartition({ after, limit: 5, partition: { index, count: partitionCount } })),
        ),
      ])
      // The case under test happened: transactions committed while later positions were visible.
      expect(lateCommits).toBeGreaterThan(0)
      expect(new Set(ids(seen)).size).toBe(seen.length)
      expect(new Set(ids(seen))).toEqual(new Set(ids(committed)))
      const positions = seen.map((event) => event.position)
      expect(positions).toEqual([...positions].sort((a, b) => a - b))
      expect(new Set(positions).size).toBe(positions.length)
      // Each partition reader saw exactly its streams' events, once each, in the order of the log.
      seenByPartition.forEach((mine, index) => {
        expect(mine).toEqual(
          seen.filter((event) => partitionOfStream(event.streamId, partitionCount) === index),
        )
      })
      // Late commits landed in more than one partition, so more than one reader was put to the test.
      const slowPartitions = new Set(
        committed
          .filter((event) => event.streamId.startsWith('licence-slow-'))
          .map((event) => partitionOfStream(event.streamId, partitionCount)),
      )
      expect(slowPartitions.size).toBeGreaterThan(1)
      // The invariant the guarantee rests on: in position order, transaction ids never go down.
      const inversions = await admin.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM (
           SELECT transaction_id, lag(transaction_id) OVER (ORDER BY position) AS previous FROM "${schema}".events
         ) ordered WHERE transaction_id < previous`,
      )
      expect(inversions.rows[0]?.count).toBe(0)
    } finally {
      for (const client of slowClients) await client.end()
      for (const store of [...fastWriters, reader]) await store.close()
    }
  })
})
