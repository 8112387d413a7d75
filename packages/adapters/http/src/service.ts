/**
 * `startService`: the one-command service — the event store named by a URL (SQLite under `./data`
 * by default), the HTTP API and the web pages, dev credentials kept in the data folder, and
 * optionally the demo licence. It prints the URLs and a dev token per role, writes them to
 * `<dataDir>/dev-tokens.json`, and listens on `PORT` (default 3000) and `HOST` (default 127.0.0.1).
 *
 * Opening a store by URL is the CLI's job (it is the only package that imports the store adapters,
 * DESIGN §1), so the caller passes `openStore`, e.g. the CLI's `openEventStore`.
 *
 * @example
 * const service = await startService({ storeUrl: 'sqlite:./data/elicence.db', openStore: openEventStore, demo: true })
 * if (isRight(service)) { await once(process, 'SIGTERM'); await service.right.close() }
 */
import { join } from 'node:path'
import {
  chinaMainlandCalendar,
  commandHandler,
  type EventStore,
  licenceDecider,
  type WorkingDayCalendar,
} from '@elicence/domain'
import {
  checkpointOriginProblem,
  credentialCacheSizeProblem,
  type IssuerKeys,
  type ReadModelStore,
} from '@elicence/projections'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import * as E from 'fp-ts/lib/Either.js'
import type { TokenTable } from './auth.js'
import { recordDemoLicence } from './demo-licence.js'
import { devTokensFile, loadOrCreateDevCredentials, writeDevTokensFile } from './dev-credentials.js'
import { loadLogSigner } from './log-keys.js'
import { checkedPublicUrl } from './public-url.js'
import { redactStoreUrl } from './redacted-url.js'
import { createServer, type ServerOptions } from './server.js'

export interface ServiceOptions {
  /** e.g. `sqlite:./data/elicence.db`, `memory:`, `postgres://…` */
  readonly storeUrl: string
  readonly openStore: (url: string) => Promise<E.Either<{ readonly message: string }, EventStore>>
  /**
   * Where the read models (the review queue) are kept for this store URL, e.g. the SQLite file
   * itself; `undefined` or absent: in memory, rebuilt from the events after each start.
   */
  readonly openReadModels?: (
    url: string,
  ) => Promise<E.Either<{ readonly message: string }, ReadModelStore | undefined>>
  /** Dev tokens and the issuer key live here; default `./data`. */
  readonly dataDir?: string
  /** Default: `PORT` from `env`, else 3000. 0 picks a free port. */
  readonly port?: number
  /** Default: `HOST` from `env`, else 127.0.0.1 (loopback: the dev tokens are printed in clear). */
  readonly host?: string
  readonly demo?: boolean
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Default: JSON logs at `info` (pino), or `LOG_LEVEL` from `env`. */
  readonly logger?: FastifyServerOptions['logger']
  /** Where the banner (URLs and dev tokens) goes; default stdout. */
  readonly out?: { readonly write: (text: string) => unknown }
  /** Production configuration; without them dev credentials are created in `dataDir`. */
  readonly tokens?: TokenTable
  readonly issuerKeys?: IssuerKeys
  /** The public URL (`iss` of credentials); default `ELICENCE_PUBLIC_URL` from `env`, else the listening URL. */
  readonly publicUrl?: string
  readonly calendar?: WorkingDayCalendar
  readonly clock?: () => Date
  /** How far a command's `metadata.at` may be ahead of `clock` (rule 10), in ms; the handler's default when absent. */
  readonly maxClockSkewMs?: number
  /**
   * The transparency log's key and origin (`loadLogSigner`); without, a dev log key is made in
   * `dataDir`, named by the public URL's host (`publicUrl`, else `ELICENCE_PUBLIC_URL`, default localhost:3000) + `/elicence/log`.
   */
  readonly log?: ServerOptions['log']
  /** Worker threads that issue credentials and check presentations; see `ServerOptions`. */
  readonly credentialWorkers?: ServerOptions['credentialWorkers']
  /** Presented credentials the verify route keeps checked; see `ServerOptions`. */
  readonly credentialCacheSize?: number
}

export interface RunningService {
  readonly app: FastifyInstance
  /** e.g. `http://127.0.0.1:3000` */
  readonly url: string
  readonly demoLicenceNumber: string | null
  /** Dev tokens by role; null when tokens came from configuration. */
  readonly devTokens: Readonly<Record<string, string>> | null
  /** Stops accepting requests, lets those in flight finish, then closes the store. */
  readonly close: () => Promise<void>
}

export interface ServiceError {
  readonly code: 'invalid-configuration' | 'store-unavailable' | 'listen-failed'
  readonly message: string
}

const failure = (code: ServiceError['code'], message: string): E.Either<ServiceError, never> =>
  E.left({ code, message })

const portFrom = (value: string | undefined): number | undefined => {
  if (value === undefined || value === '') return 3000
  const port = Number(value)
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined
}

const banner = (
  url: string,
  storeUrl: string,
  dataDir: string,
  licenceNumber: string | null,
  tokens: Readonly<Record<string, string>> | null,
  workerThreads: number | undefined,
): string => {
  const workers =
    workerThreads === undefined
      ? ''
      : `, credentials on ${workerThreads} worker thread${workerThreads === 1 ? '' : 's'}`
  const lines = [`elicence is serving on ${url} (store ${redactStoreUrl(storeUrl)}${workers})`]
  if (tokens !== null) {
    const holder = tokens.holder ?? ''
    const verifier = tokens.verifier ?? ''
    if (licenceNumber !== null) {
      lines.push(
        `  the holder's e-licence:  ${url}/#licence=${licenceNumber}&token=${encodeURIComponent(holder)}`,
      )
    }
    lines.push(`  the verifier's page:     ${url}/verify#token=${encodeURIComponent(verifier)}`)
    lines.push(`  API document:            ${url}/openapi.json`)
    lines.push(`  dev tokens (also in ${join(dataDir, devTokensFile)}):`)
    for (const [role, token] of Object.entries(tokens)) lines.push(`    ${role.padEnd(9)} ${token}`)
  }
  return `${lines.join('\n')}\n`
}

export const startService = async (
  options: ServiceOptions,
): Promise<E.Either<ServiceError, RunningService>> => {
  const env = options.env ?? process.env
  const dataDir = options.dataDir ?? './data'
  const port = options.port ?? portFrom(env.PORT)
  if (port === undefined)
    return failure('invalid-configuration', `PORT ${JSON.stringify(env.PORT)} is not a port`)
  const host = options.host ?? (env.HOST === undefined || env.HOST === '' ? '127.0.0.1' : env.HOST)
  const workerThreads = options.credentialWorkers?.threads
  if (workerThreads !== undefined && !(Number.isInteger(workerThreads) && workerThreads >= 1))
    return failure(
      'invalid-configuration',
      `credential worker threads must be 1 or more, got ${workerThreads}`,
    )
  const cacheProblem = credentialCacheSizeProblem(options.credentialCacheSize)
  if (cacheProblem !== undefined)
    return failure('invalid-configuration', `credentialCacheSize: ${cacheProblem}`)

  const credentials =
    options.tokens !== undefined && options.issuerKeys !== undefined
      ? E.right(undefined)
      : await loadOrCreateDevCredentials(dataDir)
  if (E.isLeft(credentials)) return failure('invalid-configuration', credentials.left)
  const dev = credentials.right
  const tokens = options.tokens ?? dev?.tokens
  const keys = options.issuerKeys ?? dev?.keys
  if (tokens === undefined || keys === undefined) {
    return failure('invalid-configuration', 'no bearer tokens or issuer keys')
  }
  const givenPublicUrl = options.publicUrl ?? env.ELICENCE_PUBLIC_URL
  const checkedUrl = givenPublicUrl === undefined ? E.right(undefined) : checkedPublicUrl(givenPublicUrl)
  if (E.isLeft(checkedUrl)) return failure('invalid-configuration', checkedUrl.left)
  const publicUrl = checkedUrl.right

  let log = options.log
  if (log === undefined) {
    const signer = await loadLogSigner(dataDir, {
      create: true,
      ...(publicUrl === undefined ? {} : { publicUrl }),
    })
    if (E.isLeft(signer)) return failure('invalid-configuration', signer.left)
    log = { signer: signer.right }
  }
  // Refused at start: a service whose origin cannot be a checkpoint's would answer 503 forever.
  const logOrigin = log.origin ?? log.signer.name
  const originProblem = checkpointOriginProblem(logOrigin)
  if (originProblem !== undefined)
    return failure('invalid-configuration', `the log's origin ${JSON.stringify(logOrigin)}: ${originProblem}`)

  const opened = await options.openStore(options.storeUrl)
  if (E.isLeft(opened)) return failure('store-unavailable', opened.left.message)
  const store = opened.right
  const readModels =
    options.openReadModels === undefined ? E.right(undefined) : await options.openReadModels(options.storeUrl)
  if (E.isLeft(readModels)) {
    await store.close()
    return failure('store-unavailable', readModels.left.message)
  }
  const decider = licenceDecider({ calendar: options.calendar ?? chinaMainlandCalendar() })
  const clock = options.clock ?? (() => new Date())

  const app = createServer({
    store,
    decider,
    tokens,
    issuerKeys: keys,
    ...(publicUrl === undefined ? {} : { publicUrl }),
    clock,
    ...(options.maxClockSkewMs === undefined ? {} : { maxClockSkewMs: options.maxClockSkewMs }),
    storeName: options.storeUrl.split(':')[0] ?? 'store',
    logger: options.logger ?? { level: env.LOG_LEVEL ?? 'info' },
    log,
    ...(options.credentialWorkers === undefined ? {} : { credentialWorkers: options.credentialWorkers }),
    ...(options.credentialCacheSize === undefined
      ? {}
      : { credentialCacheSize: options.credentialCacheSize }),
    ...(readModels.right === undefined ? {} : { readModels: readModels.right }),
  })
  // Runs once the HTTP server has stopped and every request in flight has been answered.
  app.addHook('onClose', async () => {
    await readModels.right?.close()
    await store.close()
  })

  let demoLicenceNumber: string | null = null
  if (options.demo === true) {
    const demo = await recordDemoLicence(commandHandler({ store, decider, clock }), clock())
    if (E.isLeft(demo)) {
      await app.close()
      return failure('store-unavailable', `recording the demo licence: ${demo.left.message}`)
    }
    demoLicenceNumber = demo.right.licenceNumber
    for (const refusal of demo.right.refusals) {
      app.log.info({ refusal }, 'the demo licence already went another way')
    }
  }

  try {
    await app.listen({ port, host })
  } catch (error) {
    await app.close()
    return failure(
      'listen-failed',
      `cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : error}`,
    )
  }
  const address = app.server.address()
  const boundPort = address !== null && typeof address === 'object' ? address.port : port
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`

  const devTokens = options.tokens === undefined && dev !== undefined ? dev.tokensByRole : null
  if (devTokens !== null && dev !== undefined) {
    writeDevTokensFile(dataDir, { licenceNumber: demoLicenceNumber, tokens: dev.tokensByRole })
  }
  ;(options.out ?? process.stdout).write(
    banner(url, options.storeUrl, dataDir, demoLicenceNumber, devTokens, workerThreads),
  )

  return E.right({
    app,
    url,
    demoLicenceNumber,
    devTokens,
    close: async () => {
      await app.close()
    },
  })
}
