import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventStore, NewEvent, StreamSince } from '@elicence/domain'
import { eventStoreConformance } from '@elicence/domain/testing'
import Database from 'better-sqlite3'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { notedEvent } from './noted-event.fixture.js'
import { eventStoreSchemaVersion } from './schema.js'
import { commandEventsQuery, openSqliteEventStore, sqliteEventStore } from './sqlite-store.js'

const conformanceDir = mkdtempSync(join(tmpdir(), 'elicence-sqlite-'))
const paths = new Map<EventStore, string>()
const storeAt = (path: string): EventStore => {
  const store = sqliteEventStore({ path })
  paths.set(store, path)
  return store
}
const pathOf = (store: EventStore): string => {
  const path = paths.get(store)
  if (path === undefined) throw new Error('a store the harness did not open')
  return path
}

eventStoreConformance('sqlite', {
  open: async () => storeAt(join(conformanceDir, `${randomUUID()}.db`)),
  reopen: async (closed) => storeAt(pathOf(closed)),
  // A second connection edits the row, as any other program with the file could: it drops the
  // trigger that refuses updates first.
  tamper: async (store, { streamId, version, data }) => {
    const db = new Database(pathOf(store))
    try {
      db.exec('DROP TRIGGER events_are_never_updated')
      db.prepare('UPDATE events SET data = ? WHERE stream_id = ? AND version = ?').run(
        JSON.stringify(data),
        streamId,
        version,
      )
    } finally {
      db.close()
    }
  },
  cleanup: async () => rmSync(conformanceDir, { recursive: true, force: true }),
})

const noted = (): NewEvent => notedEvent({ n: 1 })

describe('sqliteEventStore: the file', () => {
  // Its own directory: the conformance suite removes its directory when it is done.
  let dir = ''
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'elicence-sqlite-file-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('is in WAL mode, with unique (stream_id, version), indexes on (stream_id, command_id, version) and partitions, and the schema version', async () => {
    const path = join(dir, `${randomUUID()}.db`)
    const store = sqliteEventStore(path)
    await store.close()
    const db = new Database(path, { readonly: true })
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.pragma('user_version', { simple: true })).toBe(eventStoreSchemaVersion)
      const indexes = db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .pluck()
        .all()
      expect(indexes).toEqual(['events_by_position_and_partition', 'events_by_stream_and_command_id'])
      expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'events'").pluck().get()).toMatch(
        /UNIQUE \(stream_id, version\)/,
      )
    } finally {
      db.close()
    }
  })

  it('finds a command on a stream by its index, whatever the stream holds: no scan of the stream', async () => {
    const path = join(dir, `${randomUUID()}.db`)
    const store = sqliteEventStore(path)
    // A long stream and many others, so a plan that scanned the stream would have rows to scan.
    for (let round = 0; round < 20; round++) {
      for (const streamId of ['stream-long', `stream-${round}`]) {
        expect(E.isRight(await store.appendToStream(streamId, 'any', [noted(), noted()]))).toBe(true)
      }
    }
    await store.close()
    const db = new Database(path)
    const planOfLookup = () =>
      (
        db
          .prepare(`EXPLAIN QUERY PLAN ${commandEventsQuery}`)
          .all('stream-long', randomUUID()) as ReadonlyArray<{
          detail: string
        }>
      )
        .map((step) => step.detail)
        .join('; ')
    const byIndex =
      /SEARCH events USING INDEX events_by_stream_and_command_id \(stream_id=\? AND command_id=\?\)/
    try {
      // Without statistics, as in a store that never ran ANALYZE, and with them.
      expect(planOfLookup()).toMatch(byIndex)
      db.exec('ANALYZE')
      expect(planOfLookup()).toMatch(byIndex)
    } finally {
      db.close()
    }
  })

  it('refuses to delete or change a stored event', async () => {
    const path = join(dir, `${randomUUID()}.db`)
    const store = sqliteEventStore({ path })
    expect(E.isRight(await store.appendToStream('stream-1', 'no-stream', [noted()]))).toBe(true)
    await store.close()
    const db = new Database(path)
    try {
      expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/)
      expect(() => db.prepare("UPDATE events SET data = '{}'").run()).toThrow(/append-only/)
      expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(1)
    } finally {
      db.close()
    }
  })

  it('appends that share a commit stay all-or-none each: an insert that fails mid-batch takes back only its own', async () => {
    const path = join(dir, `${randomUUID()}.db`)
    const store = sqliteEventStore({ path })
    // A second connection makes inserts of one event type fail inside SQLite, after its batch began.
    const db = new Database(path)
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.type = 'Poison'
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END`)
    db.close()
    const good = [noted(), noted()]
    const [poisoned, landed] = await Promise.all([
      store.appendToStream('stream-1', 'no-stream', [noted(), { ...noted(), type: 'Poison' }]),
      store.appendToStream('stream-2', 'no-stream', good),
    ])
    expect(poisoned && E.isLeft(poisoned) && poisoned.left.message).toMatch(/poisoned/)
    expect(landed && E.isRight(landed)).toBe(true)
    const log = await store.readAll({ after: 0, limit: 10 })
    expect(E.isRight(log) && log.right.events.map((event) => event.metadata.eventId)).toEqual(
      good.map((event) => event.metadata.eventId),
    )
    await store.close()
  })

  it('decisions that share a commit with a failing write are decided again and applied once each; the failures take back only their own', async () => {
    const path = join(dir, `${randomUUID()}.db`)
    const store = sqliteEventStore({ path })
    const db = new Database(path)
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.type = 'Poison'
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END`)
    db.close()
    const decide = store.decideAndAppend
    if (decide === undefined) throw new Error('the SQLite store decides under its lock')
    const calls = new Map<string, number>()
    const decision = (name: string, streamId: string, events: (since: StreamSince) => NewEvent[]) =>
      decide({
        streamId,
        after: -1,
        commandId: randomUUID(),
        decide: (since) => {
          calls.set(name, (calls.get(name) ?? 0) + 1)
          if (name === 'throws') throw new Error('a broken decision')
          return E.right(events(since))
        },
      })
    const first = noted()
    const second = noted()
    // All in one turn of the event loop, so one group: two decisions on one stream, one decision
    // that throws, one whose events have no JSON form, and an append that SQLite refuses half-way.
    const [a, thrown, unstorable, poisoned, b] = await Promise.all([
      decision('a', 'stream-a', () => [first]),
      decision('throws', 'stream-t', () => [noted()]),
      decision('unstorable', 'stream-u', () => [{ ...noted(), data: { n: 10n } }]),
      store.appendToStream('stream-p', 'no-stream', [noted(), { ...noted(), type: 'Poison' }]),
      decision('b', 'stream-a', (since) => [{ ...second, data: { sawVersion: since.version } }]),
    ])
    expect(a && E.isRight(a) && E.isRight(a.right) && a.right.right.version).toBe(0)
    expect(b && E.isRight(b) && E.isRight(b.right) && b.right.right.version).toBe(1)
    expect(thrown && E.isLeft(thrown) && thrown.left.code).toBe('store-failure')
    expect(unstorable && E.isLeft(unstorable) && unstorable.left.code).toBe('store-failure')
    expect(poisoned && E.isLeft(poisoned) && poisoned.left.message).toMatch(/poisoned/)
    const log = await store.readAll({ after: 0, limit: 10 })
    if (E.isLeft(log)) throw new Error(log.left.message)
    expect(log.right.events.map((event) => [event.streamId, event.version, event.metadata.eventId])).toEqual([
      ['stream-a', 0, first.metadata.eventId],
      ['stream-a', 1, second.metadata.eventId],
    ])
    // The second decision on stream-a saw the first one's event, in either run of the group.
    expect(log.right.events[1]?.data).toEqual({ sawVersion: 0 })
    // Decided at most twice: in the group's first run (which stops at the first write that fails)
    // and in its run write by write; the first decision was run in both, and applied once.
    expect(calls.get('a')).toBe(2)
    for (const name of ['b', 'throws', 'unstorable']) expect(calls.get(name)).toBeLessThanOrEqual(2)
    await store.close()
  })

  it('a group in which nothing fails commits in one run: each decision is called once', async () => {
    const path = join(dir, `${randomUUID()}.db`)
    const store = sqliteEventStore({ path })
    const decide = store.decideAndAppend
    if (decide === undefined) throw new Error('the SQLite store decides under its lock')
    let calls = 0
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        decide({
          streamId: `stream-${index % 3}`,
          after: -1,
          commandId: randomUUID(),
          decide: () => {
            calls++
            return E.right([noted()])
          },
        }),
      ),
    )
    expect(outcomes.every((outcome) => E.isRight(outcome) && E.isRight(outcome.right))).toBe(true)
    expect(calls).toBe(8)
    await store.close()
  })

  it('opens an existing file again without touching its events: the schema is created idempotently', async () => {
    const path = join(dir, `${randomUUID()}.db`)
    const first = sqliteEventStore({ path })
    const event = noted()
    expect(E.isRight(await first.appendToStream('stream-1', 'no-stream', [event]))).toBe(true)
    // Two stores on one file at once, then a third after both closed.
    const second = sqliteEventStore({ path })
    await first.close()
    await second.close()
    const third = sqliteEventStore({ path })
    const read = await third.readStream('stream-1')
    expect(E.isRight(read) && read.right.events.map((stored) => stored.metadata.eventId)).toEqual([
      event.metadata.eventId,
    ])
    await third.close()
  })

  it('refuses, as a store-failure value, a file it cannot open and a file of a newer schema', () => {
    const missing = openSqliteEventStore({ path: join(dir, 'no-such-dir', 'x.db') })
    expect(E.isLeft(missing) && missing.left.code).toBe('store-failure')

    const newer = join(dir, `${randomUUID()}.db`)
    const db = new Database(newer)
    db.pragma('user_version = 99')
    db.close()
    const opened = openSqliteEventStore(newer)
    expect(E.isLeft(opened) && opened.left.message).toMatch(/schema 99, newer than this build reads/)

    const notADatabase = join(dir, `${randomUUID()}.db`)
    writeFileSync(notADatabase, 'this is not a database, just a text file that is long enough to be read')
    const garbage = openSqliteEventStore(notADatabase)
    expect(E.isLeft(garbage) && garbage.left.code).toBe('store-failure')
    expect(() => sqliteEventStore(notADatabase)).toThrow(/sqlite: cannot open/)
  })
})
