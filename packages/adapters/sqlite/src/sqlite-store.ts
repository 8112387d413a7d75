/**
 * The SQLite EventStore, the embedded default of DESIGN §4: one database file in WAL mode, so
 * readers never wait for the writer and several processes can share the file.
 *
 * Appends run in `BEGIN IMMEDIATE` transactions: each takes the database's write lock first, then
 * checks the expected version, seals the events into the stream's hash chain (SHA-256 from
 * node:crypto, synchronous, so the whole append runs inside the lock) and inserts them. Appends that
 * arrive in the same turn of the event loop share one transaction (group commit), each all-or-none,
 * so concurrent clients of one process share a commit. Positions are the table's rowid,
 * handed out inside the lock, so transactions commit in position order: a reader polling `readAll`
 * by position sees a growing prefix and can never miss an event that commits late with a lower
 * position. Across processes the same lock serialises writers; how a group waits for it, and how
 * each write stays all-or-none within the group's transaction, is `group-commit.ts`.
 *
 * `decideAndAppend` (DESIGN §4 "Concurrency") joins the same group: inside the write transaction it
 * reads the stream's head, the events after the version the caller has folded and the command's
 * earlier events (by the index on stream and command id), calls the caller's synchronous decision
 * and inserts its events, all or none. Holding the lock from the read to the
 * insert is what makes writers on one stream queue instead of conflicting: in one process the
 * group's requests run one after the other (the second sees the first's events), and another
 * process cannot begin its transaction until this one commits.
 *
 * Checkpoints of the log run mostly beside the writer, on a worker thread (`checkpoints.ts`).
 *
 * The store returns events as stored (JSON bodies parsed, not decoded): decoding is the handler's.
 *
 * It reads partitions (`readPartition`, DESIGN §8): each event carries its stream's partition key in
 * a column, and a partition's page scans the index on (position, partition_key) from `after`, so
 * it keeps the order, paging and late-commit guarantees of `readAll` (it reads the same rowids).
 *
 * @example
 * import { sqliteEventStore } from '@elicence/sqlite'
 * const store = sqliteEventStore({ path: './data/elicence.db' })
 * const handle = commandHandler({ store, decider: licenceDecider({ calendar: chinaMainlandCalendar() }) })
 * await store.close()
 */

import {
  type AppendResult,
  callDecide,
  canonicalJson,
  concurrencyConflict,
  type DecideAndAppendRequest,
  type DecideAndAppendResult,
  type EventStore,
  type ExpectedVersion,
  expectedVersionMatches,
  genesisHash,
  type NewEvent,
  packedMap,
  partitionProblem,
  type StoredEvent,
  type StoreError,
  type StoreFailure,
  sealEventsWithData,
  storedJson,
  storeFailure,
  streamPartitionKey,
} from '@elicence/domain'
import { nodeSha256Hex } from '@elicence/projections/node'
import type Database from 'better-sqlite3'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { backgroundCheckpoints } from './checkpoints.js'
import { changedUnderImmutableRead, openDatabaseFile, sqliteFailure } from './database-file.js'
import { logKeeper, whenFullCheckpointAndRetry } from './full-disk.js'
import { groupCommit } from './group-commit.js'
import { prepareSchema } from './schema.js'

export interface SqliteEventStoreOptions {
  /** The database file; created, with its schema, when missing (unless `readOnly`). */
  readonly path: string
  /**
   * Read only: the file must exist and hold the schema; nothing is created or migrated, appends
   * fail, and a file on read-only media is read all the same. For tools that only read (export, audit).
   */
  readonly readOnly?: boolean
  /** How long a write waits for another connection's write transaction, in ms (default 5000). */
  readonly busyTimeoutMs?: number
  /**
   * SQLite's `synchronous` setting. `full` (default): a commit is on disk before the append returns,
   * so it survives a power loss. `normal`: the WAL is synced only at checkpoints; a crash of the
   * process loses nothing, a power loss may lose the last commits (the file stays consistent).
   */
  readonly synchronous?: 'full' | 'normal'
}

type EventRow = [
  position: number,
  streamId: string,
  version: number,
  type: string,
  data: string,
  metadata: string,
]

/** A row of `headAndSince`: version and hash of each event from `after` on, the text of those after it. */
type HeadRow = [
  version: number,
  hash: string,
  position: number,
  streamId: string,
  type: string,
  data: string | null,
  metadata: string | null,
]

const toStoredEvent = (row: EventRow): StoredEvent => ({
  streamId: row[1],
  version: row[2],
  position: row[0],
  type: row[3],
  // A column edited into text that is not JSON is that event's corruption, named by the readers.
  data: storedJson(row[4]),
  metadata: storedJson(row[5]) as StoredEvent['metadata'],
})

const failure = (what: string, cause: unknown): StoreFailure => sqliteFailure('sqlite', what, cause)

/** A command's events on a stream: by `events_by_stream_and_command_id`, never a scan of the stream. */
export const commandEventsQuery = `SELECT position, stream_id, version, type, data, metadata FROM events
  WHERE stream_id = ? AND command_id = ? ORDER BY version`

/**
 * Opens (and creates when missing) an event store file. Errors as values: a file that cannot be
 * opened or holds a newer schema is a `store-failure`.
 */
export const openSqliteEventStore = (
  options: SqliteEventStoreOptions | string,
): E.Either<StoreFailure, EventStore> =>
  pipe(
    openDatabaseFile(options, 'sqlite', (db, readOnly) => {
      // Appends go to streams in no particular order, so each touches pages all over the stream
      // indexes; a 64 MiB page cache (taken only as pages are used) keeps them in memory far longer
      // than the 2 MiB default.
      db.pragma('cache_size = -65536')
      return prepareSchema(db, readOnly)
    }),
    E.map(storeOn),
  )

/**
 * The stable entry point of DESIGN §4: like `openSqliteEventStore`, for callers that treat a store
 * that cannot be opened as a startup failure. Throws an Error carrying the `store-failure` as `cause`.
 */
export const sqliteEventStore = (options: SqliteEventStoreOptions | string): EventStore => {
  const opened = openSqliteEventStore(options)
  if (E.isLeft(opened)) throw new Error(opened.left.message, { cause: opened.left })
  return opened.right
}

/** What waits for the next group commit: a plain append, or a decision to take under the lock. */
type PendingWrite =
  | {
      readonly _tag: 'Append'
      readonly streamId: string
      readonly expected: ExpectedVersion
      readonly events: ReadonlyArray<NewEvent>
      readonly resolve: (result: E.Either<StoreError, AppendResult>) => void
    }
  | {
      readonly _tag: 'Decide'
      readonly streamId: string
      readonly request: DecideAndAppendRequest<unknown>
      readonly resolve: (result: DecideAndAppendResult<unknown>) => void
    }

const storeOn = (db: Database.Database): EventStore => {
  const lastOfStream = db
    .prepare<[string], [number, string]>(
      `SELECT version, json_extract(metadata, '$.hash') FROM events
       WHERE stream_id = ? ORDER BY version DESC LIMIT 1`,
    )
    .raw()
  const insert = db.prepare<[string, number, string, string, string, string, number]>(
    `INSERT INTO events (stream_id, version, type, data, metadata, command_id, partition_key)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  const streamEvents = db
    .prepare<[string], EventRow>(
      `SELECT position, stream_id, version, type, data, metadata FROM events
       WHERE stream_id = ? ORDER BY version`,
    )
    .raw()
  // The write probe of /healthz: a commit of about an append's size (a few pages through the write
  // lock, the WAL and its fsync) into a table of its own, one row rewritten, so it fails when an
  // append would; a probe of one page still fits on a disk too full for any append.
  const probeWrite = db.transaction(() => {
    db.exec(
      'CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, probed_at TEXT NOT NULL, pad BLOB NOT NULL)',
    )
    db.prepare(
      `INSERT INTO write_probe (id, probed_at, pad) VALUES (1, ?, zeroblob(16384))
       ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at, pad = excluded.pad`,
    ).run(new Date().toISOString())
  })
  const lastPosition = db.prepare<[], [number | null]>('SELECT max(position) FROM events').raw()
  const commandEvents = db.prepare<[string, string], EventRow>(commandEventsQuery).raw()
  // One statement for what a decision needs of its stream: the head (version and hash of the last
  // event) and the events after `after`. From the event at `after` on, its own text left out (the
  // caller has folded it), so a command on a stream the caller is up to date with reads one narrow row.
  const headAndSince = db
    .prepare<[number, number, string, number], HeadRow>(
      `SELECT version, json_extract(metadata, '$.hash'), position, stream_id, type,
              iif(version > ?, data, NULL), iif(version > ?, metadata, NULL)
       FROM events WHERE stream_id = ? AND version >= max(?, 0) ORDER BY version`,
    )
    .raw()
  const pageOfAll = db
    .prepare<[number, number], EventRow>(
      `SELECT position, stream_id, version, type, data, metadata FROM events
       WHERE position > ? ORDER BY position LIMIT ?`,
    )
    .raw()
  // INDEXED BY: the planner would rather walk the table by rowid, which loads every row of every
  // partition; the narrow index skips the others' rows unread (measured on a million events: as
  // fast for two partitions, about 1.5 times as fast per row for eight).
  const pageOfPartition = db
    .prepare<[number, number, number, number], EventRow>(
      `SELECT position, stream_id, version, type, data, metadata
       FROM events INDEXED BY events_by_position_and_partition
       WHERE position > ? AND partition_key % ? = ? ORDER BY position LIMIT ?`,
    )
    .raw()

  /** Seals `events` after the stream's last event and inserts them; throws for an event with no JSON form. */
  const insertAfter = (
    streamId: string,
    last: [number, string] | undefined,
    events: ReadonlyArray<NewEvent>,
  ): AppendResult => {
    const actual = last?.[0] ?? -1
    const sealed = sealEventsWithData(
      { streamId, firstVersion: actual + 1, prevHash: last?.[1] ?? genesisHash, events },
      nodeSha256Hex,
    )
    const partitionKey = streamPartitionKey(streamId)
    const stored = packedMap(sealed, ({ event, dataJson, metadataJson }): StoredEvent => {
      // The body and metadata are stored in their canonical forms, the body's the very text that
      // was hashed, so the text on disk is what the chain covers, whatever key order the caller
      // used. An event with no data has no JSON form to store: canonicalJson refuses it, as it
      // always did here.
      const { lastInsertRowid } = insert.run(
        streamId,
        event.version,
        event.type,
        dataJson ?? canonicalJson(event.data),
        metadataJson,
        event.metadata.commandId,
        partitionKey,
      )
      // In the member order of `toStoredEvent`: an appended event and a read one share one shape,
      // so the code that handles both stays monomorphic.
      return {
        streamId,
        version: event.version,
        position: Number(lastInsertRowid),
        type: event.type,
        data: event.data,
        metadata: event.metadata,
      }
    })
    return { events: stored, version: actual + stored.length }
  }

  // Both run inside a group's write transaction (group-commit.ts), which takes back what a throw
  // leaves half-written.
  const appendOne = (
    streamId: string,
    expected: ExpectedVersion,
    events: ReadonlyArray<NewEvent>,
  ): E.Either<StoreError, AppendResult> => {
    const last = lastOfStream.get(streamId)
    const actual = last?.[0] ?? -1
    if (!expectedVersionMatches(expected, actual)) {
      return E.left(concurrencyConflict(streamId, expected, actual))
    }
    return E.right(insertAfter(streamId, last, events))
  }

  /** The stream's head and its events after `after`, or the whole stream when `after` is past its end. */
  const streamSince = (
    streamId: string,
    after: number,
  ): { readonly last: [number, string] | undefined; readonly events: StoredEvent[] } => {
    const rows = headAndSince.all(after, after, streamId, after)
    const head = rows[rows.length - 1]
    if (head === undefined && after >= 0) {
      // Past the stream's end: what the caller folded is not this stream's past.
      return {
        last: lastOfStream.get(streamId),
        events: packedMap(streamEvents.all(streamId), toStoredEvent),
      }
    }
    const events: StoredEvent[] = []
    for (let index = 0; index < rows.length; index++) {
      const row = rows[index] as HeadRow
      if (row[0] > after)
        events.push(toStoredEvent([row[2], row[3], row[0], row[4], row[5] ?? '', row[6] ?? '']))
    }
    return { last: head === undefined ? undefined : [head[0], head[1]], events }
  }

  const decideOne = (request: DecideAndAppendRequest<unknown>): DecideAndAppendResult<unknown> => {
    const { streamId, after, commandId } = request
    const { last, events } = streamSince(streamId, after)
    const decided = callDecide(request, {
      version: last?.[0] ?? -1,
      events,
      ofCommand: packedMap(commandEvents.all(streamId, commandId), toStoredEvent),
    })
    if (E.isLeft(decided)) return decided
    if (E.isLeft(decided.right)) return E.right(decided.right)
    return E.right(E.right(insertAfter(streamId, last, decided.right.right)))
  }

  const keepLog = logKeeper(db, () => writes.useAsOpened())
  const checkpoints =
    db.readonly || db.memory
      ? undefined
      : backgroundCheckpoints(db, () => {
          try {
            db.pragma('wal_checkpoint(PASSIVE)')
          } catch {
            // Busy with another connection's checkpoint, or failing: the next batch tries again.
          }
        })
  const writes = groupCommit<PendingWrite>(db, {
    run: (write) =>
      write._tag === 'Append'
        ? appendOne(write.streamId, write.expected, write.events)
        : decideOne(write.request),
    // Each result came from the same write's branch of `run`, so it has that write's type.
    settle: (write, result) =>
      write._tag === 'Append'
        ? write.resolve(result as E.Either<StoreError, AppendResult>)
        : write.resolve(result as DecideAndAppendResult<unknown>),
    streamOf: (write) => write.streamId,
    afterCommit: () => {
      keepLog.afterCommit()
      checkpoints?.afterCommit()
    },
  })

  let closed = false
  const closedFailure = E.left(storeFailure('sqlite: the store is closed'))
  const whileOpen = <A>(
    what: string,
    run: () => E.Either<StoreError, A>,
  ): Promise<E.Either<StoreError, A>> => {
    if (closed) return Promise.resolve(closedFailure)
    try {
      writes.useAsOpened()
      const result = run()
      // Checked after the read: a file read immutably that changed meanwhile may have been read torn.
      const changed = changedUnderImmutableRead(db)
      return Promise.resolve(changed === undefined ? result : E.left(storeFailure(`sqlite: ${changed}`)))
    } catch (cause) {
      return Promise.resolve(E.left(failure(what, cause)))
    }
  }

  return {
    readStream: (streamId) =>
      whileOpen(`cannot read ${streamId}`, () => {
        const events = packedMap(streamEvents.all(streamId), toStoredEvent)
        return E.right({ events, version: events.length - 1 })
      }),
    // One statement, so one snapshot: the event at `after` and those after it agree.
    readStreamAfter: (streamId, after) =>
      whileOpen(`cannot read ${streamId}`, () => {
        const rows = headAndSince.all(after, after, streamId, after)
        const first = rows[0]
        const hashAt = first !== undefined && first[0] === after ? first[1] : undefined
        const events: StoredEvent[] = []
        for (const row of rows)
          if (row[0] > after)
            events.push(toStoredEvent([row[2], row[3], row[0], row[4], row[5] ?? '', row[6] ?? '']))
        const last = rows[rows.length - 1]
        return E.right({
          version: last === undefined ? (lastOfStream.get(streamId)?.[0] ?? -1) : last[0],
          hashAt,
          events,
        })
      }),
    appendToStream: (streamId, expected, events) => {
      if (closed) return Promise.resolve(closedFailure)
      return new Promise((resolve) => writes.enqueue({ _tag: 'Append', streamId, expected, events, resolve }))
    },
    decideAndAppend: <R>(request: DecideAndAppendRequest<R>) => {
      if (closed) return Promise.resolve(closedFailure)
      return new Promise<DecideAndAppendResult<R>>((resolve) =>
        writes.enqueue({
          _tag: 'Decide',
          streamId: request.streamId,
          // The decision's Left only passes through the store, back to the caller that chose R.
          request: request as DecideAndAppendRequest<unknown>,
          resolve: resolve as (result: DecideAndAppendResult<unknown>) => void,
        }),
      )
    },
    readAll: ({ after, limit }) =>
      whileOpen('cannot read the log', () => {
        const events = packedMap(pageOfAll.all(after, limit), toStoredEvent)
        return E.right({ events, lastPosition: events[events.length - 1]?.position ?? after })
      }),
    readPartition: ({ after, limit, partition }) =>
      whileOpen('cannot read a partition of the log', () => {
        const problem = partitionProblem(partition)
        if (problem !== undefined) return E.left(storeFailure(`sqlite: ${problem}`))
        const rows = pageOfPartition.all(after, partition.count, partition.index, limit)
        const events = packedMap(rows, toStoredEvent)
        return E.right({ events, lastPosition: events[events.length - 1]?.position ?? after })
      }),
    headPosition: () =>
      whileOpen('cannot read the head of the log', () => E.right(lastPosition.get()?.[0] ?? 0)),
    probeWrite: () =>
      whileOpen('cannot write', () => {
        whenFullCheckpointAndRetry(db, () => probeWrite.immediate())
        return E.right(undefined)
      }),
    // The SHA-256 the store seals with, for the handler's command hashes too (EventStore.digest).
    digest: nodeSha256Hex,
    close: async () => {
      if (closed) return
      closed = true
      // Appends already accepted are committed (or refused) before the file closes, waiting for
      // the lock as long as the busy timeout allows.
      writes.drain()
      await checkpoints?.close()
      keepLog.close()
      db.close()
    },
  }
}
