/**
 * `decideAndAppend` on PostgreSQL, batched (DESIGN §4 "Concurrency", issue 9): the decisions that
 * wait at the same moment, on different streams, share one transaction on one connection, so one
 * commit (one WAL flush, with `synchronous_commit` on) serves them all, in one or two round trips.
 *
 * Decided ahead, one round trip: a caller that folded the stream up to the head this store last
 * read or wrote of it (or a caller that folded nothing, of a stream the store knows nothing of,
 * taken to be new) is decided at once, in Node, on that state: no events since, none of its command.
 * One message then carries BEGIN, `append_if_current` (schema.ts) and COMMIT: under the streams'
 * locks (sorted stream-id order) it checks each premise — the head is still that version and hash,
 * the command id is on none of the stream's events — and appends the events of the streams whose
 * premises hold. A decision on a state that held under the lock is the decision that would have
 * been taken under it, so the outcome is that of deciding inside the lock. A stream whose premise
 * failed has nothing written and its caller is decided again the long way, below; so is one whose
 * decision failed (a throw, events that cannot be sealed): it is not answered from a state the lock
 * did not confirm. A stream new to this store that already exists (a process that just started)
 * costs that one extra round trip, once.
 *
 * The long way, two round trips:
 * 1. BEGIN; `lock_and_read` (schema.ts): the advisory locks of all its streams, taken in sorted
 *    stream-id order, so two batches (of this process or any other) that share streams take them in
 *    the same order and never deadlock (every other writer takes one stream's lock alone); then one
 *    read, for every stream: its head, the events after what the caller folded, the command's
 *    earlier events (by the `command_id` index). One message.
 * 2. Each caller's synchronous decision, in Node. A Left, a throw or events that cannot be sealed
 *    answer that caller only; the others go on.
 * 3. One `append_batch` (schema.ts) with every decided event, then COMMIT. One message.
 *
 * Either way nothing is answered before the COMMIT has returned: the outcome of a decision that
 * appended nothing (a replay, a refusal) is answered then too, so it never rests on a state that
 * could still change.
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
 * const decisions = batchedDecisions({ pool, schema, known, remember, forget, readStream })
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
  type StreamSince,
  sealEventsWithData,
  streamPartitionKey,
} from '@elicence/domain'
import { nodeSha256Hex } from '@elicence/projections/node'
import * as E from 'fp-ts/lib/Either.js'
import { DatabaseError, escapeLiteral, type Pool, type PoolClient } from 'pg'
import {
  type EventRow,
  type Head,
  newStream,
  type Statement,
  storedAppended,
  toStored,
} from './event-rows.js'
import { checkOut, release, rollBackAfter } from './pool-client.js'
import { appendProblem, textProblem } from './postgres-text.js'
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
  /** The head this store last read or wrote of a stream, if it remembers one (appends.ts). */
  readonly known: (streamId: string) => Head | undefined
  /** Heads of streams this store read or wrote, shared with the other appends (appends.ts). */
  readonly remember: (streamId: string, head: Head) => void
  readonly forget: (streamId: string) => void
  readonly readStream: Statement
}

/**
 * A row of the batch read: which request (1-based), an event row, and what it is to that request:
 * 'h' its stream's last event (its version and hash; no body), 'e' an event after its `after`, 'c' one of its command's.
 */
type BatchRow = [request: string, ...EventRow, tag: 'h' | 'e' | 'c']

/** A row of an append: the stream, and the version and position of one of its events (NULL: not appended). */
type AppendedBatchRow = [stream: string, version: number | null, position: string | null]

/** The server refused a statement for what was in it: nothing was committed, and alone each may pass. */
const refusedForItsContent = (error: unknown): boolean =>
  error instanceof DatabaseError &&
  (error.code === chainMismatchState || ['22', '23', '54', 'P0'].includes(error.code?.slice(0, 2) ?? ''))

/**
 * What PostgreSQL would not keep as sent (postgres-text.ts) is refused here, for its own request
 * alone; U+0000 would also end a simple-protocol message inside a literal.
 */
const refusal = (problem: string | undefined): Error | undefined =>
  problem === undefined ? undefined : new Error(problem)

const text = (value: string) => escapeLiteral(value)
const textArray = (values: ReadonlyArray<string>) => `ARRAY[${values.map(text).join(', ')}]::text[]`
const integerArray = (values: ReadonlyArray<number>, type: 'integer' | 'bigint') =>
  `ARRAY[${values.map((value) => String(Math.trunc(value))).join(', ')}]::${type}[]`

const byStreamId = (a: Waiting, b: Waiting) =>
  a.request.streamId < b.request.streamId ? -1 : a.request.streamId > b.request.streamId ? 1 : 0

/** What a batch leaves to run again: each alone (the server refused the batch), or the long way (premises that failed). */
interface Leftover {
  readonly alone: ReadonlyArray<Waiting>
  readonly locked: ReadonlyArray<Waiting>
}

const nothingLeft: Leftover = { alone: [], locked: [] }

export const batchedDecisions = (options: BatchedDecisionsOptions) => {
  const { pool, schema, known, remember, forget, readStream } = options

  // Simple-protocol messages (several statements, no parameters), so values are quoted with pg's
  // escapeLiteral, the standard string quoting.
  const beginLockAndReadSql = (batch: ReadonlyArray<DecideAndAppendRequest<unknown>>) =>
    `BEGIN; SELECT * FROM "${schema}".lock_and_read(${textArray(batch.map((request) => request.streamId))},
      ${integerArray(
        batch.map((request) => request.after),
        'integer',
      )}, ${textArray(batch.map((request) => request.commandId))})`

  /** One stream's sealed events, and what an append needs of them. */
  interface Sealed {
    readonly streamId: string
    readonly head: Head
    readonly events: ReadonlyArray<SealedEvent>
    readonly data: ReadonlyArray<string>
    readonly metadata: ReadonlyArray<string>
  }

  /** What one decision came to: answered as it is, appended once sealed, or the caller's failure. */
  type Outcome = DecideAndAppendResult<unknown> | Sealed | { readonly failed: unknown }

  /** One event of a sealed stream, with its place among the stream's. */
  interface EventOf {
    readonly one: Sealed
    readonly event: SealedEvent
    readonly index: number
  }

  /** A request decided ahead: the head it was decided on, and what it came to. */
  interface DecidedAhead {
    readonly waiting: Waiting
    readonly head: Head
    readonly outcome: Outcome
  }

  const seal = (streamId: string, head: Head, events: ReadonlyArray<NewEvent>): Sealed => {
    const problem = refusal(appendProblem(streamId, events))
    if (problem !== undefined) throw problem
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

  const isSealed = (outcome: Outcome | undefined): outcome is Sealed =>
    outcome !== undefined && 'head' in outcome

  /** The caller's decision on `since`, its stream's head being `head`. */
  const decideOn = (request: DecideAndAppendRequest<unknown>, head: Head, since: StreamSince): Outcome => {
    const decided = callDecide(request, since)
    if (E.isLeft(decided)) return decided
    if (E.isLeft(decided.right)) return E.right(decided.right)
    const appending = decided.right.right
    if (appending.length === 0) return E.right(E.right({ events: [], version: head.version }))
    try {
      return seal(request.streamId, head, appending)
    } catch (failed) {
      // Events with no JSON form: this caller's failure alone.
      return { failed }
    }
  }

  /** The per-event arrays both appends take, from the stream's partition key on, in their order. */
  const eventArrays = (events: ReadonlyArray<EventOf>) =>
    [
      integerArray(
        events.map(({ one }) => streamPartitionKey(one.streamId)),
        'bigint',
      ),
      integerArray(
        events.map(({ event }) => event.version),
        'integer',
      ),
      textArray(events.map(({ event }) => event.type)),
      textArray(events.map(({ one, index }) => one.data[index] ?? 'null')),
      textArray(events.map(({ one, index }) => one.metadata[index] ?? 'null')),
      textArray(events.map(({ event }) => event.metadata.commandId)),
    ].join(',\n      ')

  const eventsOf = (one: Sealed): EventOf[] => one.events.map((event, index) => ({ one, event, index }))

  const appendAndCommitSql = (all: ReadonlyArray<Sealed>) => {
    const events = all.flatMap(eventsOf)
    return `SELECT appended_stream, appended_version, appended_position FROM "${schema}".append_batch(
      ${textArray(all.map((one) => one.streamId))},
      ${integerArray(
        all.map((one) => one.head.version + 1),
        'integer',
      )},
      ${textArray(all.map((one) => one.head.hash))},
      ${textArray(events.map(({ one }) => one.streamId))},
      ${eventArrays(events)}); COMMIT`
  }

  /** The checks and appends of a batch decided ahead. */
  const appendIfCurrentSql = (batch: ReadonlyArray<DecidedAhead>) => {
    const events = batch.flatMap(({ outcome }, request) =>
      isSealed(outcome) ? eventsOf(outcome).map((event) => ({ ...event, request: request + 1 })) : [],
    )
    return `BEGIN; SELECT appended_stream, appended_version, appended_position FROM "${schema}".append_if_current(
      ${textArray(batch.map(({ waiting }) => waiting.request.streamId))},
      ${integerArray(
        batch.map(({ head }) => head.version),
        'integer',
      )},
      ${textArray(batch.map(({ head }) => head.hash))},
      ${textArray(batch.map(({ waiting }) => waiting.request.commandId))},
      ${integerArray(
        events.map(({ request }) => request),
        'integer',
      )},
      ${eventArrays(events)}); COMMIT`
  }

  /** Positions by `version stream`, from an append's rows; the streams it did not append, apart. */
  const positionsOf = (rows: ReadonlyArray<AppendedBatchRow>) => {
    const positions = new Map<string, number>()
    const stale = new Set<string>()
    for (const [streamId, version, position] of rows) {
      if (version === null || position === null) stale.add(streamId)
      else positions.set(`${version} ${streamId}`, Number(position))
    }
    return { positions, stale }
  }

  /** The stored events of `one`, from the positions the append returned. */
  const storedOf = (one: Sealed, positions: ReadonlyMap<string, number>) => {
    const events = packedMap(one.events, (event, index): StoredEvent => {
      const position = positions.get(`${event.version} ${one.streamId}`)
      if (position === undefined)
        throw new Error(`the append returned no position for ${one.streamId}@${event.version}`)
      return storedAppended(event, position, one.data[index], one.metadata[index])
    })
    const last = one.events[one.events.length - 1]
    if (last !== undefined) remember(one.streamId, { version: last.version, hash: last.metadata.hash })
    return { events, version: one.head.version + events.length }
  }

  /** Answers each caller with its outcome, once the transaction has committed. */
  const answer = (
    batch: ReadonlyArray<Waiting>,
    outcomes: ReadonlyArray<Outcome>,
    positions: ReadonlyMap<string, number>,
  ) => {
    batch.forEach((waiting, index) => {
      const outcome = outcomes[index]
      if (outcome === undefined) waiting.reject(new Error('a decision of the batch went missing'))
      else if ('failed' in outcome) waiting.reject(outcome.failed)
      else if (isSealed(outcome)) {
        try {
          waiting.resolve(E.right(E.right(storedOf(outcome, positions))))
        } catch (error) {
          waiting.reject(error)
        }
      } else waiting.resolve(outcome)
    })
  }

  /**
   * Runs `work` in a transaction (its first message opens it, its last commits it) on a connection
   * of its own. When the server refused the batch for its content, nothing was committed and its
   * requests are handed back to be run alone; any other failure fails them all.
   */
  const transact = async (
    batch: ReadonlyArray<Waiting>,
    work: (client: PoolClient) => Promise<Leftover>,
  ): Promise<Leftover> => {
    const client = await checkOut(pool)
    let broken = false
    try {
      return await work(client)
    } catch (error) {
      for (const { request } of batch) forget(request.streamId)
      broken = await rollBackAfter(client, error)
      if (batch.length > 1 && !broken && refusedForItsContent(error)) return { alone: batch, locked: [] }
      for (const waiting of batch) waiting.reject(error)
      return nothingLeft
    } finally {
      release(client, broken)
    }
  }

  /** The long way: locks and reads, decisions, appends and COMMIT (sorted by stream id, one request per stream). */
  const runLocked = (batch: ReadonlyArray<Waiting>): Promise<Leftover> =>
    transact(batch, async (client) => {
      const requests = batch.map((waiting) => waiting.request)
      const read = (await client.query({
        text: beginLockAndReadSql(requests),
        rowMode: 'array',
      })) as unknown as ReadonlyArray<{ readonly rows: ReadonlyArray<BatchRow> }>
      // Held until COMMIT: what was read cannot go stale before the insert.
      const rowsOf = batch.map((): BatchRow[] => [])
      for (const row of read[1]?.rows ?? []) rowsOf[Number(row[0]) - 1]?.push(row)
      const tagged = (rows: ReadonlyArray<BatchRow>, tag: BatchRow[7]) =>
        packedMap(
          rows.filter((row) => row[7] === tag),
          ([, position, id, version, type, data, metadata]) =>
            toStored([position, id, version, type, data, metadata]),
        ).sort((a, b) => a.version - b.version)

      const outcomes: Outcome[] = []
      for (const [index, request] of requests.entries()) {
        const rows = rowsOf[index] ?? []
        const last = rows.find((row) => row[7] === 'h')
        const head = last === undefined ? newStream : { version: last[3], hash: last[6].hash }
        // The next decision on this stream can be taken ahead, on what was read here.
        remember(request.streamId, head)
        // A caller that folded more than this stream holds does not know this stream's past: all of it.
        const events =
          request.after <= head.version
            ? tagged(rows, 'e')
            : packedMap(
                (await client.query<EventRow>({ ...readStream([request.streamId]), rowMode: 'array' })).rows,
                toStored,
              )
        outcomes.push(
          decideOn(request, head, { version: head.version, events, ofCommand: tagged(rows, 'c') }),
        )
      }

      const appending = outcomes.filter(isSealed)
      let positions = new Map<string, number>()
      if (appending.length === 0) await client.query('COMMIT')
      else {
        const appended = (await client.query({
          text: appendAndCommitSql(appending),
          rowMode: 'array',
        })) as unknown as ReadonlyArray<{ readonly rows: ReadonlyArray<AppendedBatchRow> }>
        positions = positionsOf(appended[0]?.rows ?? []).positions
      }
      answer(batch, outcomes, positions)
      return nothingLeft
    })

  /**
   * Decided ahead (sorted by stream id, one request per stream, each with the head it is decided
   * on): one message; the requests whose premises failed, or whose decision did, are left for the
   * long way.
   */
  const runAhead = async (
    batch: ReadonlyArray<{ readonly waiting: Waiting; readonly head: Head }>,
  ): Promise<Leftover> => {
    const decided = batch.map(({ waiting, head }): DecidedAhead => {
      const since = { version: head.version, events: [], ofCommand: [] }
      return { waiting, head, outcome: decideOn(waiting.request, head, since) }
    })
    // A store-failure or a failure to seal is not answered from a state the lock has not confirmed.
    const answerable = ({ outcome }: DecidedAhead) =>
      isSealed(outcome) || ('_tag' in outcome && E.isRight(outcome))
    const sent = decided.filter(answerable)
    const unsent = decided.filter((one) => !answerable(one)).map(({ waiting }) => waiting)
    if (sent.length === 0) return { alone: [], locked: unsent }
    const left = await transact(
      sent.map(({ waiting }) => waiting),
      async (client) => {
        const appended = (await client.query({
          text: appendIfCurrentSql(sent),
          rowMode: 'array',
        })) as unknown as ReadonlyArray<{ readonly rows: ReadonlyArray<AppendedBatchRow> }>
        const { positions, stale } = positionsOf(appended[1]?.rows ?? [])
        const current: DecidedAhead[] = []
        const locked: Waiting[] = []
        for (const one of sent) {
          if (stale.has(one.waiting.request.streamId)) locked.push(one.waiting)
          else current.push(one)
        }
        answer(
          current.map(({ waiting }) => waiting),
          current.map(({ outcome }) => outcome),
          positions,
        )
        return { alone: [], locked }
      },
    )
    return { alone: left.alone, locked: [...left.locked, ...unsent].sort(byStreamId) }
  }

  /** The premise a request can be decided ahead on: the head it folded to, if that is the head this store knows. */
  const premiseOf = (request: DecideAndAppendRequest<unknown>): Head | undefined => {
    const head = known(request.streamId) ?? (request.after === -1 ? newStream : undefined)
    return head?.version === request.after ? head : undefined
  }

  /**
   * Runs one batch (sorted by stream id, one request per stream) and answers its callers: those
   * with a premise decided ahead, the others the long way, at the same time on two connections
   * (disjoint streams, each transaction locking in sorted order); then what is left.
   */
  const run = async (batch: ReadonlyArray<Waiting>): Promise<void> => {
    const ahead: Array<{ readonly waiting: Waiting; readonly head: Head }> = []
    const theLongWay: Waiting[] = []
    for (const waiting of batch) {
      const head = premiseOf(waiting.request)
      if (head === undefined) theLongWay.push(waiting)
      else ahead.push({ waiting, head })
    }
    const [fromAhead, fromLocked] = await Promise.all([
      ahead.length === 0 ? nothingLeft : runAhead(ahead),
      theLongWay.length === 0 ? nothingLeft : runLocked(theLongWay),
    ])
    const locked = fromAhead.locked
    const alone = [...fromAhead.alone, ...fromLocked.alone]
    if (locked.length > 0) {
      const again = await runLocked(locked)
      alone.push(...again.alone)
    }
    // Each alone, one after another: the batch's streams stay held until the last has run.
    for (const one of alone) await run([one])
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
    return batch.sort(byStreamId)
  }

  const start = (batch: ReadonlyArray<Waiting>) => {
    running++
    for (const { request } of batch) held.add(request.streamId)
    void run(batch)
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
      const problem = refusal(
        textProblem('the stream id', request.streamId) ?? textProblem('the command id', request.commandId),
      )
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
