// `credentialCacheSize` of `createServer`: 0 keeps nothing of a presented credential, on the
// server's thread and on a credential worker alike, and a credential presented again and again
// still verifies (checked whole each time); a size that is no whole number is refused by name when
// the server is made, not on the first presentation.
import { chinaMainlandCalendar, inMemoryEventStore, licenceDecider } from '@elicence/domain'
import { defaultDisclosures, presentCredential } from '@elicence/projections'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type ServerOptions } from './server.js'
import {
  applyCommand,
  licenceNumber,
  recordLicenceCommand,
  reviewCommand,
  sendCommand,
  sourceWorkerExecArgv,
  startTestServer,
  type TestServer,
  testIssuerKeys,
  testTokenTable,
  testTokens as tokens,
} from './test-support/test-server.js'

// Workers run from the TypeScript sources through module hooks, as in credentials.int.test.ts.
const execArgv = sourceWorkerExecArgv
const placements: ReadonlyArray<[string, ServerOptions['credentialWorkers']]> = [
  ['on the server thread', undefined],
  ['on a worker thread', { threads: 1, execArgv }],
]

describe.each(placements)(
  'no credential cache (credentialCacheSize 0) %s',
  (_placement, credentialWorkers) => {
    let running: TestServer
    beforeAll(async () => {
      running = await startTestServer({
        credentialCacheSize: 0,
        ...(credentialWorkers === undefined ? {} : { credentialWorkers }),
      })
      await sendCommand(running, tokens.registry, recordLicenceCommand())
      await sendCommand(running, tokens.holder, applyCommand())
      running.setNow('2026-10-16T10:00:00+08:00')
      await sendCommand(running, tokens.reviewer, reviewCommand())
    })
    afterAll(async () => {
      await running?.app.close()
    })

    it('verifies a credential presented again and again, and still refuses another device key', async () => {
      const p256 = () =>
        crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
          'sign',
        ]) as Promise<CryptoKeyPair>
      const device = await p256()
      const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', device.publicKey)
      const issued = await running.api.request('POST', `/licences/${licenceNumber}/credentials`, {
        token: tokens.holder,
        body: { holderKey: { kty, crv, x, y } },
      })
      expect(issued.status).toBe(201)
      const present = (nonce: string, deviceKey = device.privateKey) =>
        presentCredential(issued.body.credential, {
          disclose: defaultDisclosures,
          deviceKey,
          algorithm: 'ES256',
          audience: running.api.baseUrl,
          nonce,
          now: Date.parse('2026-10-16T10:00:00+08:00'),
        })
      const verify = async (presentation: string, nonce: string) =>
        (
          await running.api.request('POST', '/presentations/verify', {
            token: tokens.verifier,
            body: { presentation, nonce },
          })
        ).body
      const first = await present('nonce-1')
      for (const [presentation, nonce] of [
        [first, 'nonce-1'],
        [first, 'nonce-1'],
        [await present('nonce-2'), 'nonce-2'],
      ] as const)
        expect(await verify(presentation, nonce)).toMatchObject({ valid: true, reasons: [], status: 'valid' })
      const forged = await present('nonce-3', (await p256()).privateKey)
      expect(await verify(forged, 'nonce-3')).toMatchObject({
        valid: false,
        reasons: expect.arrayContaining(['key-binding-signature-invalid']),
      })
    })
  },
)

describe('createServer with a credentialCacheSize that is no count', () => {
  it('throws, naming the option, before it serves anything', async () => {
    const issuerKeys = await testIssuerKeys()
    for (const credentialCacheSize of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() =>
        createServer({
          store: inMemoryEventStore(),
          decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
          tokens: testTokenTable(),
          issuerKeys,
          credentialCacheSize,
        }),
      ).toThrow(
        `credentialCacheSize: the credential cache size must be a non-negative integer (0 keeps none), got ${credentialCacheSize}`,
      )
  })
})
