/**
 * `decideAndAppend` on PostgreSQL, batched (DESIGN §4 "Concurrency", issue 9): the decisions that
 * wait at the same moment, on different streams, share one transaction on one connection, so one
 * commit (one WAL flush, with `synchronous_commit` on) and two round trips serve them all.
 *
 * One batch:
 * 1. BEGIN; `lock_and_read` (schema.ts): the advisory locks of all its streams, taken in sorted
 *    stream-id order, so two batches (of this process or any other) that share streams take them in
 *    the same order and never deadlock (every other writer takes one stream's lock alone); then one
 *    read, for every stream: its head, the events after what the caller folded, the command's
 *    earlier events (by the `command_id` index). One message.
 * 2. Each caller's synchronous decision, in Node. A Left, a throw or events that cannot be sealed
 *    answer that caller only; the others go on.
 * 3. One `append_batch` (schema.ts) with every decided event, then COMMIT. One message. Nothing is
 *    answered before the COMMIT has returned: the outcome of a decision that appended nothing (a
 *    replay, a refusal) is answered then too, so it never rests on a state that could still change.
 *
 * A batch that fails as a whole does not fail its callers for one bad command: when the server
 * refused a statement for what was in it (a value PostgreSQL cannot store, a constraint, a check
 * at COMMIT) nothing was committed, and each decision is run again in a batch of its own, so only
 * the command at fault fails. A failure that leaves the outcome unknown (the connection lost, a
 * timeout, the server gone) fails the batch's callers with a `store-failure`: their commit may or
 * may not have happened, and a caller that re-sends is replayed or applied once, by command id.
 *
 * Requests on a stream that a running batch holds, or that one batch already takes, wait for a
 * later batch: two on one stream would only queue at its lock. Up to `maxRunning` batches run at
 * once, so while one waits for its commit the next is read and decided.
 *
 * @example
 * const decisions = batchedDecisions({ pool, schema, remember, forget, readStream })
 * const outcome = await decisions.decideAndAppend(request)
 */
import {
  callDecide,
  type DecideAndAppendRequest,
  type DecideAndAppendResult,
  type NewEvent,
  packedMap,
  type SealedEvent,
  type StoredEvent,
  sealEventsWithData,
  streamPartitionKey,
} from '@elicence/domain'
import { nodeSha256Hex } from '@elicence/projections/node'
import * as E from 'fp-ts/lib/Either.js'
import { DatabaseError, escapeLiteral, type Pool } from 'pg'
import {
  type EventRow,
  type Head,
  newStream,
  type Statement,
  storedAppended,
  toStored,
} from './event-rows.js'
import { checkOut, release, rollBackAfter } from './pool-client.js'
import { chainMismatchState } from './schema.js'

/** Decisions taken into one transaction at most. */
const maxBatch = 64
/**
 * Batches running at once, each on a connection of its own. The requests of one turn of the event
 * loop always go together; this only bounds how many such batches overlap (one waiting for its
 * commit while the next is read and decided). Measured at 8 clients: 2 gave about 15 % less than
 * 4 or 8, which a batch's round trips waiting behind another's explain.
 */
const maxRunning = 8

interface Waiting {
  readonly request: DecideAndAppendRequest<unknown>
  readonly resolve: (result: DecideAndAppendResult<unknown>) => void
  readonly reject: (error: unknown) => void
}

export interface BatchedDecisionsOptions {
  readonly pool: Pool
  readonly schema: string
  /** Heads of streams this store wrote, shared with the other appends (appends.ts). */
  readonly remember: (streamId: string, head: Head) => void
  readonly forget: (streamId: string) => void
  readonly readStream: Statement
}

/**
 * A row of the batch read: which request (1-based), an event row, and what it is to that request:
 * 'h' its stream's last event (its version and hash; no body), 'e' an event after its `after`, 'c' one of its command's.
 */
type BatchRow = [request: string, ...EventRow, tag: 'h' | 'e' | 'c']

/** The server refused a statement for what was in it: nothing was committed, and alone each may pass. */
const refusedForItsContent = (error: unknown): boolean =>
  error instanceof DatabaseError &&
  (error.code === chainMismatchState || ['22', '23', '54', 'P0'].includes(error.code?.slice(0, 2) ?? ''))

/**
 * PostgreSQL text cannot hold U+0000, and in a simple-protocol message it would end the message
 * inside a literal: a value holding it is refused here, for its own request alone.
 */
const nulProblem = (what: string, value: string): Error | undefined =>
  value.includes('\u0000') ? new Error(`PostgreSQL text cannot hold U+0000, found in ${what}`) : undefined

const text = (value: string) => escapeLiteral(value)
const textArray = (values: ReadonlyArray<string>) => `ARRAY[${values.map(text).join(', ')}]::text[]`
const integerArray = (values: ReadonlyArray<number>, type: 'integer' | 'bigint') =>
  `ARRAY[${values.map((value) => String(Math.trunc(value))).join(', ')}]::${type}[]`

export const batchedDecisions = (options: BatchedDecisionsOptions) => {
  const { pool, schema, remember, forget, readStream } = options

  // Simple-protocol messages (several statements, no parameters), so values are quoted with pg's
  // escapeLiteral, the standard string quoting.
  const beginLockAndReadSql = (batch: ReadonlyArray<DecideAndAppendRequest<unknown>>) =>
    `BEGIN; SELECT * FROM "${schema}".lock_and_read(${textArray(batch.map((request) => request.streamId))},
      ${integerArray(
        batch.map((request) => request.after),
        'integer',
      )}, ${textArray(batch.map((request) => request.commandId))})`

  /** One stream's sealed events, and what `append_batch` needs of them. */
  interface Sealed {
    readonly streamId: string
    readonly head: Head
    readonly events: ReadonlyArray<SealedEvent>
    readonly data: ReadonlyArray<string>
    readonly metadata: ReadonlyArray<string>
  }

  const seal = (streamId: string, head: Head, events: ReadonlyArray<NewEvent>): Sealed => {
    for (const event of events) {
      const problem =
        nulProblem(`the type of an event for ${streamId}`, event.type) ??
        nulProblem(`the command id of an event for ${streamId}`, event.metadata.commandId)
      if (problem !== undefined) throw problem
    }
    // The texts sent are the canonical JSON sealing made (the data's the very text hashed): no
    // second serialisation of each event.
    const sealed = sealEventsWithData(
      { streamId, firstVersion: head.version + 1, prevHash: head.hash, events },
      nodeSha256Hex,
    )
    return {
      streamId,
      head,
      events: sealed.map((each) => each.event),
      data: sealed.map((each) => each.dataJson ?? 'null'),
      metadata: sealed.map((each) => each.metadataJson),
    }
  }

  const appendAndCommitSql = (all: ReadonlyArray<Sealed>) => {
    const events = all.flatMap((one) => one.events.map((event, index) => ({ one, event, index })))
    return `SELECT appended_stream, appended_version, appended_position FROM "${schema}".append_batch(
      ${textArray(all.map((one) => one.streamId))},
      ${integerArray(
        all.map((one) => one.head.version + 1),
        'integer',
      )},
      ${textArray(all.map((one) => one.head.hash))},
      ${textArray(events.map(({ one }) => one.streamId))},
      ${integerArray(
        events.map(({ one }) => streamPartitionKey(one.streamId)),
        'bigint',
      )},
      ${integerArray(
        events.map(({ event }) => event.version),
        'integer',
      )},
      ${textArray(events.map(({ event }) => event.type))},
      ${textArray(events.map(({ one, index }) => one.data[index] ?? 'null'))},
      ${textArray(events.map(({ one, index }) => one.metadata[index] ?? 'null'))},
      ${textArray(events.map(({ event }) => event.metadata.commandId))}); COMMIT`
  }

  /** The stored events of `one`, from the positions `append_batch` returned. */
  const storedOf = (one: Sealed, positions: ReadonlyMap<string, number>) => {
    const events = packedMap(one.events, (event, index): StoredEvent => {
      const position = positions.get(`${event.version} ${one.streamId}`)
      if (position === undefined)
        throw new Error(`append_batch returned no position for ${one.streamId}@${event.version}`)
      return storedAppended(event, position, one.data[index], one.metadata[index])
    })
    const last = one.events[one.events.length - 1]
    if (last !== undefined) remember(one.streamId, { version: last.version, hash: last.metadata.hash })
    return { events, version: one.head.version + events.length }
  }

  /**
   * Runs one batch (sorted by stream id, one request per stream) and answers its callers; resolves
   * to the requests to run again alone when the server refused the batch for its content.
   */
  const run = async (batch: ReadonlyArray<Waiting>): Promise<ReadonlyArray<Waiting>> => {
    const requests = batch.map((waiting) => waiting.request)
    const client = await checkOut(pool)
    let broken = false
    let open = false
    try {
      open = true
      const read = (await client.query({
        text: beginLockAndReadSql(requests),
        rowMode: 'array',
      })) as unknown as ReadonlyArray<{ readonly rows: ReadonlyArray<BatchRow> }>
      // Held until COMMIT: what was read cannot go stale before the insert.
      const rowsOf = batch.map((): BatchRow[] => [])
      for (const row of read[1]?.rows ?? []) rowsOf[Number(row[0]) - 1]?.push(row)
      const heads = rowsOf.map((rows): Head => {
        const last = rows.find((row) => row[7] === 'h')
        return last === undefined ? newStream : { version: last[3], hash: last[6].hash }
      })
      const tagged = (rows: ReadonlyArray<BatchRow>, tag: BatchRow[7]) =>
        packedMap(
          rows.filter((row) => row[7] === tag),
          ([, position, id, version, type, data, metadata]) =>
            toStored([position, id, version, type, data, metadata]),
        ).sort((a, b) => a.version - b.version)

      const outcomes: Array<DecideAndAppendResult<unknown> | Sealed | { readonly failed: unknown }> = []
      for (const [index, { request }] of batch.entries()) {
        const head = heads[index] ?? newStream
        const rows = rowsOf[index] ?? []
        // A caller that folded more than this stream holds does not know this stream's past: all of it.
        const events =
          request.after <= head.version
            ? tagged(rows, 'e')
            : packedMap(
                (await client.query<EventRow>({ ...readStream([request.streamId]), rowMode: 'array' })).rows,
                toStored,
              )
        const decided = callDecide(request, { version: head.version, events, ofCommand: tagged(rows, 'c') })
        if (E.isLeft(decided)) {
          outcomes.push(decided)
          continue
        }
        if (E.isLeft(decided.right)) {
          outcomes.push(E.right(decided.right))
          continue
        }
        const appending = decided.right.right
        if (appending.length === 0) {
          outcomes.push(E.right(E.right({ events: [], version: head.version })))
          continue
        }
        try {
          outcomes.push(seal(request.streamId, head, appending))
        } catch (failed) {
          // Events with no JSON form: this caller's failure alone.
          outcomes.push({ failed })
        }
      }

      const appending = outcomes.filter((outcome): outcome is Sealed => 'head' in outcome)
      const positions = new Map<string, number>()
      if (appending.length === 0) await client.query('COMMIT')
      else {
        const appended = (await client.query({
          text: appendAndCommitSql(appending),
          rowMode: 'array',
        })) as unknown as ReadonlyArray<{ readonly rows: ReadonlyArray<[string, number, string]> }>
        for (const [streamId, version, position] of appended[0]?.rows ?? [])
          positions.set(`${version} ${streamId}`, Number(position))
      }
      open = false
      batch.forEach((waiting, index) => {
        const outcome = outcomes[index]
        if (outcome === undefined) waiting.reject(new Error('a decision of the batch went missing'))
        else if ('failed' in outcome) waiting.reject(outcome.failed)
        else if ('head' in outcome) {
          try {
            waiting.resolve(E.right(E.right(storedOf(outcome, positions))))
          } catch (error) {
            waiting.reject(error)
          }
        } else waiting.resolve(outcome)
      })
      return []
    } catch (error) {
      for (const { streamId } of requests) forget(streamId)
      if (open) broken = await rollBackAfter(client, error)
      if (batch.length > 1 && !broken && refusedForItsContent(error)) return batch
      for (const waiting of batch) waiting.reject(error)
      return []
    } finally {
      release(client, broken)
    }
  }

  const waiting: Waiting[] = []
  const held = new Set<string>()
  let running = 0
  let scheduled = false

  /** The next batch: waiting requests in arrival order, one per stream, none on a held stream. */
  const take = (): Waiting[] => {
    const batch: Waiting[] = []
    const taken = new Set<string>()
    for (let index = 0; index < waiting.length && batch.length < maxBatch; ) {
      const next = waiting[index] as Waiting
      const { streamId } = next.request
      if (held.has(streamId) || taken.has(streamId)) {
        index++
        continue
      }
      taken.add(streamId)
      batch.push(next)
      waiting.splice(index, 1)
    }
    return batch.sort((a, b) =>
      a.request.streamId < b.request.streamId ? -1 : a.request.streamId > b.request.streamId ? 1 : 0,
    )
  }

  const start = (batch: ReadonlyArray<Waiting>) => {
    running++
    for (const { request } of batch) held.add(request.streamId)
    void run(batch)
      .then(async (again) => {
        // Each alone, one after another: the batch's streams stay held until the last has run.
        for (const one of again) await run([one])
      })
      .catch((error: unknown) => {
        for (const one of batch) one.reject(error)
      })
      .finally(() => {
        running--
        for (const { request } of batch) held.delete(request.streamId)
        pump()
      })
  }

  const pump = () => {
    while (running < maxRunning && waiting.length > 0) {
      const batch = take()
      if (batch.length === 0) return
      start(batch)
    }
  }

  const decideAndAppend = <R>(request: DecideAndAppendRequest<R>): Promise<DecideAndAppendResult<R>> =>
    new Promise<DecideAndAppendResult<R>>((resolve, reject) => {
      const problem =
        nulProblem('the stream id', request.streamId) ?? nulProblem('the command id', request.commandId)
      if (problem !== undefined) return reject(problem)
      waiting.push({
        // The decision's Left only passes through the store, back to the caller that chose R.
        request: request as DecideAndAppendRequest<unknown>,
        resolve: resolve as (result: DecideAndAppendResult<unknown>) => void,
        reject,
      })
      // The requests of one turn of the event loop go together.
      if (!scheduled) {
        scheduled = true
        setImmediate(() => {
          scheduled = false
          pump()
        })
      }
    })

  return { decideAndAppend }
}
