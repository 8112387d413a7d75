import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  canonicalJson,
  type EventStore,
  inMemoryEventStore,
  type NewEvent,
  partitionOfStream,
  type StoredEvent,
  streamPartitionKey,
  verifyChain,
} from '@elicence/domain'
import Database from 'better-sqlite3'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { notedEvent } from './noted-event.fixture.js'
import { eventStoreSchemaVersion } from './schema.js'
import { openSqliteEventStore, sqliteEventStore } from './sqlite-store.js'

const dir = mkdtempSync(join(tmpdir(), 'elicence-sqlite-schema-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// Schema 1 exactly as the first build wrote it: a file of that build must open in this one.
const schemaVersion1 = `
  CREATE TABLE IF NOT EXISTS events (
    position   INTEGER PRIMARY KEY,
    stream_id  TEXT    NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 0),
    type       TEXT    NOT NULL,
    data       TEXT    NOT NULL,
    metadata   TEXT    NOT NULL,
    command_id TEXT    NOT NULL,
    UNIQUE (stream_id, version)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS events_by_command_id ON events (command_id);
  CREATE TRIGGER IF NOT EXISTS events_are_never_deleted BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only: they are never deleted'); END;
  CREATE TRIGGER IF NOT EXISTS events_are_never_updated BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only: they are never changed'); END;
  PRAGMA user_version = 1;
`

// What schema 2's migration did to a schema 1 file, exactly as build 2 wrote it.
const schemaVersion2 = `
  ALTER TABLE events ADD COLUMN partition_key INTEGER;
  DROP TRIGGER events_are_never_updated;
  UPDATE events SET partition_key = elicence_partition_key(stream_id);
  CREATE TRIGGER events_are_never_updated BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only: they are never changed'); END;
  CREATE TRIGGER events_have_a_partition_key BEFORE INSERT ON events WHEN NEW.partition_key IS NULL
    BEGIN SELECT RAISE(ABORT, 'an event needs the partition key of its stream'); END;
  CREATE INDEX events_by_position_and_partition ON events (position, partition_key);
  PRAGMA user_version = 2;
`

// What schema 3's migration did to a schema 2 file, exactly as build 3 wrote it.
const schemaVersion3 = `
  CREATE INDEX events_by_stream_and_command_id ON events (stream_id, command_id, version);
  DROP INDEX events_by_command_id;
  PRAGMA user_version = 3;
`

const noted = (n: number): NewEvent => notedEvent({ n, text: '粤A 🚗' })

const streamIds = ['licence-11010519491231002X', 'licence-110105194912310037', 'stream-é', 'stream-粤A']

/** A schema 1 file holding real sealed events (made by the in-memory store), rows as build 1 wrote them. */
const versionOneFile = async (): Promise<{ path: string; events: ReadonlyArray<StoredEvent> }> => {
  const memory = inMemoryEventStore()
  for (let round = 0; round < 3; round++) {
    for (const streamId of streamIds) {
      const appended = await memory.appendToStream(streamId, 'any', [noted(round), noted(round + 10)])
      if (E.isLeft(appended)) throw new Error(appended.left.message)
    }
  }
  const read = await memory.readAll({ after: 0, limit: 1000 })
  if (E.isLeft(read)) throw new Error(read.left.message)
  const path = join(dir, `${randomUUID()}.db`)
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.exec(schemaVersion1)
  const insert = db.prepare(
    `INSERT INTO events (position, stream_id, version, type, data, metadata, command_id)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  for (const event of read.right.events) {
    insert.run(
      event.position,
      event.streamId,
      event.version,
      event.type,
      canonicalJson(event.data),
      JSON.stringify(event.metadata),
      event.metadata.commandId,
    )
  }
  db.close()
  return { path, events: read.right.events }
}

/** A schema 2 file: the schema 1 file, migrated as build 2 did it. */
const versionTwoFile = async (): Promise<{ path: string; events: ReadonlyArray<StoredEvent> }> => {
  const file = await versionOneFile()
  withFile(file.path, (db) => {
    db.function('elicence_partition_key', { deterministic: true }, (streamId: unknown) =>
      streamPartitionKey(String(streamId)),
    )
    db.exec(schemaVersion2)
  })
  return file
}

/** A schema 3 file: the schema 2 file, migrated as build 3 did it. */
const versionThreeFile = async (): Promise<{ path: string; events: ReadonlyArray<StoredEvent> }> => {
  const file = await versionTwoFile()
  withFile(file.path, (db) => db.exec(schemaVersion3))
  return file
}

const withFile = <A>(path: string, use: (db: Database.Database) => A): A => {
  const db = new Database(path)
  try {
    return use(db)
  } finally {
    db.close()
  }
}

const schemaOf = (path: string) =>
  withFile(path, (db) => ({
    version: db.pragma('user_version', { simple: true }),
    objects: db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY type, name').all(),
  }))

const partitionOf = async (store: EventStore, index: number, count: number) => {
  const read = await store.readPartition?.({ after: 0, limit: 1000, partition: { index, count } })
  if (read === undefined || E.isLeft(read)) throw new Error('expected a partition')
  return read.right.events
}

describe('sqlite event store schema', () => {
  it(`migrates a schema 1 file to ${eventStoreSchemaVersion} on open: keys backfilled, events untouched`, async () => {
    const { path, events } = await versionOneFile()
    const store = sqliteEventStore({ path })
    const all = await store.readAll({ after: 0, limit: 1000 })
    expect(E.isRight(all) && all.right.events).toEqual(events)
    for (const count of [1, 2, 3]) {
      for (let index = 0; index < count; index++) {
        expect(await partitionOf(store, index, count)).toEqual(
          events.filter((event) => partitionOfStream(event.streamId, count) === index),
        )
      }
    }
    // Appends go on as before, in the partition of their stream.
    const appended = await store.appendToStream(streamIds[0] ?? '', 5, [noted(99)])
    expect(E.isRight(appended) && appended.right.version).toBe(6)
    const stream = await store.readStream(streamIds[0] ?? '')
    expect(E.isRight(stream) && (await verifyChain(stream.right.events))).toEqual([])
    await store.close()

    withFile(path, (db) => {
      expect(db.pragma('user_version', { simple: true })).toBe(eventStoreSchemaVersion)
      const rows = db.prepare('SELECT stream_id, partition_key FROM events').all() as ReadonlyArray<{
        stream_id: string
        partition_key: number
      }>
      expect(rows).toHaveLength(events.length + 1)
      for (const row of rows) expect(row.partition_key).toBe(streamPartitionKey(row.stream_id))
      // Still append-only, and no event goes in without its key.
      expect(() => db.prepare("UPDATE events SET data = '{}'").run()).toThrow(/append-only/)
      expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/)
      expect(() =>
        db
          .prepare(
            `INSERT INTO events (stream_id, version, type, data, metadata, command_id)
             VALUES ('stream-x', 0, 'Noted', '{}', '{}', 'c')`,
          )
          .run(),
      ).toThrow(/NOT NULL constraint failed: events.partition_key/)
    })
  })

  it('a migrated file has the schema of a new one, and opening it again changes nothing', async () => {
    const { path } = await versionOneFile()
    await sqliteEventStore({ path }).close()
    const migrated = schemaOf(path)
    const fresh = join(dir, `${randomUUID()}.db`)
    await sqliteEventStore({ path: fresh }).close()
    expect(schemaOf(fresh)).toEqual(migrated)

    const again = sqliteEventStore({ path })
    const before = withFile(path, (db) => db.prepare('SELECT * FROM events ORDER BY position').all())
    await again.close()
    expect(schemaOf(path)).toEqual(migrated)
    expect(withFile(path, (db) => db.prepare('SELECT * FROM events ORDER BY position').all())).toEqual(before)
  })

  it(`migrates a schema 2 file to ${eventStoreSchemaVersion}: the command index leads with the stream, events untouched`, async () => {
    const { path, events } = await versionTwoFile()
    const indexesOf = () =>
      withFile(path, (db) =>
        db
          .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
          )
          .all(),
      )
    expect(JSON.stringify(indexesOf())).toContain('events_by_command_id ON events (command_id)')

    // Read only, a schema 2 file is read as it is: nothing is migrated.
    const reader = openSqliteEventStore({ path, readOnly: true })
    if (E.isLeft(reader)) throw new Error(reader.left.message)
    const read = await reader.right.readAll({ after: 0, limit: 1000 })
    expect(E.isRight(read) && read.right.events).toEqual(events)
    await reader.right.close()
    expect(withFile(path, (db) => db.pragma('user_version', { simple: true }))).toBe(2)

    const store = sqliteEventStore({ path })
    const all = await store.readAll({ after: 0, limit: 1000 })
    expect(E.isRight(all) && all.right.events).toEqual(events)
    // A command already on the stream is found by the new index: the handler's idempotency holds.
    const first = events[0]
    if (first === undefined) throw new Error('expected events')
    const found = await store.decideAndAppend?.({
      streamId: first.streamId,
      after: -1,
      commandId: first.metadata.commandId,
      decide: (since) => E.left(since.ofCommand.map((event) => event.metadata.eventId)),
    })
    expect(found).toEqual(E.right(E.left([first.metadata.eventId])))
    await store.close()
    expect(withFile(path, (db) => db.pragma('user_version', { simple: true }))).toBe(eventStoreSchemaVersion)
    expect(indexesOf()).toEqual([
      {
        name: 'events_by_position_and_partition',
        sql: 'CREATE INDEX events_by_position_and_partition ON events (position, partition_key)',
      },
      {
        name: 'events_by_stream_and_command_id',
        sql: 'CREATE INDEX events_by_stream_and_command_id ON events (stream_id, command_id, version)',
      },
    ])
  })

  it(`migrates a schema 3 file to ${eventStoreSchemaVersion}: the partition key NOT NULL instead of a trigger, events untouched`, async () => {
    const { path, events } = await versionThreeFile()
    const keyGuards = () =>
      withFile(path, (db) => ({
        triggers: db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
          .pluck()
          .all(),
        keyColumn: (db.pragma('table_info(events)') as ReadonlyArray<{ name: string; notnull: number }>).find(
          (column) => column.name === 'partition_key',
        )?.notnull,
      }))
    expect(keyGuards()).toEqual({
      triggers: ['events_are_never_deleted', 'events_are_never_updated', 'events_have_a_partition_key'],
      keyColumn: 0,
    })

    // Read only, a schema 3 file is read as it is: nothing is migrated.
    const reader = openSqliteEventStore({ path, readOnly: true })
    if (E.isLeft(reader)) throw new Error(reader.left.message)
    const read = await reader.right.readAll({ after: 0, limit: 1000 })
    expect(E.isRight(read) && read.right.events).toEqual(events)
    await reader.right.close()
    expect(withFile(path, (db) => db.pragma('user_version', { simple: true }))).toBe(3)

    const store = sqliteEventStore({ path })
    const all = await store.readAll({ after: 0, limit: 1000 })
    expect(E.isRight(all) && all.right.events).toEqual(events)
    const appended = await store.appendToStream(streamIds[1] ?? '', 5, [noted(7)])
    expect(E.isRight(appended) && appended.right.version).toBe(6)
    await store.close()
    expect(withFile(path, (db) => db.pragma('user_version', { simple: true }))).toBe(eventStoreSchemaVersion)
    expect(keyGuards()).toEqual({
      triggers: ['events_are_never_deleted', 'events_are_never_updated'],
      keyColumn: 1,
    })
  })

  it('refuses to migrate a file with an event that lost its partition key, naming it, and leaves the file as it was', async () => {
    const { path } = await versionTwoFile()
    // Changed outside the store: the triggers set aside, one event's key taken away.
    withFile(path, (db) => {
      db.exec(`DROP TRIGGER events_are_never_updated;
        UPDATE events SET partition_key = NULL WHERE position = 3;
        CREATE TRIGGER events_are_never_updated BEFORE UPDATE ON events
          BEGIN SELECT RAISE(ABORT, 'events are append-only: they are never changed'); END;`)
    })
    const before = schemaOf(path)
    const opened = openSqliteEventStore({ path })
    expect(E.isLeft(opened) && opened.left.message).toMatch(
      /cannot migrate schema 3 to 4: 1 event\(s\) have no partition key.*changed outside the store/,
    )
    // Schema 3's step, taken before the refusal in the same transaction, was rolled back with it.
    expect(schemaOf(path)).toEqual(before)
    expect(before.version).toBe(2)
  })

  it('read only, refuses a schema 1 file, which needs a migration first, and names what to do', async () => {
    const { path } = await versionOneFile()
    const opened = openSqliteEventStore({ path, readOnly: true })
    expect(E.isLeft(opened) && opened.left.message).toMatch(
      new RegExp(
        `schema 1, older than this build reads \\(2 to ${eventStoreSchemaVersion}\\); open it once read-write`,
      ),
    )
    expect(withFile(path, (db) => db.pragma('user_version', { simple: true }))).toBe(1)
  })
})
