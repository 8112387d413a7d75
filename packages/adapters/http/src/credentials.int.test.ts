// Credentials, status lists and presentations over a real listening server, checked the way a third
// party would: the OpenWallet Foundation library's own `verify`, configured only from the JWKS that
// `/.well-known/jwt-vc-issuer` publishes and the status list it fetches itself from the URI in the
// credential, plus our `POST /presentations/verify`. The clock is the server's, set by the test.
import { createHash } from 'node:crypto'
import { chinaMainlandCalendar, commandHandler, licenceDecider } from '@elicence/domain'
import { defaultDisclosures, presentCredential } from '@elicence/projections'
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import { compactVerify, createLocalJWKSet, decodeJwt, importJWK, type JSONWebKeySet, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServerOptions } from './server.js'
import {
  applyCommand,
  licenceNumber,
  nextCommandId,
  otherLicenceNumber,
  recordLicenceCommand,
  renewToClassesCommand,
  reviewCommand,
  sendCommand,
  sourceWorkerExecArgv,
  startTestServer,
  type TestServer,
  testTokens as tokens,
} from './test-support/test-server.js'

let running: TestServer
let device: CryptoKeyPair
let deviceJwk: JsonWebKey

const p256 = async () =>
  (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair

const obtain = (holderKey: unknown, token: string = tokens.holder, number: string = licenceNumber) =>
  running.api.request('POST', `/licences/${number}/credentials`, { token, body: { holderKey } })

const nowMs = async () => Date.parse((await running.api.request('GET', '/healthz')).headers.get('date') ?? '')

const presentNow = (credential: string, at: number, key: CryptoKey = device.privateKey, nonce = 'nonce-1') =>
  presentCredential(credential, {
    disclose: defaultDisclosures,
    deviceKey: key,
    algorithm: 'ES256',
    audience: running.api.baseUrl,
    nonce,
    now: at,
  })

const verify = (presentation: string, extra: Record<string, string> = {}) =>
  running.api.request('POST', '/presentations/verify', {
    token: tokens.verifier,
    body: { presentation, ...extra },
  })

/** The library's verifier, as a third party would set it up from our published metadata alone. */
const thirdPartyVerifier = async () => {
  const metadata = await (await fetch(`${running.api.baseUrl}/.well-known/jwt-vc-issuer`)).json()
  const jwks = createLocalJWKSet(metadata.jwks as JSONWebKeySet)
  const verifyJws = async (jws: string, key: Parameters<typeof compactVerify>[1]) => {
    try {
      await compactVerify(jws, key as never)
      return true
    } catch {
      return false
    }
  }
  return {
    metadata,
    library: new SDJwtVcInstance({
      hasher: (data) =>
        new Uint8Array(
          createHash('sha256')
            .update(typeof data === 'string' ? data : new Uint8Array(data))
            .digest(),
        ),
      verifier: (data, signature) => verifyJws(`${data}.${signature}`, jwks),
      kbVerifier: async (data, signature, payload) =>
        verifyJws(`${data}.${signature}`, await importJWK(payload.cnf?.jwk as JWK, 'ES256')),
      // No statusListFetcher: the library fetches the list from the credential's URI itself.
    }),
  }
}

// Credentials are made and presentations checked on the server's thread, or on a worker thread (run
// from the TypeScript sources through module hooks, like the tests): the same answers either way.
const execArgv = sourceWorkerExecArgv
const placements: ReadonlyArray<[string, ServerOptions['credentialWorkers']]> = [
  ['credentials on the server thread', undefined],
  ['credentials on a worker thread', { threads: 1, execArgv }],
]

describe.each(placements)('%s', (_placement, credentialWorkers) => {
  beforeAll(async () => {
    running = await startTestServer({
      statusListTtlSeconds: 30,
      ...(credentialWorkers === undefined ? {} : { credentialWorkers }),
    })
    await sendCommand(running, tokens.registry, recordLicenceCommand())
    await sendCommand(running, tokens.registry, recordLicenceCommand(otherLicenceNumber, 'acct-other'))
    await sendCommand(running, tokens.holder, applyCommand())
    running.setNow('2026-10-16T10:00:00+08:00')
    await sendCommand(running, tokens.reviewer, reviewCommand())
    device = await p256()
    deviceJwk = await crypto.subtle.exportKey('jwk', device.publicKey)
  })

  afterAll(async () => {
    await running?.app.close()
  })

  describe('issuing credentials', () => {
    it('issues an SD-JWT VC to the holder, bound to the device key, never cached or sniffed', async () => {
      const issued = await obtain(deviceJwk)
      expect(issued.status).toBe(201)
      expect(issued.headers.get('cache-control')).toBe('no-store')
      expect(issued.headers.get('x-content-type-options')).toBe('nosniff')
      const claims = decodeJwt(issued.body.credential.split('~')[0])
      expect(claims).toMatchObject({
        iss: running.api.baseUrl,
        vct: 'urn:elicence:e-licence:1',
        cnf: { jwk: { kty: 'EC', crv: 'P-256', x: deviceJwk.x, y: deviceJwk.y } },
        status: { status_list: issued.body.status },
      })
      expect(issued.body.status.uri).toBe(`${running.api.baseUrl}/status-lists/1`)
    })

    it('accepts an Ed25519 device key too', async () => {
      const ed = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair
      expect((await obtain(await crypto.subtle.exportKey('jwk', ed.publicKey))).status).toBe(201)
    })

    it('is for the licence’s holder only', async () => {
      for (const token of [tokens.registry, tokens.reviewer, tokens.verifier, tokens.auditor]) {
        expect((await obtain(deviceJwk, token)).status).toBe(403)
      }
      expect((await obtain(deviceJwk, tokens.otherHolder)).status).toBe(403)
      expect((await obtain(deviceJwk, 'not-a-known-token-at-all')).status).toBe(401)
    })

    it('is refused with 422 and the reasons while there is no issued e-licence', async () => {
      const refused = await obtain(deviceJwk, tokens.otherHolder, otherLicenceNumber)
      expect(refused.status).toBe(422)
      expect(refused.body.error).toMatchObject({ code: 'e-licence-not-valid', reasons: ['never-issued'] })
    })

    it('refuses a key that is not a public P-256 or Ed25519 JWK with 400, naming the path', async () => {
      const privateJwk = { ...deviceJwk, d: 'Jd7uxl5jBLRLw2nhqfT-E0EbvGdPc4fNWxHjI1dQvcE' }
      for (const holderKey of [
        privateJwk,
        { kty: 'RSA', n: 'AQAB', e: 'AQAB' },
        'a key',
        { ...deviceJwk, x: 'short' },
      ]) {
        const refused = await obtain(holderKey)
        expect(refused.status, JSON.stringify(holderKey)).toBe(400)
        expect(
          refused.body.error.issues.some((issue: { path: string }) =>
            issue.path.startsWith('body.holderKey'),
          ),
        ).toBe(true)
      }
      const offCurve = await obtain({ ...deviceJwk, y: deviceJwk.x })
      expect(offCurve.status).toBe(400)
      expect(offCurve.body.error.issues).toEqual([
        { path: 'body.holderKey', message: 'not a point of P-256' },
      ])
      // Ed25519 points of small order, which node:crypto and Web Crypto import and then accept a
      // forged signature with (R the identity, S 0): the identity, zero, and p - 1 (order 2).
      for (const x of [
        'AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        '7P_______________________________________38',
      ]) {
        const smallOrder = await obtain({ kty: 'OKP', crv: 'Ed25519', x })
        expect([x, smallOrder.status]).toEqual([x, 400])
        expect(smallOrder.body.error.issues[0].message).toMatch(/prime-order subgroup/)
      }
    })
  })

  describe('issuer metadata and status lists', () => {
    it('publishes the JWKS at /.well-known/jwt-vc-issuer without a token', async () => {
      const metadata = await running.api.request('GET', '/.well-known/jwt-vc-issuer')
      expect(metadata.status).toBe(200)
      expect(metadata.body).toEqual({ issuer: running.api.baseUrl, jwks: running.keys.jwks })
      expect(metadata.body.jwks.keys[0].kid).toBe(running.keys.kid)
    })

    it('serves the status list as application/statuslist+jwt, cacheable for its ttl, 404 for a list that is none', async () => {
      const list = await running.api.request('GET', '/status-lists/1')
      expect(list.status).toBe(200)
      expect(list.headers.get('content-type')).toBe('application/statuslist+jwt')
      expect(list.headers.get('cache-control')).toBe('public, max-age=30')
      expect(decodeJwt(list.body)).toMatchObject({ sub: `${running.api.baseUrl}/status-lists/1`, ttl: 30 })
      expect((await running.api.request('GET', '/status-lists/9')).status).toBe(404)
      expect((await running.api.request('GET', '/status-lists/one')).status).toBe(400)
      // A positive integer, as the document says, of more lists than there are: none, not a bad id.
      for (const id of ['1000000', '9'.repeat(40)])
        expect((await running.api.request('GET', `/status-lists/${id}`)).status, id).toBe(404)
      expect((await running.api.request('GET', '/status-lists/0')).status).toBe(400)
    })
  })

  describe('presentations, verified by the library and by POST /presentations/verify', () => {
    it('the library accepts a fresh presentation from published metadata and the fetched status list', async () => {
      const issued = await obtain(deviceJwk)
      const now = await nowMs()
      const presentation = await presentNow(issued.body.credential, Date.parse('2026-10-16T10:00:00+08:00'))
      const { library } = await thirdPartyVerifier()
      const result = await library.verify(presentation, {
        keyBindingNonce: 'nonce-1',
        currentDate: Math.floor(Date.parse('2026-10-16T10:00:05+08:00') / 1000),
      })
      expect(result.payload).toMatchObject({ masked_name: '张*', statuses: ['A'], issue_date: '2020-01-01' })
      expect((result.payload as Record<string, unknown>).document_number).toBeUndefined()
      expect(Number.isFinite(now)).toBe(true)
    })

    it('our verifier accepts it, shows what was disclosed, and refuses it two minutes later (a screenshot)', async () => {
      const issued = await obtain(deviceJwk)
      const presentation = await presentNow(issued.body.credential, Date.parse('2026-10-16T10:00:00+08:00'))
      const fresh = await verify(presentation, { nonce: 'nonce-1', audience: running.api.baseUrl })
      expect(fresh.status).toBe(200)
      expect(fresh.headers.get('cache-control')).toBe('no-store')
      expect(fresh.body).toMatchObject({ valid: true, reasons: [], status: 'valid' })
      expect(fresh.body.disclosed).toMatchObject({ masked_name: '张*', expiry_date: '2030-01-01' })
      expect(fresh.body.disclosed.document_number).toBeUndefined()
      running.setNow('2026-10-16T10:02:00+08:00')
      const screenshot = await verify(presentation)
      expect(screenshot.body).toMatchObject({ valid: false, reasons: ['presentation-stale'] })
      running.setNow('2026-10-16T10:00:00+08:00')
    })

    it('refuses a presentation signed by another device key, a wrong nonce, and bad input with 400', async () => {
      const issued = await obtain(deviceJwk)
      const other = await p256()
      const at = Date.parse('2026-10-16T10:00:00+08:00')
      expect(
        (await verify(await presentNow(issued.body.credential, at, other.privateKey))).body.reasons,
      ).toEqual(['key-binding-signature-invalid'])
      expect(
        (await verify(await presentNow(issued.body.credential, at), { nonce: 'other' })).body.reasons,
      ).toEqual(['nonce-mismatch'])
      const bad = await running.api.request('POST', '/presentations/verify', {
        token: tokens.verifier,
        body: { presentation: 42, nonce: '' },
      })
      expect(bad.status).toBe(400)
      expect(bad.body.error.issues.map((issue: { path: string }) => issue.path)).toEqual([
        'body.presentation',
        'body.nonce',
      ])
      expect((await verify('not a presentation')).body).toMatchObject({
        valid: false,
        reasons: ['malformed-presentation'],
      })
      // The limit counts characters, as the document's maxLength does: 4,097 emoji are 8,194 code
      // units but within 8,192 characters, so checked (and malformed); 8,193 characters are refused.
      expect((await verify('😀'.repeat(4097))).body.reasons).toEqual(['malformed-presentation'])
      const long = await running.api.request('POST', '/presentations/verify', {
        token: tokens.verifier,
        body: { presentation: 'x'.repeat(8193) },
      })
      expect(long.status).toBe(400)
      const holder = await running.api.request('POST', '/presentations/verify', {
        token: tokens.holder,
        body: { presentation: 'x' },
      })
      expect(holder.status).toBe(403)
    })

    it('a status change shows in the next list at once; another writer’s within a few seconds', async () => {
      running.setNow('2026-10-16T10:00:00+08:00')
      const issued = await obtain(deviceJwk)
      const at = Date.parse('2026-10-16T10:00:00+08:00')
      const statusCommand = (statuses: ReadonlyArray<string>) => ({
        type: 'ChangeLicenceStatus',
        data: { licenceNumber, statuses },
        metadata: { commandId: nextCommandId() },
      })
      expect((await verify(await presentNow(issued.body.credential, at))).body.status).toBe('valid')
      await sendCommand(running, tokens.registry, statusCommand(['B']))
      // Within the list's ttl (30 s here), with the clock standing still: the event alone changes it.
      const suspended = await verify(await presentNow(issued.body.credential, at))
      expect(suspended.body).toMatchObject({ status: 'suspended', reasons: ['status-suspended'] })
      const list = getListFromStatusListJWT((await running.api.request('GET', '/status-lists/1')).body)
      expect(list.getStatus(issued.body.status.idx)).toBe(2)

      // Another process's writer: a handler of its own over the same store, which this service
      // sees only by looking at the store.
      const other = commandHandler({
        store: running.store,
        decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
        clock: () => new Date(at),
      })
      const reinstated = await other({
        ...statusCommand(['A']),
        metadata: {
          commandId: nextCommandId(),
          at: new Date(at).toISOString(),
          actor: { role: 'registry', id: 'registry-elsewhere' },
        },
      })
      expect(reinstated._tag).toBe('Right')
      const deadline = Date.now() + 10_000
      let status = 'suspended'
      while (status === 'suspended' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        status = (await verify(await presentNow(issued.body.credential, at))).body.status
      }
      expect(status).toBe('valid')
    })

    it('after a renewal that changes the classes, the next list says INVALID; a re-issue gets a new index', async () => {
      const issued = await obtain(deviceJwk)
      const oldIndex: number = issued.body.status.idx
      const renewal = renewToClassesCommand(['B2'])
      await sendCommand(running, tokens.registry, {
        ...renewal,
        metadata: { ...renewal.metadata, at: '2026-10-16T10:00:00+08:00' },
      })
      // The next list says so, though the ttl of the one built before (30 s here) has not run out.
      const at = Date.parse('2026-10-16T10:00:00+08:00')
      const invalid = await verify(await presentNow(issued.body.credential, at))
      expect(invalid.body).toMatchObject({ valid: false, reasons: ['status-invalid'], status: 'invalid' })
      const list = getListFromStatusListJWT((await running.api.request('GET', '/status-lists/1')).body)
      expect(list.getStatus(oldIndex)).toBe(1)
      const { library } = await thirdPartyVerifier()
      await expect(
        library.verify(await presentNow(issued.body.credential, at), {
          keyBindingNonce: 'nonce-1',
          currentDate: Math.floor(at / 1000) + 1,
        }),
      ).rejects.toThrow(/Status is not valid/)

      expect((await obtain(deviceJwk)).status).toBe(422)
      running.setNow('2026-10-16T11:00:00+08:00')
      await sendCommand(running, tokens.holder, {
        ...applyCommand(),
        data: { ...applyCommand().data, applicationId: 'app-2' },
      })
      running.setNow('2026-10-19T11:00:00+08:00')
      await sendCommand(running, tokens.reviewer, {
        ...reviewCommand(),
        data: { ...reviewCommand().data, applicationId: 'app-2' },
      })
      const reissued = await obtain(deviceJwk)
      expect(reissued.status).toBe(201)
      expect(reissued.body.status.idx).not.toBe(oldIndex)
      const renewed = await verify(
        await presentNow(reissued.body.credential, Date.parse('2026-10-19T11:00:00+08:00')),
      )
      expect(renewed.body).toMatchObject({ valid: true, status: 'valid' })
      expect(renewed.body.disclosed.driving_privileges).toEqual([
        { vehicle_category_code: 'B2', issue_date: '2020-01-01', expiry_date: '2030-01-01' },
      ])
    })
  })
})
