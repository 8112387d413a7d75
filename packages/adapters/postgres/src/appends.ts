/**
 * The write side of the PostgreSQL EventStore; `postgres-event-store.ts` argues why the order these
 * appends draw positions in lets readAll never skip a late commit.
 *
 * ## Appends
 * The stream's head (last version and hash) is known or read, the expected version checked, the
 * batch sealed with `sealEventsWithData` (node:crypto SHA-256) and inserted by one call of `append_events`, a
 * single statement and so a single transaction: all or none. Under the stream's advisory lock the
 * function checks again that the batch continues the chain (the event before it exists and has the
 * `prevHash` sealed in), and the unique (stream_id, version) constraint is the last line of defence.
 * A head that went stale is reported as `concurrency-conflict`, which is right for `no-stream` and an
 * exact version: another writer got there first. For `any` a conflict would be wrong, so that path
 * reads the head inside a transaction that holds the stream's lock until it commits.
 *
 * ## Deciding under the stream's lock
 * `decideAndAppend` (DESIGN §4 "Concurrency") opens a transaction, takes the streams'
 * transaction-level advisory locks (the ones `append_events` takes), reads the heads, the events
 * after the version each caller has folded and each command's earlier events (by the `command_id`
 * index), calls the callers' synchronous decisions and inserts their events with one
 * `append_batch` before COMMIT releases the locks: the decisions waiting at one moment on different
 * streams share that transaction (batched-decisions.ts). Another writer of a stream, in this process
 * or any other, waits at its lock until then and so reads this one's events: it never conflicts.
 * Neither the locks nor the reads assign a transaction id, so `append_batch` is the first write of
 * its transaction and the order argument of `postgres-event-store.ts` holds unchanged. A caller that
 * folded up to the head remembered below is decided ahead and needs no read: `append_if_current`
 * takes the locks, checks the head and the command id, and appends, in one call.
 *
 * The head of a stream this store has just read or written is remembered (the handler reads a stream
 * right before appending to it), which saves a round trip per command; `no-stream` needs no head at
 * all. A remembered head can only be stale, never wrong, and the function's chain check turns a stale
 * one into a conflict. Every other failure is returned as a `store-failure` value; nothing throws to
 * callers; nor is a batch PostgreSQL would not keep as sealed (postgres-text.ts) ever sent.
 */

import {
  type AppendResult,
  concurrencyConflict,
  expectedVersionMatches,
  type NewEvent,
  packedMap,
  type StoredEvent,
  type StoreError,
  sealEventsWithData,
  storeFailure,
  streamPartitionKey,
} from '@elicence/domain'
import { nodeSha256Hex } from '@elicence/projections/node'
import * as E from 'fp-ts/lib/Either.js'
import { DatabaseError, type Pool } from 'pg'
import { batchedDecisions } from './batched-decisions.js'
import {
  type AppendedRow,
  type Head,
  newStream,
  type Queryable,
  rowsOf,
  type Statement,
  storedAppended,
} from './event-rows.js'
import { checkOut, release, rollBackAfter } from './pool-client.js'
import { appendProblem } from './postgres-text.js'
import { chainMismatchState, streamVersionConstraint } from './schema.js'

/** How many stream heads a store remembers; the oldest is forgotten first. */
const rememberedHeads = 10_000

/** The batch no longer continues the stream: another writer appended after the head it was sealed on. */
const isStaleHead = (error: unknown): boolean =>
  error instanceof DatabaseError &&
  (error.code === chainMismatchState ||
    (error.code === '23505' && error.constraint === streamVersionConstraint))

/** The prepared statements the appends use, built once per store by `postgresEventStore`. */
export interface AppendStatements {
  readonly readStream: Statement
  readonly head: Statement
  readonly lockStream: Statement
  readonly append: Statement
}

/** The appends of one store: the remembered heads they share, and the three ways to append. */
export const streamAppends = (pool: Pool, schema: string, statements: AppendStatements) => {
  const {
    readStream: readStreamStatement,
    head: headStatement,
    lockStream: lockStreamStatement,
    append: appendStatement,
  } = statements

  const heads = new Map<string, Head>()
  const remember = (streamId: string, head: Head) => {
    heads.delete(streamId)
    heads.set(streamId, head)
    if (heads.size > rememberedHeads) heads.delete(heads.keys().next().value ?? streamId)
  }

  const headOf = async (on: Queryable, streamId: string): Promise<Head> => {
    const [row] = await rowsOf<Head>(on, headStatement([streamId]))
    const head = row === undefined ? newStream : { version: row.version, hash: row.hash }
    remember(streamId, head)
    return head
  }

  /** The batch sealed after `head`, and the arguments of `append_events` for it. */
  const sealAfter = (streamId: string, head: Head, events: ReadonlyArray<NewEvent>) => {
    // The texts sent are the canonical JSON sealing made (the data's the very text hashed): no
    // second serialisation of each event.
    const withTexts = sealEventsWithData(
      { streamId, firstVersion: head.version + 1, prevHash: head.hash, events },
      nodeSha256Hex,
    )
    const sealed = withTexts.map((each) => each.event)
    const data = withTexts.map((each) => each.dataJson)
    const metadata = withTexts.map((each) => each.metadataJson)
    const values = [
      streamId,
      streamPartitionKey(streamId),
      head.version + 1,
      head.hash,
      sealed.map((event) => event.type),
      data,
      metadata,
      sealed.map((event) => event.metadata.commandId),
    ] as const
    /** What `append_events` returned, as the stored events. */
    const stored = (appended: ReadonlyArray<AppendedRow>): AppendResult => {
      const positions = new Map(appended.map((row) => [row.appended_version, Number(row.appended_position)]))
      const events = packedMap(sealed, (event, index): StoredEvent => {
        const position = positions.get(event.version)
        if (position === undefined)
          throw new Error(`append_events returned no position for version ${event.version}`)
        return storedAppended(event, position, data[index], metadata[index])
      })
      const last = sealed[sealed.length - 1]
      if (last !== undefined) remember(streamId, { version: last.version, hash: last.metadata.hash })
      return { events, version: head.version + events.length }
    }
    return { values, stored }
  }

  /** Seals and inserts after `head`; append_events refuses the batch if the head has moved. */
  const insertAfter = async (
    on: Queryable,
    streamId: string,
    head: Head,
    events: ReadonlyArray<NewEvent>,
  ): Promise<AppendResult> => {
    const { values, stored } = sealAfter(streamId, head, events)
    return stored(await rowsOf<AppendedRow>(on, appendStatement([...values])))
  }

  const appendExpecting = async (
    streamId: string,
    expected: 'no-stream' | number,
    events: ReadonlyArray<NewEvent>,
  ): Promise<E.Either<StoreError, AppendResult>> => {
    const problem = appendProblem(streamId, events)
    if (problem !== undefined) return E.left(storeFailure(`postgres: ${problem}`))
    const known = expected === 'no-stream' ? newStream : heads.get(streamId)
    const head =
      known?.version === (expected === 'no-stream' ? -1 : expected) ? known : await headOf(pool, streamId)
    if (!expectedVersionMatches(expected, head.version))
      return E.left(concurrencyConflict(streamId, expected, head.version))
    if (events.length === 0) return E.right({ events: [], version: head.version })
    try {
      return E.right(await insertAfter(pool, streamId, head, events))
    } catch (error) {
      if (!isStaleHead(error)) throw error
      return E.left(concurrencyConflict(streamId, expected, (await headOf(pool, streamId)).version))
    }
  }

  const appendAny = async (
    streamId: string,
    events: ReadonlyArray<NewEvent>,
  ): Promise<E.Either<StoreError, AppendResult>> => {
    const problem = appendProblem(streamId, events)
    if (problem !== undefined) return E.left(storeFailure(`postgres: ${problem}`))
    const client = await checkOut(pool)
    let broken = false
    try {
      await client.query('BEGIN')
      // Held until COMMIT; append_events takes the same lock, so the head read next cannot go stale.
      await client.query(lockStreamStatement([streamId]))
      const head = await headOf(client, streamId)
      const result =
        events.length === 0
          ? { events: [], version: head.version }
          : await insertAfter(client, streamId, head, events)
      await client.query('COMMIT')
      return E.right(result)
    } catch (error) {
      heads.delete(streamId)
      broken = await rollBackAfter(client, error)
      throw error
    } finally {
      release(client, broken)
    }
  }

  const { decideAndAppend } = batchedDecisions({
    pool,
    schema,
    known: (streamId) => heads.get(streamId),
    remember,
    forget: (streamId) => heads.delete(streamId),
    readStream: readStreamStatement,
  })

  return { remember, appendExpecting, appendAny, decideAndAppend }
}
