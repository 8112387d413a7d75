/**
 * The SQLite schema of the event store: one table of events, its position the rowid, a unique
 * (stream_id, version), an index on (stream_id, command_id, version), and each event's stream
 * partition key with an index for reading by partition. `user_version` records the schema: a file
 * written by a newer build is refused rather than misread, and an older file is migrated on open,
 * once, in one transaction.
 *
 * Schema history:
 * - 1: the events table, its indexes and the triggers that keep it append-only.
 * - 2: `partition_key`, the FNV-1a 32-bit hash of the stream id (`streamPartitionKey` of
 *   @elicence/domain), set at append and backfilled for the events of a version 1 file, and the
 *   index `events_by_position_and_partition` (position, partition_key) that `readPartition` scans.
 * - 3: `events_by_stream_and_command_id` (stream_id, command_id, version) in place of
 *   `events_by_command_id` (command_id). A lookup is always of one command on one stream, in version
 *   order, and this index answers it whole; with only the old one the planner chose the unique
 *   (stream_id, version) index to save the sort, and so scanned the stream. Keyed by the random
 *   command id alone, every append also touched a random page of the index: a commit of eight
 *   commands wrote (and synced) about eight 4 KiB WAL pages more than now, when a stream's entries
 *   sit together. Nothing else changed, so a schema 2 file is still read as it is (read-only opens).
 * - 4: `partition_key` NOT NULL (`ALTER COLUMN … SET NOT NULL`, SQLite 3.53, which refuses while any
 *   row holds a NULL) in place of schema 2's trigger that refused an insert without the key: the same
 *   guarantee, checked inline. The trigger made every insert a multi-write statement, so SQLite
 *   kept a statement journal for it (a copy of every page the insert touched) and ran the trigger's
 *   program: measured, about a tenth of an append's CPU. Readers see no difference, so schema 2 and 3
 *   files are still read as they are.
 *
 * @example
 * const problem = prepareSchema(new Database('./data/elicence.db')) // undefined when ready
 */
import { streamPartitionKey } from '@elicence/domain'
import type Database from 'better-sqlite3'

/** The layout of the events table; `PRAGMA user_version` of every file this build writes. */
export const eventStoreSchemaVersion = 4

/** The oldest schema this build reads unmigrated (a read-only open): 3 and 4 changed only what appends use. */
const oldestReadableSchemaVersion = 2

// STRICT keeps a value of the wrong type out of a column. Positions are the rowid: SQLite hands out
// max(rowid) + 1, so with events never deleted (the triggers refuse it) a position is never reused
// and a polling reader never sees a new event behind one it has passed. AUTOINCREMENT would give
// the same at the cost of a write to sqlite_sequence in every append.
const version1 = `
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
`

// ADD COLUMN cannot add a NOT NULL column without a default, and a default would file an event
// whose writer forgot the key under partition 0; so the column may be NULL only until the backfill,
// and a trigger refuses an insert without it. The backfill is the one update events ever get: the
// trigger that refuses updates is set aside for it, inside the migration's transaction.
// The index has the position first, so a partition is read in global order by scanning a narrow
// index and fetching only its own rows, whatever the count of partitions.
const version2 = `
  ALTER TABLE events ADD COLUMN partition_key INTEGER;
  DROP TRIGGER events_are_never_updated;
  UPDATE events SET partition_key = elicence_partition_key(stream_id);
  CREATE TRIGGER events_are_never_updated BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only: they are never changed'); END;
  CREATE TRIGGER events_have_a_partition_key BEFORE INSERT ON events WHEN NEW.partition_key IS NULL
    BEGIN SELECT RAISE(ABORT, 'an event needs the partition key of its stream'); END;
  CREATE INDEX events_by_position_and_partition ON events (position, partition_key);
`

const version3 = `
  CREATE INDEX events_by_stream_and_command_id ON events (stream_id, command_id, version);
  DROP INDEX events_by_command_id;
`

// The check is SQLite's own (the ALTER refuses a NULL); the count first only names the problem.
const version4 = `
  DROP TRIGGER events_have_a_partition_key;
  ALTER TABLE events ALTER COLUMN partition_key SET NOT NULL;
`

interface Migration {
  readonly sql: string
  /** Why the file cannot take this step, or undefined. */
  readonly refusal?: (db: Database.Database) => string | undefined
}

/** A migration step the file cannot take: thrown inside the migration's transaction, to roll it back. */
class MigrationRefused extends Error {}

const keylessEvents = (db: Database.Database): string | undefined => {
  const count = Number(db.prepare('SELECT count(*) FROM events WHERE partition_key IS NULL').pluck().get())
  return count === 0
    ? undefined
    : `${count} event(s) have no partition key, which schema 2 set for every event and refused to go without: the file was changed outside the store`
}

/** `migrations[n]` brings a file from schema n to n + 1; schema 0 is an empty file. */
const migrations: ReadonlyArray<Migration> = [
  { sql: version1 },
  { sql: version2 },
  { sql: version3 },
  { sql: version4, refusal: keylessEvents },
]

const schemaVersionOf = (db: Database.Database): number | string => {
  const found = db.pragma('user_version', { simple: true })
  return typeof found === 'number' ? found : `unreadable schema version ${String(found)}`
}

const tooNew = (found: number) =>
  `the file has event store schema ${found}, newer than this build reads (${eventStoreSchemaVersion})`

/**
 * Creates or migrates the schema; returns why the file cannot be used, or undefined. Read only, it
 * changes nothing: a file without the schema is refused (a mistyped path must not read as an empty
 * history), and so is one too old to be read as it is.
 */
export const prepareSchema = (db: Database.Database, readOnly = false): string | undefined => {
  const found = schemaVersionOf(db)
  if (typeof found === 'string') return found
  if (found > eventStoreSchemaVersion) return tooNew(found)
  if (found === eventStoreSchemaVersion) return undefined
  if (readOnly) {
    if (found >= oldestReadableSchemaVersion) return undefined
    return found === 0
      ? 'the file holds no event store (no events table); is the path right?'
      : `the file has event store schema ${found}, older than this build reads (${oldestReadableSchemaVersion} to ${eventStoreSchemaVersion}); open it once read-write (e.g. elicence exec) to migrate it`
  }
  db.function('elicence_partition_key', { deterministic: true }, (streamId: unknown) =>
    streamPartitionKey(String(streamId)),
  )
  // Two processes may open an old or new file at once: the write lock lets one migrate, and the
  // other, reading the version again under the lock, finds nothing left to do. A step refused
  // throws, so the steps before it are rolled back with it: the file stays as it was.
  try {
    return db
      .transaction((): string | undefined => {
        const current = schemaVersionOf(db)
        if (typeof current === 'string') return current
        if (current > eventStoreSchemaVersion) return tooNew(current)
        for (let version = current; version < eventStoreSchemaVersion; version++) {
          const migration = migrations[version] as Migration
          const refused = migration.refusal?.(db)
          if (refused !== undefined) {
            throw new MigrationRefused(`cannot migrate schema ${version} to ${version + 1}: ${refused}`)
          }
          db.exec(migration.sql)
        }
        db.pragma(`user_version = ${eventStoreSchemaVersion}`)
        return undefined
      })
      .immediate()
  } catch (thrown) {
    if (thrown instanceof MigrationRefused) return thrown.message
    throw thrown
  }
}
