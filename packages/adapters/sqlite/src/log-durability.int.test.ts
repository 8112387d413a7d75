// The store's own sync of the write-ahead log (log-durability.ts): no outcome and no read is
// answered before the sync that covers it; a failed sync fails what waited on it and every later
// call; groups committed while a sync runs get their own; the real fdatasync on a real file.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventStore, NewEvent } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { logDurability, syncWriteAheadLog } from './log-durability.js'
import { openSqliteEventStoreSyncing, sqliteEventStore } from './sqlite-store.js'

const newEvent = (type: string, data: unknown): NewEvent => ({
  type,
  data,
  metadata: {
    eventId: crypto.randomUUID(),
    commandId: crypto.randomUUID(),
    commandHash: 'c'.repeat(64),
    actor: { role: 'system', id: 'test' } as NewEvent['metadata']['actor'],
    at: '2026-03-02T09:00:00+08:00',
    recordedAt: '2026-03-02T01:00:00.000Z',
    schemaVersion: 2,
    rulesVersion: 'test',
  },
})

const directory = mkdtempSync(join(tmpdir(), 'elicence-log-sync-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))
let files = 0

/** A store whose log syncs wait for the test: each call is held until released or failed. */
const heldStore = () => {
  const held: Array<{ readonly release: () => void; readonly fail: (cause: Error) => void }> = []
  const opened = openSqliteEventStoreSyncing({ path: join(directory, `held-${++files}.db`) }, () => ({
    sync: () =>
      new Promise<void>((resolve, reject) => {
        held.push({ release: resolve, fail: reject })
      }),
    close: async () => undefined,
  }))
  if (E.isLeft(opened)) throw new Error(opened.left.message)
  return { store: opened.right, held }
}

/** Whether `promise` has settled after the event loop has had a few turns. */
const settledSoon = async (promise: Promise<unknown>): Promise<boolean> => {
  let settled = false
  void promise.then(() => {
    settled = true
  })
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve))
  return settled
}

const decideNoted = (store: EventStore, streamId: string, refuse = false) =>
  // biome-ignore lint/style/noNonNullAssertion: every SQLite store decides under its lock
  store.decideAndAppend!({
    streamId,
    after: -1,
    commandId: crypto.randomUUID(),
    decide: () => (refuse ? E.left('refused') : E.right([newEvent('Noted', { streamId })])),
  })

describe('sqlite event store: durable before answered', () => {
  it('answers appends, decisions, refusals and reads only after a sync that began after their commit', async () => {
    const { store, held } = heldStore()
    const decided = decideNoted(store, 'stream-a')
    const appended = store.appendToStream('stream-b', 'no-stream', [newEvent('Noted', {})])
    const refused = decideNoted(store, 'stream-c', true)
    expect(await settledSoon(Promise.race([decided, appended, refused]))).toBe(false)
    expect(held).toHaveLength(1)
    // Committed but not yet durable: a read of it waits for the same sync.
    const read = store.readStream('stream-a')
    const page = store.readAll({ after: 0, limit: 10 })
    expect(await settledSoon(Promise.race([read, page]))).toBe(false)
    expect(held).toHaveLength(1)

    held[0]?.release()
    expect(E.isRight(await decided) && E.isRight((await decided).right as E.Either<unknown, unknown>)).toBe(
      true,
    )
    expect(E.isRight(await appended)).toBe(true)
    expect(await refused).toEqual(E.right(E.left('refused')))
    const stream = await read
    expect(E.isRight(stream) && stream.right.version).toBe(0)
    const all = await page
    expect(E.isRight(all) && all.right.events.map((event) => event.streamId)).toEqual([
      'stream-a',
      'stream-b',
    ])

    // Everything is durable now: reads answer without a new sync.
    expect(E.isRight(await store.readAll({ after: 0, limit: 10 }))).toBe(true)
    expect(held).toHaveLength(1)
    const closing = store.close()
    await closing
  })

  it('a group committed while a sync runs waits for a sync of its own, not for the running one', async () => {
    const { store, held } = heldStore()
    const first = decideNoted(store, 'stream-1')
    await settledSoon(first)
    const second = decideNoted(store, 'stream-2')
    await settledSoon(second)
    expect(held).toHaveLength(2)
    held[0]?.release()
    expect(E.isRight(await first)).toBe(true)
    expect(await settledSoon(second)).toBe(false)
    held[1]?.release()
    expect(E.isRight(await second)).toBe(true)
    await store.close()
  })

  it('a failed sync fails every outcome that waited on it, and every later call: nothing after it is trusted', async () => {
    const { store, held } = heldStore()
    const decided = decideNoted(store, 'stream-x')
    const appended = store.appendToStream('stream-y', 'no-stream', [newEvent('Noted', {})])
    await settledSoon(decided)
    held[0]?.fail(new Error('EIO: i/o error, fdatasync'))
    for (const outcome of [await decided, await appended]) {
      expect(E.isLeft(outcome) && outcome.left.code).toBe('store-failure')
      expect(E.isLeft(outcome) && outcome.left.message).toMatch(/could not be synced.*EIO/)
    }
    const later = [
      await decideNoted(store, 'stream-z'),
      await store.appendToStream('stream-z', 'any', [newEvent('Noted', {})]),
      await store.readStream('stream-x'),
      await store.readAll({ after: 0, limit: 10 }),
      await store.headPosition?.(),
    ]
    for (const outcome of later)
      expect(outcome !== undefined && E.isLeft(outcome) && outcome.left.code).toBe('store-failure')
    expect(held).toHaveLength(1)
    await store.close()
  })

  it('close answers what waits for a sync before the file closes', async () => {
    const { store, held } = heldStore()
    const decided = decideNoted(store, 'stream-c')
    await settledSoon(decided)
    const closed = store.close()
    expect(await settledSoon(closed)).toBe(false)
    held[0]?.release()
    await closed
    expect(E.isRight(await decided)).toBe(true)
  })
})

describe('logDurability', () => {
  it('a position a running sync covers joins it; one past it starts another; a finished one answers at once', async () => {
    let head = 3
    const syncs: Array<() => void> = []
    const durability = logDurability({
      head: () => head,
      sync: () => new Promise<void>((resolve) => syncs.push(resolve)),
    })
    const first = durability.through(3)
    const joined = durability.through(2)
    expect(syncs).toHaveLength(1)
    head = 5
    const beyond = durability.through(5)
    expect(syncs).toHaveLength(2)
    syncs[0]?.()
    expect(await first).toEqual(E.right(undefined))
    expect(await joined).toEqual(E.right(undefined))
    expect(await settledSoon(beyond)).toBe(false)
    syncs[1]?.()
    expect(await beyond).toEqual(E.right(undefined))
    expect(await durability.through(5)).toEqual(E.right(undefined))
    expect(syncs).toHaveLength(2)
    expect(durability.now()).toBeInstanceOf(Promise)
    expect(syncs).toHaveLength(3)
    syncs[2]?.()
    await durability.settled()
  })
})

describe('syncWriteAheadLog on a real file', () => {
  it('syncs the log a real store writes, and finds nothing to sync where there is no log', async () => {
    const path = join(directory, `real-${++files}.db`)
    const log = syncWriteAheadLog(path)
    await log.sync() // no file at all yet
    const store = sqliteEventStore({ path })
    expect(E.isRight(await store.appendToStream('stream-r', 'no-stream', [newEvent('Noted', {})]))).toBe(true)
    expect(existsSync(`${path}-wal`)).toBe(true)
    await log.sync()
    await store.close()
    // The last connection closed: SQLite removed the log, and a sync of it has nothing to do.
    await log.sync()
    await log.close()
    const reopened = sqliteEventStore({ path })
    const read = await reopened.readStream('stream-r')
    expect(E.isRight(read) && read.right.version).toBe(0)
    await reopened.close()
  })
})
