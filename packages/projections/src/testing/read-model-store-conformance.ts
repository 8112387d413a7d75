/**
 * The conformance suite every ReadModelStore passes (in-memory here, SQLite and PostgreSQL in their
 * adapters): documents and checkpoints commit together or not at all, a moved checkpoint refuses the
 * commit, and the projection runner over the store ends equal to a rebuild whatever the split of the
 * history or the point where it was killed.
 *
 * @example
 * readModelStoreConformance('sqlite', async () => sqliteReadModelStore({ path: ':memory:' }))
 */
import { type EventStore, isConcurrencyConflict, type StoredEvent } from '@elicence/domain'
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { generateIssuerKey, importIssuerKeys } from '../credential/issuer-keys.js'
import { statusCodes } from '../credential/status.js'
import { statusLists } from '../credential/status-lists.js'
import { collections } from '../read-models/apply.js'
import { type Checkpoint, initialCheckpoint, type ReadModelStore } from '../read-models/port.js'
import { projectionRunner } from '../read-models/runner.js'
import { historyScriptArbitrary } from './histories.js'
import { runHistoryScript } from './run-history.js'

export interface ConformanceOptions {
  /** Runs of each property; real databases may ask for fewer. */
  readonly numRuns?: number
}

/** An event source that shows only the events up to a position, like a store that is still being written. */
export const eventsUpTo = (
  events: ReadonlyArray<StoredEvent>,
  limit: { position: number },
): Pick<EventStore, 'readAll'> => ({
  readAll: async ({ after, limit: pageSize }) => {
    const page = events
      .filter((event) => event.position > after && event.position <= limit.position)
      .slice(0, pageSize)
    return E.right({ events: page, lastPosition: page[page.length - 1]?.position ?? after })
  },
})

/** Every document of a projection, for comparing two read models. */
export const dumpReadModels = async (store: ReadModelStore, projection: string) => {
  const dump: Record<string, unknown> = {}
  for (const collection of Object.values(collections)) {
    const listed = await store.list(projection, collection)
    if (E.isLeft(listed)) throw new Error(listed.left.message)
    dump[collection] = listed.right
  }
  const checkpoint = await store.loadCheckpoint(projection)
  if (E.isLeft(checkpoint)) throw new Error(checkpoint.left.message)
  return { ...dump, checkpoint: checkpoint.right }
}

/** A store whose commits fail from the n-th on, as if the process died just before committing. */
export const dyingAfter = (store: ReadModelStore, commits: number): ReadModelStore => {
  let left = commits
  return {
    ...store,
    commit: async (projection, changes, checkpoint) => {
      if (left <= 0) return E.left({ code: 'store-failure', message: 'killed' })
      left--
      return store.commit(projection, changes, checkpoint)
    },
  }
}

const checkpointAt = (position: number): Checkpoint => ({
  position,
  streamId: 'licence-x',
  version: position - 1,
  hash: `${position}`.padStart(64, '0'),
})

/** Commits one document (null: deletes it) of collection `c` with no sort key, from `expected` to `next`. */
const commitDocument = (
  store: ReadModelStore,
  projection: string,
  key: string,
  doc: unknown,
  expected: number,
  next: number,
) =>
  store.commit(projection, [{ collection: 'c', key, doc, sortKey: null }], {
    expected,
    next: checkpointAt(next),
  })

export const readModelStoreConformance = (
  name: string,
  open: () => Promise<ReadModelStore>,
  options: ConformanceOptions = {},
): void => {
  const numRuns = options.numRuns ?? 25
  // Each test gets its own projection name, so stores that persist between tests never mix them.
  let projections = 0
  const fresh = () => `conformance-${Date.now().toString(36)}-${projections++}`

  /** Rebuilds the whole of `source` into a fresh projection, which must equal `projection`. */
  const expectEqualToRebuild = async (
    store: ReadModelStore,
    source: Pick<EventStore, 'readAll'>,
    projection: string,
    rebuildBatchSize?: number,
  ) => {
    const rebuilt = fresh()
    await projectionRunner({
      events: source,
      readModels: store,
      projection: rebuilt,
      ...(rebuildBatchSize === undefined ? {} : { batchSize: rebuildBatchSize }),
    }).catchUp()
    expect(await dumpReadModels(store, projection)).toEqual(await dumpReadModels(store, rebuilt))
  }

  describe(`ReadModelStore conformance: ${name}`, () => {
    it('given nothing committed, when loading, then the checkpoint is the initial one and no document exists', async () => {
      const store = await open()
      const projection = fresh()
      expect(await store.loadCheckpoint(projection)).toEqual(E.right(initialCheckpoint))
      expect(await store.load(projection, 'e-licence', ['a'])).toEqual(E.right(new Map()))
      await store.close()
    })

    it('given a commit, when loading and listing, then documents and checkpoint are back as committed', async () => {
      const store = await open()
      const projection = fresh()
      const committed = await store.commit(
        projection,
        [
          { collection: 'c', key: 'b', doc: { n: 2, name: '张三丰' }, sortKey: '2026-01-02' },
          { collection: 'c', key: 'a', doc: { n: 1 }, sortKey: '2026-01-03' },
          { collection: 'c', key: 'b/1', doc: [1, 'x'], sortKey: null },
          { collection: 'other', key: 'a', doc: { other: true }, sortKey: null },
        ],
        { expected: 0, next: checkpointAt(4) },
      )
      expect(committed).toEqual(E.right(undefined))
      expect(await store.loadCheckpoint(projection)).toEqual(E.right(checkpointAt(4)))
      expect(await store.load(projection, 'c', ['a', 'b', 'z'])).toEqual(
        E.right(
          new Map<string, unknown>([
            ['a', { n: 1 }],
            ['b', { n: 2, name: '张三丰' }],
          ]),
        ),
      )
      const byKey = await store.list(projection, 'c')
      expect(E.map((rows: ReadonlyArray<{ key: string }>) => rows.map((row) => row.key))(byKey)).toEqual(
        E.right(['a', 'b', 'b/1']),
      )
      const byPrefix = await store.list(projection, 'c', { prefix: 'b/' })
      expect(byPrefix).toEqual(E.right([{ key: 'b/1', doc: [1, 'x'] }]))
      const bySortKey = await store.list(projection, 'c', { orderBy: 'sort-key', maxSortKey: '2026-01-02~' })
      expect(bySortKey).toEqual(E.right([{ key: 'b', doc: { n: 2, name: '张三丰' } }]))
      const limited = await store.list(projection, 'c', { orderBy: 'sort-key', limit: 1 })
      expect(limited).toEqual(E.right([{ key: 'b', doc: { n: 2, name: '张三丰' } }]))
      await store.close()
    })

    it('given a commit deleting a document, then it is gone', async () => {
      const store = await open()
      const projection = fresh()
      await commitDocument(store, projection, 'a', { n: 1 }, 0, 1)
      await commitDocument(store, projection, 'a', null, 1, 2)
      expect(await store.load(projection, 'c', ['a'])).toEqual(E.right(new Map()))
      await store.close()
    })

    it('given a moved checkpoint, when committing from the old one, then it is a concurrency conflict and nothing changes', async () => {
      const store = await open()
      const projection = fresh()
      await commitDocument(store, projection, 'a', { n: 1 }, 0, 3)
      const stale = await commitDocument(store, projection, 'a', { n: 2 }, 0, 5)
      expect(E.isLeft(stale) && isConcurrencyConflict(stale.left)).toBe(true)
      expect(await store.load(projection, 'c', ['a'])).toEqual(E.right(new Map([['a', { n: 1 }]])))
      expect(await store.loadCheckpoint(projection)).toEqual(E.right(checkpointAt(3)))
      await store.close()
    })

    it('given a commit that fails half-way, then neither its documents nor its checkpoint are kept', async () => {
      const store = await open()
      const projection = fresh()
      // A BigInt has no JSON form: the change after the first one cannot be written.
      const failed = await store.commit(
        projection,
        [
          { collection: 'c', key: 'a', doc: { n: 1 }, sortKey: null },
          { collection: 'c', key: 'b', doc: { n: BigInt(2) }, sortKey: null },
        ],
        { expected: 0, next: checkpointAt(2) },
      )
      expect(E.isLeft(failed)).toBe(true)
      expect(await store.load(projection, 'c', ['a', 'b'])).toEqual(E.right(new Map()))
      expect(await store.loadCheckpoint(projection)).toEqual(E.right(initialCheckpoint))
      await store.close()
    })

    it('given a reset, then the projection is empty again and others are untouched', async () => {
      const store = await open()
      const projection = fresh()
      const other = fresh()
      await commitDocument(store, projection, 'a', 1, 0, 1)
      await commitDocument(store, other, 'a', 2, 0, 1)
      expect(await store.reset(projection)).toEqual(E.right(undefined))
      expect(await store.loadCheckpoint(projection)).toEqual(E.right(initialCheckpoint))
      expect(await store.list(projection, 'c')).toEqual(E.right([]))
      expect(await store.list(other, 'c')).toEqual(E.right([{ key: 'a', doc: 2 }]))
      await store.close()
    })

    it('a full rebuild equals the incrementally maintained read model, for any split of the history', async () => {
      const store = await open()
      await fc.assert(
        fc.asyncProperty(
          historyScriptArbitrary(),
          fc.array(fc.nat(), { maxLength: 5 }),
          fc.integer({ min: 1, max: 7 }),
          async (script, cuts, batchSize) => {
            const { events } = await runHistoryScript(script)
            const last = events[events.length - 1]?.position ?? 0
            const incremental = fresh()
            const visible = { position: 0 }
            const source = eventsUpTo(events, visible)
            for (const cut of [
              ...cuts.map((value) => (last === 0 ? 0 : value % (last + 1))).sort((a, b) => a - b),
              last,
            ]) {
              visible.position = cut
              const caughtUp = await projectionRunner({
                events: source,
                readModels: store,
                projection: incremental,
                batchSize,
              }).catchUp()
              expect(E.isRight(caughtUp)).toBe(true)
            }
            visible.position = last
            await expectEqualToRebuild(store, source, incremental, 1000)
          },
        ),
        { numRuns },
      )
      await store.close()
    })

    it('a runner killed at any point and restarted ends equal to a rebuild', async () => {
      const store = await open()
      await fc.assert(
        fc.asyncProperty(
          historyScriptArbitrary(),
          fc.nat({ max: 12 }),
          fc.integer({ min: 1, max: 5 }),
          async (script, killAfter, batchSize) => {
            const { events } = await runHistoryScript(script)
            const source = eventsUpTo(events, { position: Number.MAX_SAFE_INTEGER })
            const killed = fresh()
            const dying = projectionRunner({
              events: source,
              readModels: dyingAfter(store, killAfter),
              projection: killed,
              batchSize,
            })
            const outcome = await dying.catchUp()
            const batches = Math.ceil(events.length / batchSize)
            expect(E.isLeft(outcome)).toBe(killAfter < batches)
            await projectionRunner({
              events: source,
              readModels: store,
              projection: killed,
              batchSize: batchSize + 1,
            }).catchUp()
            await expectEqualToRebuild(store, source, killed, 1000)
          },
        ),
        { numRuns },
      )
      await store.close()
    })

    it('two runners on one projection never apply an event twice', async () => {
      const store = await open()
      await fc.assert(
        fc.asyncProperty(historyScriptArbitrary(), async (script) => {
          const { events } = await runHistoryScript(script)
          const source = eventsUpTo(events, { position: Number.MAX_SAFE_INTEGER })
          const shared = fresh()
          const first = projectionRunner({
            events: source,
            readModels: store,
            projection: shared,
            batchSize: 2,
          })
          const second = projectionRunner({
            events: source,
            readModels: store,
            projection: shared,
            batchSize: 3,
          })
          await Promise.all([first.catchUp(), second.catchUp()])
          await expectEqualToRebuild(store, source, shared)
        }),
        { numRuns: Math.max(1, Math.floor(numRuns / 2)) },
      )
      await store.close()
    })

    it('given status lists over the store, when credentials are allocated concurrently, then each gets its own index and the list shows its status', async () => {
      const store = await open()
      const views = fresh()
      const indexes = fresh()
      const view = (streamId: string, statuses: ReadonlyArray<string>) => ({
        streamId,
        state: 'issued',
        eLicenceId: `EL-${streamId}-1`,
        validUntil: 'long-term',
        statuses,
      })
      const normal = view('licence-a', ['A'])
      const abnormal = view('licence-b', ['B'])
      await store.commit(
        views,
        [normal, abnormal].map((doc) => ({
          collection: collections.eLicence,
          key: doc.streamId,
          doc,
          sortKey: null,
        })),
        { expected: 0, next: checkpointAt(1) },
      )
      const keys = await importIssuerKeys(await generateIssuerKey())
      if (E.isLeft(keys)) throw new Error(keys.left)
      // Picks that collide: a taken index is drawn again until a free one comes.
      const picks = [5, 5, 9, 9, 9, 12, 5, 12, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53]
      let drawn = 0
      const lists = statusLists({
        readModels: store,
        catchUp: async () => E.right(undefined),
        keys: keys.right,
        issuer: () => 'https://elicence.example',
        clock: () => new Date('2026-10-16T10:00:00+08:00'),
        projection: views,
        indexProjection: indexes,
        randomIndex: () => picks[drawn++ % picks.length] ?? 0,
      })
      const allocated = await Promise.all(
        [normal, normal, normal, abnormal, normal, abnormal, normal, normal].map((doc) =>
          lists.allocate(doc as unknown as Parameters<typeof lists.allocate>[0]),
        ),
      )
      const references = allocated.map((result) => {
        if (E.isLeft(result)) throw new Error(result.left.message)
        return result.right
      })
      expect(new Set(references.map((reference) => reference.idx)).size).toBe(references.length)
      expect(await store.loadCheckpoint(indexes)).toMatchObject(E.right({ position: references.length }))
      const jwt = await lists.listJwt(1)
      if (E.isLeft(jwt)) throw new Error(jwt.left.message)
      const list = getListFromStatusListJWT(jwt.right)
      references.forEach((reference, index) => {
        const expected = [3, 5].includes(index) ? statusCodes.suspended : statusCodes.valid
        expect(list.getStatus(reference.idx)).toBe(expected)
      })
      await store.close()
    })
  })
}
