// The full-disk handling of the SQLite store on a real file: a write that fails with SQLITE_FULL
// is tried once more after a checkpoint that truncates the write-ahead log; any other failure, and
// a second SQLITE_FULL, are reported as they are. (The volume that really fills up is in the CLI's
// full-disk.int.test.ts, which mounts one.)
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { whenFullCheckpointAndRetry } from './full-disk.js'
import { openSqliteEventStore } from './sqlite-store.js'

const directory = mkdtempSync(join(tmpdir(), 'elicence-sqlite-full-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))
const files = { path: (name: string) => join(directory, name) }

describe('whenFullCheckpointAndRetry', () => {
  it('a write that fails with SQLITE_FULL is retried once after a checkpoint that truncates the log', async () => {
    const path = files.path('retry.db')
    const opened = openSqliteEventStore({ path })
    if (E.isLeft(opened)) throw new Error(opened.left.message)
    const db = new Database(path)
    db.exec('CREATE TABLE IF NOT EXISTS t (x)')
    for (let n = 0; n < 50; n++) db.prepare('INSERT INTO t VALUES (?)').run('y'.repeat(1000))
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0)
    let attempts = 0
    const result = whenFullCheckpointAndRetry(db, () => {
      attempts++
      if (attempts === 1) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
      return 'written'
    })
    expect(result).toBe('written')
    expect(attempts).toBe(2)
    expect(statSync(`${path}-wal`).size).toBe(0)
    // Any other failure, and a second SQLITE_FULL, are reported as they are.
    expect(() =>
      whenFullCheckpointAndRetry(db, () => {
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
      }),
    ).toThrow('database or disk is full')
    db.close()
    await opened.right.close()
  })
})
