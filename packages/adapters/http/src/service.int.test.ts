// `startService` on a real SQLite file in a temporary data folder: the demo licence, the printed
// URLs and dev tokens, `dev-tokens.json` and the presentation key files, a restart that keeps tokens
// and keys and does not record the demo twice, and a graceful shutdown that answers the request in
// flight before the store closes.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type EventStore, inMemoryEventStore } from '@elicence/domain'
import { sqliteEventStore } from '@elicence/sqlite'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { demoLicenceNumber } from './demo-licence.js'
import {
  loadOrCreateDevCredentials,
  presentationKeyFile,
  presentationReferenceKeyFile,
} from './dev-credentials.js'
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
    dataDir,
    port: 0,
    host: '127.0.0.1',
    demo: true,
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
    const keyFiles = [presentationKeyFile, presentationReferenceKeyFile].map((name) => join(dataDir, name))
    const keysBefore = keyFiles.map((path) => readFileSync(path, 'utf8'))
    let presentation = ''
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
      const signed = await api.request('POST', `/licences/${demoLicenceNumber}/presentations`, {
        token: tokensFile.tokens.holder,
      })
      expect(signed.status).toBe(201)
      const verified = await api.request('POST', '/presentations/verify', {
        token: tokensFile.tokens.verifier,
        body: { presentation: signed.body.presentation },
      })
      expect(verified.body.valid).toBe(true)
      presentation = signed.body.presentation
      const health = await api.request('GET', '/healthz')
      expect(health.body).toEqual({
        status: 'ok',
        store: { name: 'sqlite', status: 'ok' },
        writes: { status: 'ok' },
      })
    } finally {
      await service.close()
    }

    // A restart: the same tokens, the same keys (an earlier presentation still verifies, its
    // reference still opens), no second demo.
    const printedAgain: string[] = []
    service = await start(dataDir, printedAgain)
    try {
      expect(JSON.parse(readFileSync(join(dataDir, 'dev-tokens.json'), 'utf8'))).toEqual(tokensFile)
      expect(keyFiles.map((path) => readFileSync(path, 'utf8'))).toEqual(keysBefore)
      const api = await apiClient(service.url)
      const verified = await api.request('POST', '/presentations/verify', {
        token: tokensFile.tokens.verifier,
        body: { presentation },
      })
      expect(verified.body).toMatchObject({ valid: true })
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

  it('gives a data folder from before the reference key one, keeps its signing key, and names a bad key file', async () => {
    const dataDir = newDataDir()
    const first = await loadOrCreateDevCredentials(dataDir)
    expect(E.isRight(first)).toBe(true)
    const signingKeyPem = readFileSync(join(dataDir, presentationKeyFile), 'utf8')
    rmSync(join(dataDir, presentationReferenceKeyFile))

    expect(E.isRight(await loadOrCreateDevCredentials(dataDir))).toBe(true)
    expect(readFileSync(join(dataDir, presentationKeyFile), 'utf8')).toBe(signingKeyPem)
    expect(readFileSync(join(dataDir, presentationReferenceKeyFile), 'utf8')).toMatch(/^[A-Za-z0-9_-]{43}\n$/)
    expect(statSync(join(dataDir, presentationReferenceKeyFile)).mode & 0o077).toBe(0)

    writeFileSync(join(dataDir, presentationReferenceKeyFile), 'too short\n')
    const refused = await loadOrCreateDevCredentials(dataDir)
    expect(E.isLeft(refused) && refused.left).toContain(presentationReferenceKeyFile)
  })

  it('refuses a PORT that is not a port, and reports a store that cannot be opened', async () => {
    const dataDir = newDataDir()
    const badPort = await startService({
      storeUrl: 'memory:',
      openStore: async () => E.right(inMemoryEventStore()),
      dataDir,
      env: { PORT: 'eighty' },
      out: { write: () => undefined },
    })
    expect(E.isLeft(badPort) && badPort.left.code).toBe('invalid-configuration')
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
