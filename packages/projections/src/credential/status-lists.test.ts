// The Token Status List as a projection of the events: for random reachable histories, run through
// the real handler and the projection runner, every credential issued along the way has, in the
// signed list, the status its e-licence view says now. Also: indexes are random and distinct, the
// list is the draft's format (read back by `@sd-jwt/jwt-status-list`), and it is reused within ttl.
import { inMemoryEventStore, storeFailure, streamIdFor } from '@elicence/domain'
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { inMemoryReadModelStore } from '../read-models/in-memory.js'
import { projectionRunner } from '../read-models/runner.js'
import { historyScriptArbitrary, licenceNumberFor } from '../testing/histories.js'
import { runHistoryScript } from '../testing/run-history.js'
import type { ELicenceView } from '../views/e-licence.js'
import { verifyAt } from '../views/verification.js'
import { generateIssuerKey, type IssuerKeys, importIssuerKeys } from './issuer-keys.js'
import { statusCodes } from './status.js'
import { statusLists, webCryptoRandomIndex } from './status-lists.js'

const issuer = 'https://elicence.example'
let keys: IssuerKeys

beforeAll(async () => {
  const imported = await importIssuerKeys(await generateIssuerKey())
  if (E.isLeft(imported)) throw new Error(imported.left)
  keys = imported.right
})

const right = <A>(either: E.Either<unknown, A>): A => {
  if (E.isLeft(either)) throw new Error(`expected Right, got ${JSON.stringify(either.left)}`)
  return either.right
}

/** What the list must say, from the verification view rather than from `credentialStatusAt`. */
const expectedCode = (view: ELicenceView | undefined, eLicenceId: string, atMs: number): number => {
  const verification = verifyAt(view ?? null, atMs)
  if (view?.eLicenceId !== eLicenceId || verification.eLicence !== 'valid') return statusCodes.invalid
  return verification.abnormal ? statusCodes.suspended : statusCodes.valid
}

describe('status lists', () => {
  // Built once at the end, or built at the first credential and then kept up with the events
  // (`follow`), its ttl never running out: the same list either way.
  it.each([
    ['built at the end', false],
    ['followed event by event', true],
  ])(
    'for random histories, each credential’s status in the list equals its e-licence view’s state (%s)',
    async (_mode, followed) => {
      // Which statuses the runs reached: the property must have met each of them.
      const seen = new Set<number>()
      await fc.assert(
        fc.asyncProperty(historyScriptArbitrary({ maxSteps: 30 }), async (random) => {
          // Every history first issues an e-licence to the first licence, so there is a credential
          // whose fate the random steps decide.
          const script = {
            ...random,
            steps: [
              { licence: 0, advanceMinutes: 1, recordLagMinutes: 0, action: { kind: 'apply' } as const },
              {
                licence: 0,
                advanceMinutes: 3 * 24 * 60,
                recordLagMinutes: 0,
                action: { kind: 'review' } as const,
              },
              ...random.steps,
            ],
          }
          const { store, events } = await runHistoryScript(script)
          // The runner applies the history one event at a time, and a credential is issued whenever
          // an e-licence is, so credentials of e-licences invalidated later are in the list too.
          const readModels = inMemoryReadModelStore()
          const runner = projectionRunner({ events: store, readModels, batchSize: 1 })
          let nowMs = 0
          const lists = statusLists({
            readModels,
            // Followed, the list reads what the runner has applied, one event at a time, as the
            // test steps it: its own catch-up must not run ahead.
            catchUp: followed ? async () => E.right(undefined) : runner.catchUp,
            keys,
            issuer: () => issuer,
            clock: () => new Date(nowMs),
            ...(followed
              ? { ttlSeconds: 10 ** 9, follow: { events: store, mayHaveChanged: () => true } }
              : {}),
          })
          const issued: Array<{ idx: number; streamId: string; eLicenceId: string }> = []
          for (const event of events) {
            expect(right(await runner.step()).applied).toBe(1)
            nowMs = Date.parse(event.metadata.at)
            if (followed && issued.length > 0) right(await lists.listJwt(1))
            if (event.type !== 'ELicenceIssued') continue
            const views = right(await readModels.load('elicence', 'e-licence', [event.streamId]))
            const view = views.get(event.streamId) as ELicenceView
            const reference = right(await lists.allocate(view))
            expect(reference.uri).toBe(`${issuer}/status-lists/1`)
            issued.push({ idx: reference.idx, streamId: event.streamId, eLicenceId: view.eLicenceId ?? '' })
          }
          expect(new Set(issued.map((entry) => entry.idx)).size).toBe(issued.length)
          if (issued.length === 0) return
          const jwt = right(await lists.listJwt(1))
          const list = getListFromStatusListJWT(jwt)
          const finalViews = right(
            await readModels.load(
              'elicence',
              'e-licence',
              script.licences.map((licence) => streamIdFor(licence.licenceNumber)),
            ),
          )
          for (const entry of issued) {
            const view = finalViews.get(entry.streamId) as ELicenceView | undefined
            expect(list.getStatus(entry.idx)).toBe(expectedCode(view, entry.eLicenceId, nowMs))
            seen.add(list.getStatus(entry.idx))
          }
        }),
        { numRuns: 60 },
      )
      expect([...seen].sort()).toEqual([0, 1, 2])
    },
  )

  it('publishes a signed statuslist+jwt with bits 2, sub, iat, exp and ttl, reused within its ttl', async () => {
    const store = inMemoryEventStore()
    const readModels = inMemoryReadModelStore()
    let nowMs = Date.parse('2026-10-16T10:00:00+08:00')
    let builds = 0
    const runner = projectionRunner({ events: store, readModels })
    const lists = statusLists({
      readModels,
      catchUp: () => {
        builds++
        return runner.catchUp()
      },
      keys,
      issuer: () => issuer,
      clock: () => new Date(nowMs),
      ttlSeconds: 30,
    })
    expect(
      right(await lists.allocate({ streamId: 'licence-x', eLicenceId: 'EL-x-1' } as ELicenceView)).uri,
    ).toBe(`${issuer}/status-lists/1`)
    const jwt = right(await lists.listJwt(1))
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'EdDSA', typ: 'statuslist+jwt', kid: keys.kid })
    const verified = await compactVerify(
      jwt,
      createLocalJWKSet({ keys: keys.jwks.keys.map((key) => ({ ...key })) }),
    )
    const payload = JSON.parse(new TextDecoder().decode(verified.payload))
    expect(payload).toMatchObject({
      iss: issuer,
      sub: `${issuer}/status-lists/1`,
      iat: nowMs / 1000,
      ttl: 30,
    })
    expect(payload.exp).toBeGreaterThan(payload.iat)
    expect(payload.status_list.bits).toBe(2)
    expect(payload.status_list.lst).toMatch(/^[A-Za-z0-9_-]+$/)
    // Fails closed: an index the service never handed out reads INVALID, like one whose view is gone.
    const list = getListFromStatusListJWT(jwt)
    expect(list.getStatus(0) === statusCodes.invalid && list.getStatus(65_535) === statusCodes.invalid).toBe(
      true,
    )
    nowMs += 29_000
    expect(right(await lists.listJwt(1))).toBe(jwt)
    nowMs += 2_000
    expect(right(await lists.listJwt(1))).not.toBe(jwt)
    expect(builds).toBe(2)
    expect(await lists.listJwt(2)).toMatchObject({ _tag: 'Left', left: { code: 'not-found' } })
    expect(lists.listIdOf(`${issuer}/status-lists/1`)).toBe(1)
    expect(lists.listIdOf('https://elsewhere.example/status-lists/1')).toBeUndefined()
  })

  it('takes an index handed out after the list was built at once, signed again without a rebuild until the ttl ends', async () => {
    const { store } = await runHistoryScript({
      licences: [{ licenceNumber: licenceNumberFor(0), photoOnFile: true, statuses: ['A'] }],
      steps: [
        { licence: 0, advanceMinutes: 0, recordLagMinutes: 0, action: { kind: 'apply' } },
        { licence: 0, advanceMinutes: 3 * 24 * 60, recordLagMinutes: 0, action: { kind: 'review' } },
      ],
    })
    const readModels = inMemoryReadModelStore()
    const runner = projectionRunner({ events: store, readModels })
    right(await runner.catchUp())
    const streamId = streamIdFor(licenceNumberFor(0))
    const view = right(await readModels.load('elicence', 'e-licence', [streamId])).get(
      streamId,
    ) as ELicenceView
    let nowMs = Date.parse(view.issuedAt ?? '') + 60_000
    let builds = 0
    const lists = statusLists({
      readModels,
      catchUp: () => {
        builds++
        return runner.catchUp()
      },
      keys,
      issuer: () => issuer,
      clock: () => new Date(nowMs),
      ttlSeconds: 30,
    })
    const jwks = createLocalJWKSet({ keys: keys.jwks.keys.map((key) => ({ ...key })) })
    const statusesIn = async (jwt: string, indexes: ReadonlyArray<number>) => {
      await compactVerify(jwt, jwks)
      const list = getListFromStatusListJWT(jwt)
      return indexes.map((idx) => list.getStatus(idx))
    }
    const first = right(await lists.allocate(view)).idx
    const built = right(await lists.listJwt(1))
    expect(await statusesIn(built, [first])).toEqual([statusCodes.valid])
    // A credential of an abnormal licence, issued now: SUSPENDED in the next read, by the same build.
    const second = right(await lists.allocate({ ...view, statuses: ['B'] } as ELicenceView)).idx
    nowMs += 10_000
    const [updated, sameRead] = await Promise.all([lists.listJwt(1), lists.listJwt(1)])
    expect(right(updated)).not.toBe(built)
    expect(right(sameRead)).toBe(right(updated))
    expect(await statusesIn(right(updated), [first, second])).toEqual([
      statusCodes.valid,
      statusCodes.suspended,
    ])
    expect(builds).toBe(1)
    expect(right(await lists.listJwt(1))).toBe(right(updated))
    // Once the build's ttl ends, the list is rebuilt from the views: the licence is normal after all.
    nowMs += 21_000
    const rebuilt = right(await lists.listJwt(1))
    expect(builds).toBe(2)
    expect(await statusesIn(rebuilt, [first, second])).toEqual([statusCodes.valid, statusCodes.valid])
  })

  it('gives concurrent allocations one commit, each its own index, and fails them all when that commit fails', async () => {
    const readModels = inMemoryReadModelStore()
    let commits = 0
    let failNext = false
    const counting = {
      ...readModels,
      commit: (...args: Parameters<typeof readModels.commit>) => {
        commits++
        if (failNext) return Promise.resolve(E.left(storeFailure('disk full')))
        return readModels.commit(...args)
      },
    }
    const lists = statusLists({
      readModels: counting,
      catchUp: async () => E.right(undefined),
      keys,
      issuer: () => issuer,
      clock: () => new Date(0),
    })
    const view = (n: number) => ({ streamId: `licence-${n}`, eLicenceId: `EL-${n}-1` }) as ELicenceView
    const references = await Promise.all(Array.from({ length: 20 }, (_, n) => lists.allocate(view(n))))
    expect(commits).toBe(1)
    expect(new Set(references.map((reference) => right(reference).idx)).size).toBe(20)
    failNext = true
    const failed = await Promise.all(Array.from({ length: 5 }, (_, n) => lists.allocate(view(n))))
    expect(commits).toBe(2)
    for (const outcome of failed)
      expect(outcome).toMatchObject({ _tag: 'Left', left: { message: 'disk full' } })
  })

  it('draws indexes below the bound, every one possible, across refills of its pool of random words', () => {
    for (const bound of [1, 3, 65_536, 2 ** 31 + 1, 2 ** 32]) {
      const drawn = Array.from({ length: 1_000 }, () => webCryptoRandomIndex(bound))
      expect(drawn.every((idx) => Number.isInteger(idx) && idx >= 0 && idx < bound)).toBe(true)
      if (bound === 3) expect(new Set(drawn)).toEqual(new Set([0, 1, 2]))
      // 1,000 draws from 65,536 or more values: a repeat of most of them would be no random source.
      if (bound >= 65_536) expect(new Set(drawn).size).toBeGreaterThan(950)
    }
  })

  it('groups clients that come back one after another into one commit, and goes on without one that does not', async () => {
    // A store whose commits take 20 ms, as a disk's sync does: clients answered by one commit come
    // back a little apart, each while the next commit could already have begun for the first.
    const readModels = inMemoryReadModelStore()
    const batches: number[] = []
    const slow = {
      ...readModels,
      commit: async (...args: Parameters<typeof readModels.commit>) => {
        batches.push(args[1].length)
        await new Promise((resolve) => setTimeout(resolve, 20))
        return readModels.commit(...args)
      },
    }
    const lists = statusLists({
      readModels: slow,
      catchUp: async () => E.right(undefined),
      keys,
      issuer: () => issuer,
      clock: () => new Date(0),
    })
    const view = (n: number) => ({ streamId: `licence-${n}`, eLicenceId: `EL-${n}-1` }) as ELicenceView
    const rounds = 6
    // Client n comes back n/2 ms after its answer, and stops after `rounds` allocations; the last
    // client stops one round early, so a batch waits for it once and then goes on without it.
    const client = async (n: number) => {
      const indexes: number[] = []
      for (let round = 0; round < (n === 9 ? rounds - 1 : rounds); round++) {
        indexes.push(right(await lists.allocate(view(n))).idx)
        await new Promise((resolve) => setTimeout(resolve, n / 2))
      }
      return indexes
    }
    const all = (await Promise.all(Array.from({ length: 10 }, (_, n) => client(n)))).flat()
    expect(new Set(all).size).toBe(all.length)
    // Ungrouped, the batches went 10, 1, 9, 1, 9, …: about two commits a round.
    expect(batches.length).toBeLessThanOrEqual(rounds + 1)
    expect(batches.reduce((sum, size) => sum + size, 0)).toBe(all.length)
  })

  it('hands a batch free indexes in a list whose picks are mostly taken, drawing again only the taken ones', async () => {
    const readModels = inMemoryReadModelStore()
    let commits = 0
    const counting = {
      ...readModels,
      commit: (...args: Parameters<typeof readModels.commit>) => {
        commits++
        return readModels.commit(...args)
      },
    }
    // First the indexes 0–199 in order, then picks among 0–219 only: nine in ten are taken, so a
    // batch of twenty drawn whole would almost never be free at once.
    let next = 0
    let seed = 7
    const randomIndex = () => {
      if (next < 200) return next++
      // xorshift32: deterministic, and every residue comes up.
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return (seed >>> 0) % 220
    }
    const lists = statusLists({
      readModels: counting,
      catchUp: async () => E.right(undefined),
      keys,
      issuer: () => issuer,
      clock: () => new Date(0),
      randomIndex,
    })
    const view = (n: number) => ({ streamId: `licence-${n}`, eLicenceId: `EL-${n}-1` }) as ELicenceView
    for (let n = 0; n < 200; n += 50)
      await Promise.all(Array.from({ length: 50 }, (_, k) => lists.allocate(view(n + k))))
    const before = commits
    const references = await Promise.all(Array.from({ length: 20 }, (_, n) => lists.allocate(view(200 + n))))
    const indexes = references.map((reference) => right(reference).idx).sort((a, b) => a - b)
    expect(indexes).toEqual(Array.from({ length: 20 }, (_, n) => 200 + n))
    expect(commits - before).toBe(1)
  })
})
