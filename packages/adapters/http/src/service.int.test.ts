// `startService` on a real SQLite file in a temporary data folder: the demo licence, the printed
// URLs and dev tokens, `dev-tokens.json` and the issuer key file, a restart that keeps tokens
// and keys and does not record the demo twice, and a graceful shutdown that answers the request in
// flight before the store closes.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type EventStore, inMemoryEventStore } from '@elicence/domain'
import { defaultDisclosures, presentCredential } from '@elicence/projections'
import { openSqliteReadModelStore, sqliteEventStore } from '@elicence/sqlite'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { demoLicenceNumber } from './demo-licence.js'
import { issuerKeyFile, loadOrCreateDevCredentials, previousIssuerKeysFile } from './dev-credentials.js'
import { type RunningService, startService } from './service.js'
import { apiClient } from './test-support/api-client.js'

const dataDirs: string[] = []
const newDataDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'elicence-http-'))
  dataDirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
})

const openSqlite = (dataDir: string) => async (url: string) => {
  expect(url).toBe('sqlite:elicence.db')
  return E.right(sqliteEventStore({ path: join(dataDir, 'elicence.db') }))
}

const start = async (dataDir: string, printed: string[], openStore = openSqlite(dataDir)) => {
  const service = await startService({
    storeUrl: 'sqlite:elicence.db',
    openStore,
    // Status indexes live with the read models: on SQLite they survive the restart.
    openReadModels: async () => openSqliteReadModelStore({ path: join(dataDir, 'read-models.db') }),
    dataDir,
    port: 0,
    host: '127.0.0.1',
    demo: true,
    // Fixed, so credentials issued before a restart (on another port) name this service still.
    publicUrl: 'http://elicence.test',
    logger: false,
    out: { write: (text: string) => printed.push(text) },
  })
  if (E.isLeft(service)) throw new Error(service.left.message)
  return service.right
}

describe('startService', () => {
  it('serves the demo licence on SQLite with dev tokens printed and kept across restarts', async () => {
    const dataDir = newDataDir()
    const printed: string[] = []
    let service: RunningService = await start(dataDir, printed)
    const tokensFile = JSON.parse(readFileSync(join(dataDir, 'dev-tokens.json'), 'utf8'))
    const keyFiles = [issuerKeyFile].map((name) => join(dataDir, name))
    const keysBefore = keyFiles.map((path) => readFileSync(path, 'utf8'))
    const device = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    const present = (credential: string, audience: string) =>
      presentCredential(credential, {
        disclose: defaultDisclosures,
        deviceKey: device.privateKey,
        algorithm: 'ES256',
        audience,
        nonce: 'n',
        now: Date.now(),
      })
    let credential = ''
    try {
      expect(tokensFile.licenceNumber).toBe(demoLicenceNumber)
      expect(Object.keys(tokensFile.tokens).sort()).toEqual(
        ['auditor', 'holder', 'registry', 'reviewer', 'system', 'verifier'].sort(),
      )
      for (const path of [join(dataDir, 'dev-tokens.json'), ...keyFiles]) {
        expect(statSync(path).mode & 0o077).toBe(0)
      }
      const banner = printed.join('')
      expect(banner).toContain(`elicence is serving on ${service.url}`)
      expect(banner).toContain(
        `${service.url}/#licence=${demoLicenceNumber}&token=${tokensFile.tokens.holder}`,
      )
      for (const token of Object.values(tokensFile.tokens)) expect(banner).toContain(String(token))

      const api = await apiClient(service.url)
      const view = await api.request('GET', `/licences/${demoLicenceNumber}`, {
        token: tokensFile.tokens.holder,
      })
      expect(view.status).toBe(200)
      expect(view.body).toMatchObject({ state: 'issued', holder: { accountId: 'demo-holder' }, version: 2 })
      const issued = await api.request('POST', `/licences/${demoLicenceNumber}/credentials`, {
        token: tokensFile.tokens.holder,
        body: { holderKey: await crypto.subtle.exportKey('jwk', device.publicKey) },
      })
      expect(issued.status).toBe(201)
      credential = issued.body.credential
      const verified = await api.request('POST', '/presentations/verify', {
        token: tokensFile.tokens.verifier,
        body: { presentation: await present(credential, 'http://elicence.test') },
      })
      expect(verified.body).toMatchObject({ valid: true, reasons: [] })
      const health = await api.request('GET', '/healthz')
      expect(health.body).toEqual({
        status: 'ok',
        store: { name: 'sqlite', status: 'ok' },
        writes: { status: 'ok' },
      })
    } finally {
      await service.close()
    }

    // A restart: the same tokens, the same key (a credential issued before still verifies), no
    // second demo.
    const printedAgain: string[] = []
    service = await start(dataDir, printedAgain)
    try {
      expect(JSON.parse(readFileSync(join(dataDir, 'dev-tokens.json'), 'utf8'))).toEqual(tokensFile)
      expect(keyFiles.map((path) => readFileSync(path, 'utf8'))).toEqual(keysBefore)
      const api = await apiClient(service.url)
      const verified = await api.request('POST', '/presentations/verify', {
        token: tokensFile.tokens.verifier,
        body: { presentation: await present(credential, 'http://elicence.test') },
      })
      expect(verified.body).toMatchObject({ valid: true, reasons: [], status: 'valid' })
      const events = await api.request('GET', `/licences/${demoLicenceNumber}/events`, {
        token: tokensFile.tokens.auditor,
      })
      expect(events.body.events.map((event: { type: string }) => event.type)).toEqual([
        'LicenceRecorded',
        'ELicenceApplied',
        'ELicenceIssued',
      ])
    } finally {
      await service.close()
    }
  })

  it("names its store in the banner without the connection string's password", async () => {
    const printed: string[] = []
    const service = await startService({
      storeUrl: 'postgres://app:s3cret@db.example/elicence',
      openStore: async () => E.right(inMemoryEventStore()),
      dataDir: newDataDir(),
      port: 0,
      host: '127.0.0.1',
      logger: false,
      out: { write: (text: string) => printed.push(text) },
    })
    if (E.isLeft(service)) throw new Error(service.left.message)
    await service.right.close()
    expect(printed.join('')).toContain('(store postgres://app:***@db.example/elicence')
    expect(printed.join('')).not.toContain('s3cret')
  })

  it('keeps the issuer key with its kid across loads, lists retired keys, and names a bad key file', async () => {
    const dataDir = newDataDir()
    const first = await loadOrCreateDevCredentials(dataDir)
    if (E.isLeft(first)) throw new Error(first.left)
    const jwk = JSON.parse(readFileSync(join(dataDir, issuerKeyFile), 'utf8'))
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: first.right.keys.kid, alg: 'EdDSA' })
    expect(statSync(join(dataDir, issuerKeyFile)).mode & 0o077).toBe(0)
    const again = await loadOrCreateDevCredentials(dataDir)
    expect(E.isRight(again) && again.right.keys.kid).toBe(first.right.keys.kid)

    const retired = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }
    writeFileSync(join(dataDir, previousIssuerKeysFile), JSON.stringify({ keys: [retired] }))
    const withRetired = await loadOrCreateDevCredentials(dataDir)
    if (E.isLeft(withRetired)) throw new Error(withRetired.left)
    expect(withRetired.right.keys.jwks.keys.map((key) => key.x)).toEqual([jwk.x, retired.x])

    writeFileSync(join(dataDir, issuerKeyFile), '{"kty":"RSA"}\n')
    const refused = await loadOrCreateDevCredentials(dataDir)
    expect(E.isLeft(refused) && refused.left).toContain('not an Ed25519 JWK')
  })

  it('refuses a PORT that is not a port or no worker threads, and reports a store that cannot be opened', async () => {
    const dataDir = newDataDir()
    const badPort = await startService({
      storeUrl: 'memory:',
      openStore: async () => E.right(inMemoryEventStore()),
      dataDir,
      env: { PORT: 'eighty' },
      out: { write: () => undefined },
    })
    expect(E.isLeft(badPort) && badPort.left.code).toBe('invalid-configuration')
    const noThreads = await startService({
      storeUrl: 'memory:',
      openStore: async () => E.right(inMemoryEventStore()),
      dataDir,
      port: 0,
      out: { write: () => undefined },
      credentialWorkers: { threads: 0 },
    })
    expect(E.isLeft(noThreads) && noThreads.left).toEqual({
      code: 'invalid-configuration',
      message: 'credential worker threads must be 1 or more, got 0',
    })
    const badCache = await startService({
      storeUrl: 'memory:',
      openStore: async () => E.right(inMemoryEventStore()),
      dataDir,
      port: 0,
      out: { write: () => undefined },
      credentialCacheSize: -1,
    })
    expect(E.isLeft(badCache) && badCache.left).toEqual({
      code: 'invalid-configuration',
      message:
        'credentialCacheSize: the credential cache size must be a non-negative integer (0 keeps none), got -1',
    })
    const noStore = await startService({
      storeUrl: 'sqlite:/nonexistent/dir/x.db',
      openStore: async () => E.left({ message: 'cannot open /nonexistent/dir/x.db' }),
      dataDir,
      port: 0,
      out: { write: () => undefined },
    })
    expect(E.isLeft(noStore) && noStore.left).toEqual({
      code: 'store-unavailable',
      message: 'cannot open /nonexistent/dir/x.db',
    })
  })

  it('shuts down gracefully: the request in flight is answered, then the store closes', async () => {
    const dataDir = newDataDir()
    const happened: string[] = []
    let releaseAppend: () => void = () => undefined
    const appendGate = new Promise<void>((resolve) => {
      releaseAppend = resolve
    })
    let appendEntered: () => void = () => undefined
    const appendStarted = new Promise<void>((resolve) => {
      appendEntered = resolve
    })
    // Without its write lock, the command goes through the appendToStream this test holds back.
    const { decideAndAppend: _locked, ...inner } = inMemoryEventStore()
    let gated = false
    const store: EventStore = {
      ...inner,
      appendToStream: async (streamId, expected, events) => {
        if (gated) {
          happened.push('append started')
          appendEntered()
          await appendGate
        }
        const appended = await inner.appendToStream(streamId, expected, events)
        if (gated) happened.push('append finished')
        return appended
      },
      close: async () => {
        happened.push('store closed')
        await inner.close()
      },
    }
    const service = await start(dataDir, [], async () => E.right(store))
    const tokens = JSON.parse(readFileSync(join(dataDir, 'dev-tokens.json'), 'utf8')).tokens
    gated = true

    const inFlight = fetch(`${service.url}/commands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.registry}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'ChangeLicenceStatus',
        data: { licenceNumber: demoLicenceNumber, statuses: ['B'] },
        metadata: { commandId: '7a1e0000-0000-4000-8000-000000000001' },
      }),
    })
    await appendStarted
    const closing = service.close()
    happened.push('close requested')
    releaseAppend()
    const response = await inFlight
    await closing

    expect(response.status).toBe(201)
    expect((await response.json()).events[0].type).toBe('LicenceStatusChanged')
    expect(happened).toEqual(['append started', 'close requested', 'append finished', 'store closed'])
    // Closed for good: a new connection is refused.
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow()
  })
})
