/**
 * A server for tests: `createServer` over a given store, listening on loopback port 0, with a token
 * per role read through `parseTokenTable` (as configuration would be), a fresh issuer key, a
 * clock the test sets, and an `apiClient` that checks every response against the OpenAPI document.
 * Test-only: excluded from the build.
 *
 * @example
 * const running = await startTestServer()
 * await running.api.request('POST', '/commands', { token: testTokens.registry, body: recordLicenceCommand() })
 * await running.app.close()
 */
import {
  type ActorRole,
  chinaMainlandCalendar,
  type EventStore,
  inMemoryEventStore,
  licenceDecider,
} from '@elicence/domain'
import { generateIssuerKey, type IssuerKeys, importIssuerKeys } from '@elicence/projections'
import type { FastifyInstance } from 'fastify'
import * as E from 'fp-ts/lib/Either.js'
import { expect } from 'vitest'
import { parseTokenTable, type TokenTable } from '../auth.js'
import { createServer, type ServerOptions } from '../server.js'
import { type ApiClient, apiClient } from './api-client.js'

export const licenceNumber = '11010519491231002X'
export const otherLicenceNumber = '110105194912310038'

export const testTokens = {
  registry: 'registry-token-0123456789',
  reviewer: 'reviewer-token-0123456789',
  system: 'system-token-0123456789ab',
  holder: 'holder-token-0123456789ab',
  otherHolder: 'other-holder-token-012345',
  auditor: 'auditor-token-0123456789a',
  verifier: 'verifier-token-012345678',
} as const

export type TestTokenName = keyof typeof testTokens

/** Who each test token stands for, as configuration states it (`parseTokenTable` checks the ids). */
const testActors: Readonly<Record<TestTokenName, { readonly role: ActorRole; readonly id: string }>> = {
  registry: { role: 'registry', id: 'registry-1' },
  reviewer: { role: 'reviewer', id: 'reviewer-1' },
  system: { role: 'system', id: 'scheduler' },
  holder: { role: 'holder', id: 'acct-holder' },
  otherHolder: { role: 'holder', id: 'acct-other' },
  auditor: { role: 'auditor', id: 'auditor-1' },
  verifier: { role: 'verifier', id: 'police-terminal-1' },
}

/**
 * The token table of the named test tokens, every one by default, read through `parseTokenTable` as
 * configuration would be; a token left out is one the server does not know.
 */
export const testTokenTable = (
  names: ReadonlyArray<TestTokenName> = Object.keys(testTokens) as TestTokenName[],
): TokenTable => {
  const table = parseTokenTable(Object.fromEntries(names.map((name) => [testTokens[name], testActors[name]])))
  if (E.isLeft(table)) throw new Error(table.left)
  return table.right
}

export const testIssuerKeys = async (): Promise<IssuerKeys> => {
  const keys = await importIssuerKeys(await generateIssuerKey())
  if (E.isLeft(keys)) throw new Error(keys.left)
  return keys.right
}

let commandCount = 0
/** Distinct UUIDs across a test file. */
export const nextCommandId = (): string =>
  `00000000-0000-4000-8000-${(++commandCount).toString(16).padStart(12, '0')}`

export const recordLicenceCommand = (
  number: string = licenceNumber,
  accountId = 'acct-holder',
  statuses: ReadonlyArray<string> = ['A'],
) => ({
  type: 'RecordLicence',
  data: {
    licenceNumber: number,
    holder: { accountId, name: '张三' },
    classes: ['C1'],
    validFrom: '2020-01-01',
    validUntil: '2030-01-01',
    authority: { code: '粤A', name: '广东省广州市公安局交通警察支队' },
    statuses,
    photoOnFile: true,
  },
  metadata: { commandId: nextCommandId() },
})

export const applyCommand = (number: string = licenceNumber) => ({
  type: 'ApplyForELicence',
  data: {
    licenceNumber: number,
    applicationId: 'app-1',
    declaredValidFrom: '2020-01-01',
    faceCheck: { passed: true },
  },
  metadata: { commandId: nextCommandId() },
})

/** A renewal to other classes: the active e-licence is invalidated with it (`changes: ['class']`). */
export const renewToClassesCommand = (classes: ReadonlyArray<string>, number: string = licenceNumber) => ({
  type: 'RenewLicence',
  data: {
    licenceNumber: number,
    classes,
    validFrom: '2020-01-01',
    validUntil: '2030-01-01',
    authority: { code: '粤A', name: '广东省广州市公安局交通警察支队' },
  },
  metadata: { commandId: nextCommandId() },
})

/** Debian's Chromium as the tests run it: headless, nothing fetched from the network. */
export const chromiumArgs: ReadonlyArray<string> = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
export const chromiumPath = '/usr/bin/chromium'

export const reviewCommand = (number: string = licenceNumber) => ({
  type: 'ReviewApplication',
  data: { licenceNumber: number, applicationId: 'app-1' },
  metadata: { commandId: nextCommandId() },
})

export interface TestServer {
  readonly app: FastifyInstance
  readonly api: ApiClient
  readonly store: EventStore
  readonly keys: IssuerKeys
  readonly setNow: (iso: string) => void
  /** Moves the clock by this much from where it stands. */
  readonly advance: (seconds: number) => void
}

/** A Thursday, a working day: an application then falls due at the same time on Friday. */
export const testStart = '2026-10-15T10:00:00+08:00'

export const startTestServer = async (
  options: Partial<
    Pick<
      ServerOptions,
      | 'store'
      | 'maxAttempts'
      | 'maxClockSkewMs'
      | 'issuerKeys'
      | 'logger'
      | 'log'
      | 'statusListTtlSeconds'
      | 'readModels'
      | 'credentialWorkers'
      | 'credentialCacheSize'
    >
  > & {
    /** The clock runs in real time from this instant rather than standing still. */
    readonly running?: boolean
  } = {},
): Promise<TestServer> => {
  const tokens = testTokenTable()
  let now = new Date(testStart)
  let offsetMs = 0
  const store = options.store ?? inMemoryEventStore()
  const keys = options.issuerKeys ?? (await testIssuerKeys())
  const app = createServer({
    store,
    decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
    tokens,
    issuerKeys: keys,
    clock: options.running === true ? () => new Date(Date.now() + offsetMs) : () => now,
    storeName: 'memory',
    ...(options.statusListTtlSeconds === undefined
      ? {}
      : { statusListTtlSeconds: options.statusListTtlSeconds }),
    ...(options.readModels === undefined ? {} : { readModels: options.readModels }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.maxClockSkewMs === undefined ? {} : { maxClockSkewMs: options.maxClockSkewMs }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.credentialWorkers === undefined ? {} : { credentialWorkers: options.credentialWorkers }),
    ...(options.credentialCacheSize === undefined
      ? {}
      : { credentialCacheSize: options.credentialCacheSize }),
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  const api = await apiClient(`http://127.0.0.1:${address.port}`)
  return {
    app,
    api,
    store,
    keys,
    setNow: (iso) => {
      now = new Date(iso)
      offsetMs = Date.parse(iso) - Date.now()
    },
    advance: (seconds) => {
      now = new Date(now.getTime() + seconds * 1000)
      offsetMs += seconds * 1000
    },
  }
}

/** Sends a command that must be applied (201): a test's set-up, which fails loudly, with the body. */
export const sendCommand = async (running: TestServer, token: string, body: unknown): Promise<void> => {
  const response = await running.api.request('POST', '/commands', { token, body })
  expect(response.status, JSON.stringify(response.body)).toBe(201)
}

/**
 * `execArgv` for credential worker threads started from the TypeScript sources, as the tests run:
 * the sources' export condition and the module hooks that load .ts files.
 */
export const sourceWorkerExecArgv: ReadonlyArray<string> = [
  '--conditions=@elicence/source',
  '--import',
  `data:text/javascript,${encodeURIComponent(
    `import { register } from 'node:module'; register(${JSON.stringify(
      new URL('../../../sqlite/src/typescript-hooks.fixture.mjs', import.meta.url).href,
    )})`,
  )}`,
]
