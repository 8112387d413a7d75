/**
 * The SQLite schema of the event store: one table of events, its position the rowid, a unique
 * (stream_id, version) and an index on command_id. Created idempotently on open; `user_version`
 * records the schema so a file written by a newer build is refused rather than misread.
 *
 * @example
 * const problem = prepareSchema(new Database('./data/elicence.db')) // undefined when ready
 */
import type Database from 'better-sqlite3'

/** The layout of the events table; `PRAGMA user_version` of every file this build writes. */
export const eventStoreSchemaVersion = 1

// STRICT keeps a value of the wrong type out of a column. Positions are the rowid: SQLite hands out
// max(rowid) + 1, so with events never deleted (the triggers refuse it) a position is never reused
// and a polling reader never sees a new event behind one it has passed. AUTOINCREMENT would give
// the same at the cost of a write to sqlite_sequence in every append.
const createSchema = `
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

/** Creates the schema when missing; returns why the file cannot be used, or undefined. */
export const prepareSchema = (db: Database.Database): string | undefined => {
  const found = db.pragma('user_version', { simple: true })
  if (typeof found !== 'number') return `unreadable schema version ${String(found)}`
  if (found > eventStoreSchemaVersion) {
    return `the file has event store schema ${found}, newer than this build reads (${eventStoreSchemaVersion})`
  }
  if (found === eventStoreSchemaVersion) return undefined
  // Two processes may open a new file at once: the write lock makes one create, the other skip.
  db.transaction(() => {
    db.exec(createSchema)
    db.pragma(`user_version = ${eventStoreSchemaVersion}`)
  }).immediate()
  return undefined
}
