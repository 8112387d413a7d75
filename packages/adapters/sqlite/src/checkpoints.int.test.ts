// Checkpoints beside the writer, on real files: the worker copies the log's pages, the writer
// finishes each of its checkpoints so the log starts over, a worker that cannot run leaves the
// writer checkpointing by itself, and the store's log stays bounded under many commits.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type NewEvent, verifyChain } from '@elicence/domain'
import Database from 'better-sqlite3'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { backgroundCheckpoints, commitsPerWake, restartFrames } from './checkpoints.js'
import { notedEvent } from './noted-event.fixture.js'
import { sqliteEventStore } from './sqlite-store.js'

const dir = mkdtempSync(join(tmpdir(), 'elicence-sqlite-checkpoints-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const walFile = (path: string) => {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.exec('CREATE TABLE t (x TEXT)')
  return db
}

const noted = (n: number): NewEvent => notedEvent({ n, text: 'x'.repeat(400) })

describe('backgroundCheckpoints', () => {
  it('the worker copies the log into the file; the writer finishes once the log is long: the log starts over', async () => {
    const path = join(dir, `${randomUUID()}.db`)
    const db = walFile(path)
    let here = 0
    const checkpoints = backgroundCheckpoints(db, () => {
      here++
      db.pragma('wal_checkpoint(PASSIVE)')
    })
    const insert = db.prepare('INSERT INTO t VALUES (?)')
    // A row of three pages: a commit adds about four pages to the log.
    let commits = 0
    const commit = () => {
      insert.run('y'.repeat(10_000))
      checkpoints.afterCommit()
      commits++
    }
    // The worker copies pages into the database file while the writer only commits.
    while (statSync(path).size < 1_000_000) {
      commit()
      await new Promise((resolve) => setTimeout(resolve, 1))
      if (commits > 300) throw new Error('the worker copied nothing')
    }
    expect(here).toBe(0)
    // Once the log is long, the writer's next wake after the worker's checkpoint finishes it.
    while (here === 0) {
      commit()
      await new Promise((resolve) => setTimeout(resolve, 1))
      if (commits > 390) throw new Error('the writer never finished a checkpoint')
    }
    // So the next commit starts the log over: the log holds that commit's pages only.
    commit()
    const [state] = db.pragma('wal_checkpoint(PASSIVE)') as ReadonlyArray<{ log: number }>
    expect(state?.log).toBeLessThan(10)
    await checkpoints.close()
    db.close()
  })

  it('a worker that cannot open the file leaves the writer checkpointing by itself', async () => {
    const path = join(dir, `${randomUUID()}.db`)
    const db = walFile(path)
    // The writer keeps its open file; the worker, opening by name, finds none.
    rmSync(path)
    let here = 0
    const checkpoints = backgroundCheckpoints(db, () => {
      here++
    })
    const insert = db.prepare('INSERT INTO t VALUES (?)')
    for (let n = 0; n < 400; n++) {
      insert.run('y')
      checkpoints.afterCommit()
    }
    expect(here).toBe(1)
    await checkpoints.close()
    db.close()
  })

  it('closes at once when no batch was ever due, and after stopping a started worker', async () => {
    const db = walFile(join(dir, `${randomUUID()}.db`))
    const few = backgroundCheckpoints(db, () => {})
    few.afterCommit()
    await few.close()
    const many = backgroundCheckpoints(db, () => {})
    for (let n = 0; n < 4 * commitsPerWake; n++) many.afterCommit()
    await many.close()
    // Closed: further commits are not counted and start nothing.
    for (let n = 0; n < 4 * commitsPerWake; n++) many.afterCommit()
    db.close()
  })
})

describe('the SQLite store under many commits', () => {
  it('keeps its log bounded (it starts over) and every event readable, the chain intact', async () => {
    const path = join(dir, `${randomUUID()}.db`)
    const store = sqliteEventStore({ path })
    const streams = 8
    // 8 appends a turn, one commit each turn, about 24 pages each: the log reaches its length
    // for a restart about ten times.
    const rounds = 400
    for (let round = 0; round < rounds; round++) {
      const appended = await Promise.all(
        Array.from({ length: streams }, (_, stream) =>
          store.appendToStream(`stream-${stream}`, round === 0 ? 'no-stream' : round - 1, [noted(round)]),
        ),
      )
      expect(appended.every(E.isRight)).toBe(true)
    }
    // About 40 MB of pages were written to the log; without checkpoints it would hold them all.
    expect(statSync(`${path}-wal`).size).toBeLessThan(2 * restartFrames * 4200)
    for (let stream = 0; stream < streams; stream++) {
      const read = await store.readStream(`stream-${stream}`)
      if (E.isLeft(read)) throw new Error(read.left.message)
      expect(read.right.version).toBe(rounds - 1)
      expect(verifyChain(read.right.events)).toEqual([])
    }
    await store.close()
  })
})
