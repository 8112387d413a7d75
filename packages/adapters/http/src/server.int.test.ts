// The JSON API over a real listening server (loopback, port 0) and the in-memory store: commands,
// authentication and the role policy, status codes, event histories and health. Every response goes
// through `apiClient`, which checks it against the served OpenAPI document.
import { concurrencyConflict, type EventStore, inMemoryEventStore, storeFailure } from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  applyCommand as apply,
  licenceNumber,
  nextCommandId,
  otherLicenceNumber,
  type TestServer as Running,
  recordLicenceCommand as recordLicence,
  startTestServer as start,
  testTokens as tokens,
} from './test-support/test-server.js'

/** Most requests here are a command sent with a bearer token: what varies is who and what. */
const postCommand = (running: Running, token: string, body: unknown) =>
  running.api.request('POST', '/commands', { token, body })

/** A server for one test (options as `startTestServer` takes them), closed however the test ends. */
const withServer = async (options: Parameters<typeof start>[0], use: (running: Running) => Promise<void>) => {
  const running = await start(options)
  try {
    await use(running)
  } finally {
    await running.app.close()
  }
}

const storedEventCount = async (store: EventStore): Promise<number> => {
  const read = await store.readAll({ after: 0, limit: 10_000 })
  if (E.isLeft(read)) throw new Error(read.left.message)
  return read.right.events.length
}

describe('POST /commands', () => {
  let running: Running
  beforeAll(async () => {
    running = await start()
  })
  afterAll(async () => {
    await running.app.close()
  })

  it('refuses a request without a bearer token, or with an unknown one, with 401', async () => {
    const missing = await running.api.request('POST', '/commands', { body: recordLicence() })
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/)
    const unknown = await postCommand(running, 'not-a-token', recordLicence())
    expect(unknown.status).toBe(401)
    expect(unknown.body.error.code).toBe('unauthorized')
    expect(await storedEventCount(running.store)).toBe(0)
  })

  it('refuses auditors and verifiers, who never change anything, with 403', async () => {
    for (const token of [tokens.auditor, tokens.verifier]) {
      const response = await postCommand(running, token, recordLicence())
      expect(response.status).toBe(403)
      expect(response.body.error.code).toBe('forbidden')
      expect(response.body.error.message).toMatch(/^an? (auditor|verifier) may not send commands$/)
    }
    expect(await storedEventCount(running.store)).toBe(0)
  })

  it('tells them of invalid input first (DESIGN §3’s order), on every route that takes input', async () => {
    const routes: ReadonlyArray<[string, string, string, unknown]> = [
      [tokens.verifier, 'POST', '/commands', {}],
      [tokens.auditor, 'POST', '/commands', { type: 'RecordLicence' }],
      [tokens.verifier, 'POST', `/licences/${licenceNumber}/credentials`, { holderKey: 'no key' }],
      [tokens.holder, 'POST', '/presentations/verify', { presentation: 7 }],
      [tokens.verifier, 'GET', `/licences/${licenceNumber}?asOf=yesterday`, undefined],
      [tokens.holder, 'GET', '/review-queue?limit=0', undefined],
    ]
    for (const [token, method, path, body] of routes) {
      const invalid = await running.api.request(method, path, {
        token,
        ...(body === undefined ? {} : { body }),
      })
      expect([path, invalid.status]).toEqual([path, 400])
    }
    expect(await storedEventCount(running.store)).toBe(0)
  })

  it('lists every failing path of an invalid command with 400, and stores nothing', async () => {
    const command = recordLicence()
    const response = await postCommand(running, tokens.registry, {
      ...command,
      data: {
        ...command.data,
        licenceNumber: '110105194912310021',
        classes: ['C1', 'C1'],
        validFrom: '2026-02-30',
      },
    })
    expect(response.status).toBe(400)
    expect(response.body.error.code).toBe('invalid-command')
    const paths = response.body.error.issues.map((issue: { path: string }) => issue.path)
    expect(paths).toEqual(expect.arrayContaining(['data.licenceNumber', 'data.classes', 'data.validFrom']))
    expect(await storedEventCount(running.store)).toBe(0)
  })

  it('records a licence (201), answers a re-sent command with its first outcome (200), refuses a reused id (409)', async () => {
    const command = recordLicence()
    const first = await postCommand(running, tokens.registry, command)
    expect(first.status).toBe(201)
    expect(first.body.replayed).toBe(false)
    expect(first.body.events.map((event: { type: string }) => event.type)).toEqual(['LicenceRecorded'])
    expect(first.body.events[0].metadata.actor).toEqual({ role: 'registry', id: 'registry-1' })

    const again = await postCommand(running, tokens.registry, command)
    expect(again.status).toBe(200)
    expect(again.body).toEqual({ ...first.body, replayed: true })

    const reused = await postCommand(running, tokens.registry, {
      ...recordLicence(licenceNumber, 'acct-someone-else'),
      metadata: command.metadata,
    })
    expect(reused.status).toBe(409)
    expect(reused.body.error.code).toBe('command-id-reused')

    const twice = await postCommand(running, tokens.registry, recordLicence())
    expect(twice.status).toBe(422)
    expect(twice.body.error.code).toBe('licence-already-recorded')
    expect(await storedEventCount(running.store)).toBe(1)
  })

  it('keeps the error order for reused ids: a holder re-sending the registry’s command gets 403, not 409', async () => {
    await withServer({}, async (fresh) => {
      const record = recordLicence()
      expect((await postCommand(fresh, tokens.registry, record)).status).toBe(201)
      const resent = await postCommand(fresh, tokens.holder, record)
      expect([resent.status, resent.body.error.code]).toEqual([403, 'forbidden'])
      const stranger = await postCommand(fresh, tokens.otherHolder, { ...apply(), metadata: record.metadata })
      expect([stranger.status, stranger.body.error.code]).toEqual([403, 'not-licence-holder'])
      // The holder may act on the licence, so is told the id is taken.
      const holder = await postCommand(fresh, tokens.holder, { ...apply(), metadata: record.metadata })
      expect([holder.status, holder.body.error.code]).toEqual([409, 'command-id-reused'])
      expect(await storedEventCount(fresh.store)).toBe(1)
    })
  })

  it('never locks a holder out for a registry clock that runs ahead: their stamped command happens at the licence’s last instant', async () => {
    await withServer({}, async (fresh) => {
      fresh.setNow('2026-10-15T10:00:00+08:00')
      // Recorded by a registry whose clock is 100 s ahead of the server's (within the skew).
      const ahead = recordLicence()
      const recorded = await postCommand(fresh, tokens.registry, {
        ...ahead,
        metadata: { ...ahead.metadata, at: '2026-10-15T10:01:40+08:00' },
      })
      expect(recorded.status).toBe(201)
      // The holder applies at once: the server's 10:00:00 would be before the licence's history.
      const applied = await postCommand(fresh, tokens.holder, apply())
      expect([applied.status, applied.body.error?.code]).toEqual([201, undefined])
      expect(Date.parse(applied.body.events[0].metadata.at)).toBe(Date.parse('2026-10-15T10:01:40+08:00'))
      // The registry, stating its own time, is held to it as before.
      const stated = await postCommand(fresh, tokens.registry, {
        type: 'ChangeLicenceStatus',
        data: { licenceNumber, statuses: ['H'] },
        metadata: { commandId: crypto.randomUUID(), at: '2026-10-15T10:01:00+08:00' },
      })
      expect([stated.status, stated.body.error.code]).toEqual([422, 'instant-before-history'])
    })
  })

  it('refuses, for every role that may state its time, an `at` ahead of the server’s clock (422 instant-in-future)', async () => {
    await withServer({}, async (fresh) => {
      fresh.setNow('2026-10-15T10:00:00+08:00')
      const ahead = (body: { readonly metadata: object }, at: string) => ({
        ...body,
        metadata: { ...body.metadata, at },
      })
      const early = await postCommand(
        fresh,
        tokens.registry,
        ahead(recordLicence(), '2026-10-15T10:05:00+08:00'),
      )
      expect([early.status, early.body.error.code]).toEqual([422, 'instant-in-future'])
      expect(await storedEventCount(fresh.store)).toBe(0)
      // Within the two minutes of skew it applies.
      const skewed = await postCommand(
        fresh,
        tokens.registry,
        ahead(recordLicence(), '2026-10-15T10:01:30+08:00'),
      )
      expect(skewed.status).toBe(201)
      fresh.setNow('2026-10-15T10:02:00+08:00')
      expect((await postCommand(fresh, tokens.holder, apply())).status).toBe(201)
      // A scheduled job claiming the due time a day early cannot issue the e-licence.
      const review = await postCommand(fresh, tokens.system, {
        type: 'ReviewApplication',
        data: { licenceNumber, applicationId: 'app-1' },
        metadata: { commandId: nextCommandId(), at: '2026-10-16T10:02:00+08:00' },
      })
      expect([review.status, review.body.error.code]).toEqual([422, 'instant-in-future'])
      expect(await storedEventCount(fresh.store)).toBe(2)
    })
  })

  it('takes rule 10’s skew from maxClockSkewMs: within the default two minutes, yet beyond thirty seconds', async () => {
    await withServer({ maxClockSkewMs: 30_000 }, async (fresh) => {
      fresh.setNow('2026-10-15T10:00:00+08:00')
      const record = recordLicence()
      const early = await postCommand(fresh, tokens.registry, {
        ...record,
        metadata: { ...record.metadata, at: '2026-10-15T10:01:00+08:00' },
      })
      expect([early.status, early.body.error.code]).toEqual([422, 'instant-in-future'])
      const within = await postCommand(fresh, tokens.registry, {
        ...record,
        metadata: { ...record.metadata, at: '2026-10-15T10:00:20+08:00' },
      })
      expect(within.status).toBe(201)
    })
  })

  it('refuses a body that claims another actor (403) and accepts one that repeats the token’s', async () => {
    const claimed = recordLicence(otherLicenceNumber, 'acct-other')
    const impostor = await postCommand(running, tokens.registry, {
      ...claimed,
      metadata: { ...claimed.metadata, actor: { role: 'registry', id: 'registry-2' } },
    })
    expect(impostor.status).toBe(403)
    const honest = await postCommand(running, tokens.registry, {
      ...claimed,
      metadata: { ...claimed.metadata, actor: { role: 'registry', id: 'registry-1' } },
    })
    expect(honest.status).toBe(201)
  })

  it('stamps a holder’s command with the server’s clock and refuses a stated `at` (400)', async () => {
    const backdated = apply()
    const refused = await postCommand(running, tokens.holder, {
      ...backdated,
      metadata: { ...backdated.metadata, at: '2020-01-01T00:00:00Z' },
    })
    expect(refused.status).toBe(400)
    expect(refused.body.error.issues).toEqual([expect.objectContaining({ path: 'metadata.at' })])

    const applied = await postCommand(running, tokens.holder, apply())
    expect(applied.status).toBe(201)
    const [event] = applied.body.events
    expect(event.type).toBe('ELicenceApplied')
    expect(Date.parse(event.metadata.at)).toBe(Date.parse('2026-10-15T10:00:00+08:00'))
    expect(event.data.reviewDueAt).toBe('2026-10-16T02:00:00.000Z')
  })

  it('lets a holder act only on their own licence (403)', async () => {
    const response = await postCommand(running, tokens.otherHolder, apply())
    expect(response.status).toBe(403)
    expect(response.body.error.code).toBe('not-licence-holder')
  })

  it('answers 404 for a licence never recorded and 422 for a rule, e.g. a review not yet due', async () => {
    const missing = await postCommand(running, tokens.reviewer, {
      type: 'ReviewApplication',
      data: { licenceNumber: '110105198001010016', applicationId: 'app-1' },
      metadata: { commandId: nextCommandId() },
    })
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('licence-not-found')

    const review = () => ({
      type: 'ReviewApplication',
      data: { licenceNumber, applicationId: 'app-1' },
      metadata: { commandId: nextCommandId() },
    })
    const early = await postCommand(running, tokens.reviewer, review())
    expect(early.status).toBe(422)
    expect(early.body.error.code).toBe('review-not-due')

    // A reviewer cannot post-date a review to beat the wait: only the server's clock counts.
    const postDated = review()
    const stated = await postCommand(running, tokens.reviewer, {
      ...postDated,
      metadata: { ...postDated.metadata, at: '2026-10-20T10:00:00+08:00' },
    })
    expect(stated.status).toBe(400)

    running.setNow('2026-10-16T10:00:00+08:00')
    const due = await postCommand(running, tokens.reviewer, review())
    expect(due.status).toBe(201)
    expect(due.body.events.map((event: { type: string }) => event.type)).toEqual(['ELicenceIssued'])
  })

  it('refuses bodies that are not JSON commands without a 5xx: 400, 413, 415', async () => {
    const postRaw = (rawBody: string, contentType: string) =>
      running.api.request('POST', '/commands', {
        token: tokens.registry,
        rawBody,
        headers: { 'content-type': contentType },
      })
    const malformed = await postRaw('{"type": "RecordLicence", ', 'application/json')
    expect(malformed.status).toBe(400)
    const poisoned = await postRaw('{"__proto__": {"admin": true}}', 'application/json')
    expect(poisoned.status).toBe(400)
    const large = await postCommand(running, tokens.registry, {
      ...recordLicence(),
      padding: 'x'.repeat(70_000),
    })
    expect(large.status).toBe(413)
    expect(large.body.error.code).toBe('payload-too-large')
    const xml = await postRaw('<command/>', 'application/xml')
    expect(xml.status).toBe(415)
    // text/plain too: Fastify's default parser would hand the route a string.
    const text = await postRaw('RecordLicence please', 'text/plain')
    expect(text.status).toBe(415)
  })
})

describe('GET /licences/:licenceNumber/events', () => {
  let running: Running
  beforeAll(async () => {
    running = await start()
    const recorded = await postCommand(running, tokens.registry, recordLicence())
    expect(recorded.status).toBe(201)
    await postCommand(running, tokens.holder, apply())
  })
  afterAll(async () => {
    await running.app.close()
  })

  it('gives the stream with its hash chain to an auditor and to the licence’s holder', async () => {
    for (const token of [tokens.auditor, tokens.holder, tokens.registry]) {
      const response = await running.api.request('GET', `/licences/${licenceNumber}/events`, { token })
      expect(response.status).toBe(200)
      expect(response.body.version).toBe(1)
      const [first, second] = response.body.events
      expect(first.metadata.prevHash).toBe('0'.repeat(64))
      expect(second.metadata.prevHash).toBe(first.metadata.hash)
    }
  })

  it('keeps other holders and verifiers out (403), recorded or not, and says 404 to others', async () => {
    const other = await running.api.request('GET', `/licences/${licenceNumber}/events`, {
      token: tokens.otherHolder,
    })
    expect(other.status).toBe(403)
    const unrecordedForHolder = await running.api.request('GET', `/licences/${otherLicenceNumber}/events`, {
      token: tokens.otherHolder,
    })
    expect(unrecordedForHolder.status).toBe(403)
    const verifier = await running.api.request('GET', `/licences/${licenceNumber}/events`, {
      token: tokens.verifier,
    })
    expect(verifier.status).toBe(403)
    const unrecorded = await running.api.request('GET', `/licences/${otherLicenceNumber}/events`, {
      token: tokens.auditor,
    })
    expect(unrecorded.status).toBe(404)
  })

  it('refuses a malformed licence number with 400 naming the path parameter', async () => {
    const response = await running.api.request('GET', '/licences/110105194912310021/events', {
      token: tokens.auditor,
    })
    expect(response.status).toBe(400)
    expect(response.body.error.issues[0].path).toBe('params.licenceNumber')
  })
})

describe('conflicts, store failures and health', () => {
  it('answers 409 after the handler’s bounded retries when the stream keeps changing', async () => {
    // Without its write lock, the in-memory store takes the optimistic path this test is about.
    const { decideAndAppend: _locked, ...inner } = inMemoryEventStore()
    let appendAttempts = 0
    const racing: EventStore = {
      ...inner,
      appendToStream: async (streamId, expected) => {
        appendAttempts++
        return E.left(concurrencyConflict(streamId, expected, 7))
      },
    }
    await withServer({ store: racing, maxAttempts: 3 }, async (running) => {
      const response = await postCommand(running, tokens.registry, recordLicence())
      expect(response.status).toBe(409)
      expect(response.body.error.code).toBe('concurrency-conflict')
      // The last conflict's details reach the client: which stream, where the write expected it, where it was.
      expect(response.body.error).toMatchObject({
        streamId: `licence-${licenceNumber}`,
        expected: 'no-stream',
        actual: 7,
      })
      expect(appendAttempts).toBe(3)
    })
  })

  it('answers a corrupt event with 500 naming its stream and version', async () => {
    // A store whose stream reads hand back classes as a string: no codec accepts that.
    const inner = inMemoryEventStore()
    const corrupt: EventStore = {
      ...inner,
      readStream: async (streamId) => {
        const read = await inner.readStream(streamId)
        if (E.isLeft(read)) return read
        const events = read.right.events.map((event) => ({
          ...event,
          data: { ...(event.data as object), classes: 'C1' },
        }))
        return E.right({ ...read.right, events })
      },
    }
    await withServer({ store: corrupt }, async (running) => {
      const recorded = await postCommand(running, tokens.registry, recordLicence())
      expect(recorded.status).toBe(201)
      const response = await running.api.request('GET', `/licences/${licenceNumber}`, {
        token: tokens.auditor,
      })
      expect(response.status).toBe(500)
      expect(response.body.error).toMatchObject({
        code: 'corrupt-event',
        streamId: `licence-${licenceNumber}`,
        version: 0,
      })
      expect(response.body.error.message).toMatch(/data\.classes/)
    })
  })

  it('reports the store in /healthz: 200 when it answers, 503 when it fails', async () => {
    // Without its write lock, commands go through the readStream this test makes fail.
    const { decideAndAppend: _locked, ...inner } = inMemoryEventStore()
    let failing = false
    const flaky: EventStore = {
      ...inner,
      readAll: async (options) => (failing ? E.left(storeFailure('disk on fire')) : inner.readAll(options)),
      readStream: async (streamId) =>
        failing ? E.left(storeFailure('disk on fire')) : inner.readStream(streamId),
    }
    await withServer({ store: flaky }, async (running) => {
      const healthy = await running.api.request('GET', '/healthz')
      expect(healthy.status).toBe(200)
      expect(healthy.body).toEqual({
        status: 'ok',
        store: { name: 'memory', status: 'ok' },
        writes: { status: 'ok' },
      })
      failing = true
      const sick = await running.api.request('GET', '/healthz')
      expect(sick.status).toBe(503)
      expect(sick.body.store.message).toBe('disk on fire')
      const command = await postCommand(running, tokens.registry, recordLicence())
      expect(command.status).toBe(503)
      expect(command.body.error.code).toBe('store-failure')
    })
  })

  it('answers an unknown route with a JSON 404', async () => {
    await withServer({}, async (running) => {
      const response = await fetch(`${running.api.baseUrl}/no/such/route`)
      expect(response.status).toBe(404)
      expect(await response.json()).toMatchObject({ error: { code: 'not-found' } })
    })
  })
})
