/**
 * The in-memory read-model store: for tests and for embedders that rebuild their read models at
 * start-up. Commits are atomic because they are synchronous: nothing else runs between the checkpoint
 * check and the last change.
 *
 * @example
 * const readModels = inMemoryReadModelStore()
 * const runner = projectionRunner({ events: store, readModels })
 */
import { concurrencyConflict, type StoreError, storeFailure } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import {
  type Checkpoint,
  checkpointStreamId,
  initialCheckpoint,
  type ReadModelStore,
  type StoredDocument,
} from './port.js'

interface Row {
  readonly doc: unknown
  readonly sortKey: string | null
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

export const inMemoryReadModelStore = (): ReadModelStore => {
  const checkpoints = new Map<string, Checkpoint>()
  const collections = new Map<string, Map<string, Row>>()
  let closed = false
  const collection = (projection: string, name: string): Map<string, Row> => {
    const id = `${projection}\u0000${name}`
    let rows = collections.get(id)
    if (rows === undefined) {
      rows = new Map()
      collections.set(id, rows)
    }
    return rows
  }
  // Documents are copied in and out as JSON, as a database would, so a caller never shares state.
  const copy = (doc: unknown): unknown => JSON.parse(JSON.stringify(doc))
  const whenOpen = <A>(run: () => A): Promise<E.Either<StoreError, A>> =>
    Promise.resolve(closed ? E.left(storeFailure('the read-model store is closed')) : E.right(run()))

  return {
    loadCheckpoint: (projection) => whenOpen(() => checkpoints.get(projection) ?? initialCheckpoint),
    load: (projection, name, keys) =>
      whenOpen(() => {
        const rows = collection(projection, name)
        const found = new Map<string, unknown>()
        for (const key of keys) {
          const row = rows.get(key)
          if (row !== undefined) found.set(key, copy(row.doc))
        }
        return found
      }),
    list: (projection, name, query = {}) =>
      whenOpen(() => {
        const prefix = query.prefix ?? ''
        const listed = [...collection(projection, name).entries()]
          .filter(
            ([key, row]) =>
              key.startsWith(prefix) &&
              (query.orderBy !== 'sort-key' || row.sortKey !== null) &&
              (query.maxSortKey === undefined || (row.sortKey !== null && row.sortKey <= query.maxSortKey)),
          )
          .sort(([keyA, a], [keyB, b]) =>
            query.orderBy === 'sort-key'
              ? byteOrder(a.sortKey ?? '', b.sortKey ?? '') || byteOrder(keyA, keyB)
              : byteOrder(keyA, keyB),
          )
          .map(([key, row]): StoredDocument => ({ key, doc: copy(row.doc) }))
        return query.limit === undefined ? listed : listed.slice(0, query.limit)
      }),
    commit: (projection, changes, { expected, next }) =>
      Promise.resolve(
        ((): E.Either<StoreError, void> => {
          if (closed) return E.left(storeFailure('the read-model store is closed'))
          const actual = checkpoints.get(projection)?.position ?? 0
          if (actual !== expected)
            return E.left(concurrencyConflict(checkpointStreamId(projection), expected, actual))
          // Copy every document before touching any, so a document without a JSON form fails the whole commit.
          let copies: ReadonlyArray<unknown>
          try {
            copies = changes.map((change) => (change.doc === null ? null : copy(change.doc)))
          } catch (error) {
            return E.left(storeFailure('a document has no JSON form', error))
          }
          changes.forEach((change, index) => {
            const rows = collection(projection, change.collection)
            const doc = copies[index]
            if (doc === null || doc === undefined) rows.delete(change.key)
            else rows.set(change.key, { doc, sortKey: change.sortKey })
          })
          checkpoints.set(projection, next)
          return E.right(undefined)
        })(),
      ),
    reset: (projection) =>
      whenOpen(() => {
        checkpoints.delete(projection)
        for (const id of [...collections.keys()])
          if (id.startsWith(`${projection}\u0000`)) collections.delete(id)
      }),
    close: async () => {
      closed = true
    },
  }
}
