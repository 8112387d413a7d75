/**
 * The service's Token Status Lists (draft-ietf-oauth-status-list): where each credential's status
 * index comes from, and the signed list JWTs that publish the statuses.
 *
 * Indexes. Each credential gets a random free index in the current list, so an index says nothing
 * about the licence, the holder or the order of issue (the draft's herd privacy). Which e-licence
 * an index belongs to is not derivable from the events, so it is kept as documents of their own
 * projection (`statusIndexProjection`) in the same read-model store as the views, on every store
 * that implements the port. That projection's checkpoint position counts the indexes handed out:
 * an allocation commits its documents and moves the count in one transaction, so two allocations
 * racing for one count conflict, and the loser retries with other indexes. Concurrent requests in
 * one service share a batch: one commit (one fsync) for all of them, a batch waiting briefly for
 * the clients its previous commit answered to come back (`gathered`). A list takes indexes
 * until half full, so a random pick rarely hits a taken one; then the next list starts. These
 * documents are never rebuilt from the events (nothing could rebuild them): never `reset` them.
 *
 * Lists. A list is built from the e-licence views that the projection runner keeps (DESIGN §5),
 * after it catches up: the status at each allocated index is `credentialStatusAt` of its view now;
 * an index this service does not know (not handed out, or lost with read models kept in memory) is
 * INVALID: the list fails closed. A built list is signed by the issuer key (`typ: statuslist+jwt`,
 * `sub` its own URI, `iat`, `exp`, `ttl`) and reused for `ttl` seconds by the service clock, the time
 * verifiers may cache it too. Meanwhile, with `follow`, each read first applies the events
 * committed since (their streams' bits only, signed again when one changed), so the service's own
 * list, and its own verifier, never say VALID for an e-licence the log has invalidated. Handing out
 * an index updates the service's built copy in place: the new indexes get their views' statuses
 * and the list is signed again on its next read, so a new credential is VALID here at once, without
 * rebuilding the list from every index and view (a verifier that cached the list before may say
 * INVALID for it until its copy's `ttl` ends). The rebuild still comes when the ttl of the build
 * ends, or the local day does (an expiry changes a status with no event).
 *
 * @example
 * const lists = statusLists({ readModels, catchUp, keys, issuer: () => url, clock })
 * await lists.allocate(view)   // Right({ idx: 40417, uri: 'https://…/status-lists/1' })
 * await lists.listJwt(1)       // Right('eyJ…') or Left({ code: 'not-found' … })
 */
import {
  concurrencyConflict,
  type EventStore,
  isConcurrencyConflict,
  localDayOf,
  type StoreError,
  storeFailure,
} from '@elicence/domain'
import { createHeaderAndPayload, StatusList } from '@sd-jwt/jwt-status-list'
import * as E from 'fp-ts/lib/Either.js'
import { SignJWT } from 'jose'
import { collections } from '../read-models/apply.js'
import type { ReadModelStore } from '../read-models/port.js'
import { defaultProjection } from '../read-models/runner.js'
import type { ELicenceView } from '../views/e-licence.js'
import type { StatusReference } from './issue.js'
import { type IssuerSigningKey, issuerAlgorithm } from './issuer-keys.js'
import { randomBytes } from './random-bytes.js'
import { credentialStatusAt, statusCodes } from './status.js'

export const statusIndexProjection = 'credential-status'
const indexCollection = 'status-index'

/** Entries per list: 2 bits each, 16 KiB before compression. */
export const statusListCapacity = 65_536
/** A list takes indexes until this many are handed out. */
const allocationsPerList = statusListCapacity / 2
const maxAttempts = 32
/** Rounds of drawing free indexes for one batch before the attempt starts over. */
const maxPickRounds = 64
/** The longest a batch of allocations waits for more to join it, in ms (see `gathered`). */
const maxGroupWaitMs = 10

export const defaultStatusListTtlSeconds = 60
/** A list's `exp`: a verifier never uses one older than this. */
const listValiditySeconds = 24 * 60 * 60

/** Which e-licence a status index belongs to. */
export interface StatusIndexEntry {
  readonly streamId: string
  readonly eLicenceId: string
  readonly issuedAt: string
}

export type StatusListError = StoreError | { readonly code: 'not-found'; readonly message: string }

export interface StatusListsOptions {
  readonly readModels: ReadModelStore
  /** Brings the e-licence views up to the events (the projection runner's catch-up). */
  readonly catchUp: () => Promise<E.Either<StoreError, unknown>>
  readonly keys: IssuerSigningKey
  /** The service's public URL; list URIs are `<issuer>/status-lists/<id>`. */
  readonly issuer: () => string
  readonly clock: () => Date
  readonly ttlSeconds?: number
  /** The projection whose e-licence views the lists read; default `elicence`. */
  readonly projection?: string
  /** The projection the status indexes are kept under; default `credential-status`. */
  readonly indexProjection?: string
  /** Random integers below a bound (tests pin it); default Web Crypto. */
  readonly randomIndex?: (bound: number) => number
  /**
   * How a built list learns of events between builds, so that an invalidation in the log changes
   * the bit in the next list served (DESIGN §6), not only once the ttl of the build has run out:
   * the store's global order, to find which streams changed, and whether the store may hold events
   * the lists have not seen (the service: a write it made itself, or a second gone by for writers
   * in other processes). Without it a built list is reused for its whole ttl, whatever happens.
   */
  readonly follow?: {
    readonly events: Pick<EventStore, 'readAll'>
    readonly mayHaveChanged: () => boolean
  }
}

export interface StatusLists {
  /** A fresh index for a credential of the view's issued e-licence. */
  readonly allocate: (view: ELicenceView) => Promise<E.Either<StoreError, StatusReference>>
  /** The signed list with this id, built now or reused within its ttl. */
  readonly listJwt: (id: number) => Promise<E.Either<StatusListError, string>>
  /** The list id a status-list URI of this service names, if it is one. */
  readonly listIdOf: (uri: string) => number | undefined
  readonly ttlSeconds: number
}

const indexKey = (listId: number, idx: number): string =>
  `${String(listId).padStart(6, '0')}/${String(idx).padStart(5, '0')}`

const nextTurn = (resume: () => void): void => {
  if (typeof setImmediate === 'function') setImmediate(resume)
  else setTimeout(resume, 0)
}

/** A random 32-bit word, from `randomBytes`' pool. */
const randomWord = (): number => {
  const [a = 0, b = 0, c = 0, d = 0] = randomBytes(4)
  return (a | (b << 8) | (c << 16) | (d << 24)) >>> 0
}

/** A uniformly random integer from 0 to `bound` - 1 (at most 2^32), from Web Crypto's CSPRNG. */
export const webCryptoRandomIndex = (bound: number): number => {
  // Rejection sampling keeps every index equally likely.
  const limit = Math.floor(0x1_0000_0000 / bound) * bound
  for (;;) {
    const value = randomWord()
    if (value < limit) return value % bound
  }
}

export const statusLists = (options: StatusListsOptions): StatusLists => {
  const { readModels } = options
  const projection = options.projection ?? defaultProjection
  const indexProjection = options.indexProjection ?? statusIndexProjection
  const ttlSeconds = options.ttlSeconds ?? defaultStatusListTtlSeconds
  const randomIndex = options.randomIndex ?? webCryptoRandomIndex
  const uriOf = (listId: number) => `${options.issuer()}/status-lists/${listId}`
  // A built list: its bits, the instant it was built (its ttl counts from there), and its signed
  // JWT, absent once an allocation or a new event changed the bits, until the next read signs them
  // again; the position of the e-licence views it reflects, and its indexes by stream, so that new
  // events change only the bits of the streams they are on.
  interface BuiltList {
    readonly at: number
    readonly list: StatusList
    jwt: Promise<E.Either<StatusListError, string>> | undefined
    position: number
    readonly byStream: Map<string, Array<{ readonly idx: number; readonly eLicenceId: string }>>
  }
  const indexOfStream = (
    byStream: BuiltList['byStream'],
    streamId: string,
    idx: number,
    eLicenceId: string,
  ) => {
    const indexes = byStream.get(streamId)
    if (indexes === undefined) byStream.set(streamId, [{ idx, eLicenceId }])
    else indexes.push({ idx, eLicenceId })
  }
  const built = new Map<number, BuiltList>()
  // One build per list at a time: requests arriving while it runs share its result.
  const building = new Map<number, Promise<E.Either<StatusListError, string>>>()
  // Bumped by each index handed out: a build that began before it is not kept, nor shared after it.
  const generations = new Map<number, number>()

  /**
   * Hands out indexes for a batch of views in one commit: requests that arrive while a commit runs
   * wait for the next one, so concurrent issues share a transaction (and its fsync) instead of
   * queueing one commit each. A batch stays within one list: the rest waits for the next batch.
   */
  const allocateBatch = async (
    batch: ReadonlyArray<ELicenceView>,
  ): Promise<E.Either<StoreError, ReadonlyArray<StatusReference>>> => {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const checkpoint = await readModels.loadCheckpoint(indexProjection)
      if (E.isLeft(checkpoint)) return checkpoint
      const count = checkpoint.right.position
      const listId = Math.floor(count / allocationsPerList) + 1
      // Only the picks found taken are drawn again: a list is at most half full, so each round
      // keeps about half of what is left to find, where drawing the whole batch again would
      // rarely find ten free indexes at once in a list near its half.
      const picked = new Set<number>()
      const tried = new Set<number>()
      for (let round = 0; picked.size < batch.length && round < maxPickRounds; round++) {
        const fresh: number[] = []
        // Bounded: a random source that repeats itself (a pinned one) cannot keep this loop going.
        for (let draws = 0; picked.size + fresh.length < batch.length && draws < 64 * batch.length; draws++) {
          const idx = randomIndex(statusListCapacity)
          if (tried.has(idx)) continue
          tried.add(idx)
          fresh.push(idx)
        }
        const taken = await readModels.load(
          indexProjection,
          indexCollection,
          fresh.map((idx) => indexKey(listId, idx)),
        )
        if (E.isLeft(taken)) return taken
        for (const idx of fresh) if (!taken.right.has(indexKey(listId, idx))) picked.add(idx)
      }
      if (picked.size < batch.length) continue
      const indexes = [...picked]
      const keys = indexes.map((idx) => indexKey(listId, idx))
      const issuedAt = options.clock().toISOString()
      const committed = await readModels.commit(
        indexProjection,
        batch.map((view, position) => ({
          collection: indexCollection,
          key: keys[position] ?? '',
          doc: {
            streamId: view.streamId,
            eLicenceId: view.eLicenceId ?? '',
            issuedAt,
          } satisfies StatusIndexEntry,
          sortKey: null,
        })),
        {
          expected: count,
          next: { position: count + batch.length, streamId: null, version: null, hash: null },
        },
      )
      if (E.isRight(committed)) {
        generations.set(listId, (generations.get(listId) ?? 0) + 1)
        building.delete(listId)
        const copy = built.get(listId)
        if (copy !== undefined) {
          const nowMs = options.clock().getTime()
          for (const [position, view] of batch.entries()) {
            const idx = indexes[position] ?? 0
            copy.list.setStatus(idx, statusCodes[credentialStatusAt(view, view.eLicenceId ?? '', nowMs)])
            indexOfStream(copy.byStream, view.streamId, idx, view.eLicenceId ?? '')
          }
          copy.jwt = undefined
        }
        return E.right(indexes.map((idx) => ({ idx, uri: uriOf(listId) })))
      }
      if (!isConcurrencyConflict(committed.left)) return committed
    }
    return E.left(concurrencyConflict(indexProjection, 0, 0))
  }

  interface Waiting {
    readonly view: ELicenceView
    readonly resolve: (reference: E.Either<StoreError, StatusReference>) => void
  }
  let waiting: Waiting[] = []
  let committing = false
  const maxBatch = 256
  // Grouping. Clients that were answered by one commit come back one after another, while the
  // next commit, begun for the first of them, syncs: batches of 10 concurrent clients went 10, 1,
  // 9, 1, 9… (measured mean 6.4), two fsyncs where one serves. So a batch waits for as many
  // allocations as were outstanding at the end of the last commit (its batch and those that came
  // meanwhile), for no longer than that commit took (waiting longer cannot pay) and `maxGroupWaitMs`;
  // a client that does not come back costs one such wait, and the next target counts without it.
  let concurrency = 0
  let lastCommitMs = 0
  let gathering: (() => void) | undefined
  const gathered = (target: number, waitMs: number): Promise<void> => {
    if (waiting.length >= target || waitMs < 1) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        gathering = undefined
        resolve()
      }
      const timer = setTimeout(done, waitMs)
      gathering = () => {
        if (waiting.length >= target) done()
      }
    })
  }
  const flush = async (): Promise<void> => {
    committing = true
    while (waiting.length > 0) {
      // A synchronous store (SQLite) blocks the event loop while it commits: one turn of it lets
      // the requests that arrived meanwhile join this batch instead of each waiting for their own.
      // setImmediate is that turn (after the ready I/O); a timer idles the loop for a millisecond,
      // so it serves only where there is no setImmediate (browsers).
      await new Promise<void>((resolve) => nextTurn(resolve))
      await gathered(Math.min(concurrency, maxBatch), Math.min(lastCommitMs, maxGroupWaitMs))
      // Never more than the current list still takes: a batch never spans two lists.
      const checkpoint = await readModels.loadCheckpoint(indexProjection)
      const room = E.isRight(checkpoint)
        ? allocationsPerList - (checkpoint.right.position % allocationsPerList)
        : maxBatch
      const batch = waiting.slice(0, Math.min(maxBatch, room))
      waiting = waiting.slice(batch.length)
      let allocated: E.Either<StoreError, ReadonlyArray<StatusReference>>
      const started = performance.now()
      try {
        allocated = await allocateBatch(batch.map((entry) => entry.view))
      } catch (error) {
        allocated = E.left(storeFailure('allocating status indexes failed', error))
      }
      lastCommitMs = performance.now() - started
      concurrency = batch.length + waiting.length
      for (const [position, entry] of batch.entries()) {
        if (E.isLeft(allocated)) entry.resolve(allocated)
        else {
          const reference = allocated.right[position]
          entry.resolve(
            reference === undefined ? E.left(storeFailure('no status index')) : E.right(reference),
          )
        }
      }
    }
    committing = false
  }

  const allocate = (view: ELicenceView): Promise<E.Either<StoreError, StatusReference>> =>
    new Promise((resolve) => {
      waiting.push({ view, resolve })
      if (!committing) void flush()
      else gathering?.()
    })

  const signed = async (listId: number, list: StatusList, nowMs: number): Promise<string> => {
    const iat = Math.floor(nowMs / 1000)
    const { header, payload } = createHeaderAndPayload(
      list,
      { iss: options.issuer(), sub: uriOf(listId), iat, exp: iat + listValiditySeconds, ttl: ttlSeconds },
      { alg: issuerAlgorithm, typ: 'statuslist+jwt', kid: options.keys.kid },
    )
    return new SignJWT(payload).setProtectedHeader(header).sign(options.keys.signingKey)
  }

  /** The position the e-licence views are complete up to, after catching them up. */
  const caughtUpPosition = async (): Promise<E.Either<StoreError, number>> => {
    const caughtUp = await options.catchUp()
    if (E.isLeft(caughtUp)) return caughtUp
    const checkpoint = await readModels.loadCheckpoint(projection)
    return E.isLeft(checkpoint) ? checkpoint : E.right(checkpoint.right.position)
  }

  const build = async (
    listId: number,
    nowMs: number,
  ): Promise<E.Either<StatusListError, Omit<BuiltList, 'at' | 'jwt'>>> => {
    const position = await caughtUpPosition()
    if (E.isLeft(position)) return position
    const entries = await readModels.list(indexProjection, indexCollection, {
      prefix: `${String(listId).padStart(6, '0')}/`,
    })
    if (E.isLeft(entries)) return entries
    const streamIds = [...new Set(entries.right.map((row) => (row.doc as StatusIndexEntry).streamId))]
    const views = await readModels.load(projection, collections.eLicence, streamIds)
    if (E.isLeft(views)) return views
    const list = new StatusList(new Array<number>(statusListCapacity).fill(statusCodes.invalid), 2)
    const byStream: BuiltList['byStream'] = new Map()
    for (const row of entries.right) {
      const entry = row.doc as StatusIndexEntry
      const view = (views.right.get(entry.streamId) as ELicenceView | undefined) ?? null
      const idx = Number(row.key.slice(7))
      list.setStatus(idx, statusCodes[credentialStatusAt(view, entry.eLicenceId, nowMs)])
      indexOfStream(byStream, entry.streamId, idx, entry.eLicenceId)
    }
    return E.right({ list, position: position.right, byStream })
  }

  /**
   * Brings every built list up to the events: the streams that changed since the oldest list's
   * position get their bits from their views now, and a list whose bits changed is signed again on
   * its next read. Concurrent reads share one refresh.
   */
  let refreshing: Promise<E.Either<StoreError, void>> | undefined
  const refreshOnce = async (follow: NonNullable<StatusListsOptions['follow']>) => {
    const position = await caughtUpPosition()
    if (E.isLeft(position)) return position
    const lists = [...built.values()].filter((copy) => copy.position < position.right)
    if (lists.length === 0) return E.right(undefined)
    const changed = new Set<string>()
    let after = Math.min(...lists.map((copy) => copy.position))
    while (after < position.right) {
      const page = await follow.events.readAll({ after, limit: 500 })
      if (E.isLeft(page)) return page
      for (const event of page.right.events) changed.add(event.streamId)
      if (page.right.lastPosition <= after) break
      after = page.right.lastPosition
    }
    const nowMs = options.clock().getTime()
    for (const copy of lists) {
      const streams = [...changed].filter((streamId) => copy.byStream.has(streamId))
      const views = await readModels.load(projection, collections.eLicence, streams)
      if (E.isLeft(views)) return views
      for (const streamId of streams) {
        const view = (views.right.get(streamId) as ELicenceView | undefined) ?? null
        for (const { idx, eLicenceId } of copy.byStream.get(streamId) ?? []) {
          const code = statusCodes[credentialStatusAt(view, eLicenceId, nowMs)]
          if (copy.list.getStatus(idx) === code) continue
          copy.list.setStatus(idx, code)
          copy.jwt = undefined
        }
      }
      copy.position = position.right
    }
    return E.right(undefined)
  }
  const refresh = (follow: NonNullable<StatusListsOptions['follow']>) => {
    refreshing ??= refreshOnce(follow).finally(() => {
      refreshing = undefined
    })
    return refreshing
  }

  const listJwt = async (id: number): Promise<E.Either<StatusListError, string>> => {
    // A list built within its ttl exists: it is answered without reading the store.
    const nowMs = options.clock().getTime()
    const cached = built.get(id)
    // A status changes with time only when a local day ends (an expiry): a list of another day is
    // built again.
    if (
      cached !== undefined &&
      nowMs - cached.at < ttlSeconds * 1000 &&
      nowMs >= cached.at &&
      localDayOf(nowMs) === localDayOf(cached.at)
    ) {
      const { follow } = options
      if (follow !== undefined && (refreshing !== undefined || follow.mayHaveChanged())) {
        const refreshed = await refresh(follow)
        if (E.isLeft(refreshed)) return refreshed
      }
      // Signed again after an allocation changed it; readers meanwhile share the one signature.
      if (cached.jwt === undefined) {
        const signing = signed(id, cached.list, nowMs).then(E.right, (error) => {
          if (cached.jwt === signing) cached.jwt = undefined
          return E.left(storeFailure('signing a status list failed', error))
        })
        cached.jwt = signing
      }
      return cached.jwt
    }
    const count = await readModels.loadCheckpoint(indexProjection)
    if (E.isLeft(count)) return count
    const lists = Math.floor(Math.max(0, count.right.position - 1) / allocationsPerList) + 1
    if (!Number.isInteger(id) || id < 1 || id > lists)
      return E.left({ code: 'not-found', message: `there is no status list ${id}` })
    const running = building.get(id)
    if (running !== undefined) return running
    const generation = generations.get(id) ?? 0
    const next = build(id, nowMs)
      .then(async (list): Promise<E.Either<StatusListError, string>> => {
        if (E.isLeft(list)) return list
        const jwt = E.right(await signed(id, list.right.list, nowMs))
        // A build that an allocation overtook lacks its indexes: it is answered, not kept.
        if (generation === (generations.get(id) ?? 0))
          built.set(id, { ...list.right, at: nowMs, jwt: Promise.resolve(jwt) })
        return jwt
      })
      .finally(() => {
        if (building.get(id) === next) building.delete(id)
      })
    building.set(id, next)
    return next
  }

  const listIdOf = (uri: string): number | undefined => {
    const prefix = `${options.issuer()}/status-lists/`
    if (!uri.startsWith(prefix)) return undefined
    const id = uri.slice(prefix.length)
    return /^[1-9][0-9]{0,5}$/.test(id) ? Number(id) : undefined
  }

  return { allocate, listJwt, listIdOf, ttlSeconds }
}
