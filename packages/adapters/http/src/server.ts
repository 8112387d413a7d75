/**
 * The HTTP transport of DESIGN §7: a Fastify instance over the shared command handler and the
 * projections' queries. It does not listen by itself; the caller decides where (`app.listen`) and
 * when to stop (`app.close()`, which lets in-flight requests finish).
 *
 * @example
 * const app = createServer({
 *   store: inMemoryEventStore(),
 *   decider: licenceDecider({ calendar: chinaMainlandCalendar() }),
 *   tokens: new Map([['a-long-random-token', { role: 'registry', id: 'registry-1' }]]),
 *   issuerKeys, // importIssuerKeys(privateJwk, retiredJwks) from @elicence/projections
 *   publicUrl: 'https://elicence.example', // `iss` of credentials; default: where it listens
 * })
 * await app.listen({ host: '127.0.0.1', port: 0 })
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import {
  type ActorRole,
  type CommandHandler,
  commandHandler,
  defaultStoredEventDecoder,
  type EventStore,
  type LicenceDecider,
  type StoredEventDecoder,
} from '@elicence/domain'
import {
  type CredentialIssuer,
  checkpointOriginProblem,
  credentialCacheSizeProblem,
  credentialIssuer,
  type IssuerKeys,
  inMemoryReadModelStore,
  type NoteSigner,
  type PresentationVerifier,
  presentationVerifier,
  projectionRunner,
  type ReadModelStore,
  readModelQueries,
  statusLists,
  transparencyLog,
} from '@elicence/projections'
import { nodeSha256, nodeSha256Base64Url, nodeSha256Hex } from '@elicence/projections/node'
import {
  credentialThreads,
  nodeEd25519Signer,
  nodeSignatureBackend,
} from '@elicence/projections/node/credentials'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import * as E from 'fp-ts/lib/Either.js'
import { defaultClockTrustedRoles, type TokenTable } from './auth.js'
import {
  fromClientError,
  fromFrameworkError,
  type HttpFailure,
  sendFailure,
  transportFailure,
} from './errors.js'
import { parseJsonBody, refusedReadBody } from './json-body.js'
import { licenceViews } from './licence-views.js'
import { withoutQueryStrings } from './logging.js'
import { maxPathParameterLength, openApiDocument } from './openapi.js'
import { readModelFreshness } from './read-model-freshness.js'
import { registerCommandRoutes } from './routes/commands.js'
import { registerCredentialRoutes } from './routes/credentials.js'
import { registerLicenceRoutes } from './routes/licences.js'
import { registerLogRoutes } from './routes/log.js'
import {
  defaultHealthDeadlineMs,
  defaultWriteFailureMemoryMs,
  registerOperationsRoutes,
} from './routes/operations.js'
import { registerPageRoutes } from './routes/page.js'
import { registerPresentationRoutes } from './routes/presentations.js'
import { registerReviewQueueRoutes } from './routes/review-queue.js'
import { watchWrites } from './write-health.js'

export interface ServerOptions {
  readonly store: EventStore
  readonly decider: LicenceDecider
  /** Bearer token → actor; see `parseTokenTable` for reading one from configuration. */
  readonly tokens: TokenTable
  /** The issuer's keys: the current one signs credentials and status lists; all are published. */
  readonly issuerKeys: IssuerKeys
  /**
   * The service's public URL (no trailing slash): `iss` of credentials and the base of status list
   * URIs. Default: the address it listens on, which only suits a service on loopback.
   */
  readonly publicUrl?: string
  /** Oldest Key Binding JWT the verify route accepts, in seconds (default 60). */
  readonly presentationMaxAgeSeconds?: number
  /**
   * How many issuer-signed parts of presentations that verified the verify route keeps checked
   * (issuer signature, disclosures, device key imported) for the next presentations of the same
   * credential, on each credential worker thread too (default 4,096; 0 keeps none: every
   * presentation is checked whole). Not a whole number of 0 or more: `createServer` throws.
   */
  readonly credentialCacheSize?: number
  /**
   * Worker threads (`credentialThreads`, at least 1) that make and sign credentials and check
   * presentations, so both use more than one core; status indexes and the status step of a
   * verification stay on the server's thread. Default: none, all on the server's thread.
   * `execArgv` only for workers run from the TypeScript sources (tests).
   */
  readonly credentialWorkers?: { readonly threads: number; readonly execArgv?: ReadonlyArray<string> }
  /** How long a status list is reused and may be cached, in seconds (default 60). */
  readonly statusListTtlSeconds?: number
  /** How long a credential lives unless the licence expires first, in seconds (default 30 days). */
  readonly credentialLifetimeSeconds?: number
  /**
   * Where the read models (review queue, e-licence views, status indexes) live; by default in
   * memory, rebuilt from the event store on the first request. The server runs the projection
   * runner over it.
   */
  readonly readModels?: ReadModelStore
  /** Fastify's logger option: `false` (the default) for none, `true` or pino options for JSON logs. */
  readonly logger?: FastifyServerOptions['logger']
  /** Names the store in `/healthz`, e.g. `sqlite`. */
  readonly storeName?: string
  /** The clock that stamps `metadata.at` and answers "now" for verifications. */
  readonly clock?: () => Date
  /** Roles that may state `metadata.at` themselves; see `defaultClockTrustedRoles`. */
  readonly clockTrustedRoles?: ReadonlyArray<ActorRole>
  /** Largest accepted request body in bytes (413 above it). */
  readonly bodyLimit?: number
  /** Attempts of the command handler on a version conflict before answering 409. */
  readonly maxAttempts?: number
  /** How far a command's `metadata.at` may be ahead of `clock` (rule 10), in ms; the handler's default when absent. */
  readonly maxClockSkewMs?: number
  /**
   * How stored events are read, by every route and the handler alike: the embedder's upcasters,
   * bound once (`storedEventDecoder`). Default: this build's upcasters.
   */
  readonly decoder?: StoredEventDecoder
  /** How long each of `/healthz`'s probes may take, in ms (default 2,000): a hung store gets a 503. */
  readonly healthDeadlineMs?: number
  /** How long an append that failed keeps `/healthz` at 503 without a success since, in ms (default 30,000). */
  readonly writeFailureMemoryMs?: number
  /**
   * How far behind the store (in positions) the review queue may be for a request to wait for it to
   * catch up (default 500); further behind, it answers from the last checkpoint at once.
   */
  readonly inlineCatchUpLimit?: number
  /**
   * The transparency log (DESIGN §9): its signing key (`loadLogSigner`), the checkpoints' origin
   * (default the key's name) and the least time between two signed checkpoints (default 3 s).
   * Without it the `/log` routes are absent. Its tree is kept in `readModels`.
   */
  readonly log?: {
    readonly signer: NoteSigner
    readonly origin?: string
    readonly checkpointIntervalMs?: number
  }
}

/**
 * What every answer of the API carries: licence data, credentials and presentations are never cached
 * unless a route says so (the public status lists and issuer metadata), never sniffed into another
 * type. Errors raised before any route (a URL that does not decode, a path parameter too long) and
 * answers written on the socket carry them too.
 */
const apiHeaders = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const

/**
 * Answers a connection whose request Node could not parse, in the `Error` shape. There is no request
 * to reply through, so the response is written on the socket, which then closes, as Node's own does.
 */
const answerOnSocket = (failure: HttpFailure, socket: Duplex): void => {
  if (socket.writable) {
    const body = JSON.stringify(failure.body)
    socket.write(
      `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status] ?? ''}\r\n` +
        'content-type: application/json; charset=utf-8\r\n' +
        Object.entries(apiHeaders)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('') +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}

/**
 * Sockets whose connection closes after an answer already decided (`connection: close`: a request
 * refused for its header fields, a body never read, shutdown). Node parses and hands over requests
 * pipelined behind it all the same, and their answers, queued after the closing one, are never
 * sent: such a request is not run, so no command is applied without its answer reaching anyone.
 */
const closingSockets = new WeakSet<object>()

/** In-flight requests per socket, and who waits for them to be answered (CONNECT below). */
const inFlight = new WeakMap<object, { count: number; readonly idle: Array<() => void> }>()
const requestEnded = (socket: object) => {
  const entry = inFlight.get(socket)
  if (entry === undefined) return
  entry.count--
  if (entry.count === 0) for (const resume of entry.idle.splice(0)) resume()
}
const whenAnswered = (socket: object): Promise<void> =>
  new Promise((resolve) => {
    const entry = inFlight.get(socket)
    if (entry === undefined || entry.count === 0) resolve()
    else entry.idle.push(resolve)
  })

/** Header fields of one value each, which a request may not repeat. */
const singleFields = ['host', 'authorization', 'content-type', 'content-length', 'content-encoding'] as const

/**
 * What is wrong with a request's header fields as Node read them (`rawHeaders`: name, value, …), or
 * undefined: an HTTP/1.1 request without a Host (RFC 9112 §3.2: a 400), or a field of one value
 * given twice, which servers and gateways resolve differently (Node keeps the first).
 */
export const headerFieldProblem = (
  rawHeaders: ReadonlyArray<string>,
  httpVersion: string,
): string | undefined => {
  const counts = new Map<string, number>()
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = (rawHeaders[index] as string).toLowerCase()
    counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  if (httpVersion === '1.1' && !counts.has('host'))
    return 'the request has no Host header field, which HTTP/1.1 requires (RFC 9112 §3.2)'
  const repeated = singleFields.find((name) => (counts.get(name) ?? 0) > 1)
  return repeated === undefined
    ? undefined
    : `the request has ${counts.get(repeated)} ${repeated} header fields, where one is allowed: send one`
}

/** Commands are a few hundred bytes; 64 KiB leaves room and keeps a flood of large bodies cheap. */
const defaultBodyLimit = 64 * 1024

/**
 * How stale the service's status lists may be for writes made by other processes: a read of the
 * lists looks at the store at most this often. Its own writes are seen by the next read.
 */
const otherWritersMs = 1_000

/** The methods a route may have here; HEAD comes with every GET (Fastify's `exposeHeadRoutes`). */
const routedMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

export const createServer = (options: ServerOptions): FastifyInstance => {
  // Refused now, not on the first presentation (a 500) or by each worker as it starts.
  const cacheProblem = credentialCacheSizeProblem(options.credentialCacheSize)
  if (cacheProblem !== undefined) throw new Error(`credentialCacheSize: ${cacheProblem}`)
  const logOrigin = options.log === undefined ? undefined : (options.log.origin ?? options.log.signer.name)
  const originProblem = logOrigin === undefined ? undefined : checkpointOriginProblem(logOrigin)
  if (originProblem !== undefined)
    throw new Error(`log.origin ${JSON.stringify(logOrigin)}: ${originProblem}`)
  const clock = options.clock ?? (() => new Date())
  const app = Fastify({
    // A missing Host is refused below in the Error shape; Node's own 400 has no body.
    http: { requireHostHeader: false },
    logger: withoutQueryStrings(options.logger ?? false),
    bodyLimit: options.bodyLimit ?? defaultBodyLimit,
    // On close, idle keep-alive sockets are dropped at once; requests in flight still finish.
    forceCloseConnections: 'idle',
    // Requests that arrive while closing are answered below, in the Error shape.
    return503OnClosing: false,
    // A client that trickles its request in (slowloris) is cut off instead of holding a socket.
    requestTimeout: 30_000,
    routerOptions: { maxParamLength: maxPathParameterLength },
    // A URL that does not decode (400) or a path parameter over the limit (414), before any route.
    // These skip the hooks below, so they are given the API's headers here.
    frameworkErrors: (error, _request, reply) =>
      sendFailure(reply.headers(apiHeaders), fromFrameworkError(error)),
    // A connection reset has no one left to answer.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (error.code !== 'ECONNRESET' && !socket.destroyed) answerOnSocket(fromClientError(error), socket)
    },
  })

  // What Node answers without asking Fastify, here in the Error shape: an Expect other than
  // 100-continue (Node's 417 has no body, and leaves the connection waiting), and CONNECT (Node
  // closes the socket without a word).
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    closingSockets.add(request.socket)
    const failure = transportFailure(
      400,
      'invalid-request',
      `the request expects ${JSON.stringify(request.headers.expect ?? '')}: only 100-continue is understood (RFC 9110 §10.1.1)`,
    )
    const body = JSON.stringify(failure.body)
    response
      .writeHead(failure.status, {
        'content-type': 'application/json; charset=utf-8',
        ...apiHeaders,
        'content-length': Buffer.byteLength(body),
        connection: 'close',
      })
      .end(body)
  })
  // Answered once the requests before it on the connection are, so that theirs are sent first.
  app.server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    closingSockets.add(socket)
    void whenAnswered(socket).then(() =>
      answerOnSocket(
        transportFailure(
          400,
          'invalid-request',
          'CONNECT asks for a tunnel, which this service does not make',
        ),
        socket,
      ),
    )
  })

  // JSON bodies whose refusal names what is wrong (Fastify's says "not valid JSON" for all).
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJsonBody)
  // Every body is JSON: a text/plain one (Fastify's other default parser) is a 415, not a string
  // handed to the route, and so no cross-site form can post a "simple" request to the API.
  app.removeContentTypeParser('text/plain')

  const decoder = options.decoder ?? defaultStoredEventDecoder
  const writes = watchWrites(options.store, clock)
  const handle: CommandHandler = commandHandler({
    store: writes.store,
    decider: options.decider,
    decoder,
    clock,
    digest: nodeSha256Hex,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.maxClockSkewMs === undefined ? {} : { maxClockSkewMs: options.maxClockSkewMs }),
  })

  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  // Header fields that say one thing only, twice: Node keeps the first and drops the rest (RFC 9110
  // §5.3 lets no list join them), so a gateway keeping the last would act for another token.
  app.addHook('onRequest', (request, reply, done) => {
    const socket = request.raw.socket
    // Behind an answer that closes the connection: not run (see `closingSockets`).
    if (closingSockets.has(socket)) {
      reply.hijack()
      return
    }
    const entry = inFlight.get(socket) ?? { count: 0, idle: [] }
    entry.count++
    inFlight.set(socket, entry)
    reply.raw.once('close', () => requestEnded(socket))
    const problem = headerFieldProblem(request.raw.rawHeaders, request.raw.httpVersion)
    if (problem !== undefined) {
      closingSockets.add(socket)
      reply.header('connection', 'close')
      sendFailure(reply, transportFailure(400, 'invalid-request', problem))
      return
    }
    done()
  })
  // `/healthz` answers for itself while closing, in its own shape, for the load balancer.
  app.addHook('onRequest', (request, reply, done) => {
    if (closing && request.routeOptions.url !== '/healthz') {
      sendFailure(reply, transportFailure(503, 'shutting-down', 'the server is shutting down'))
      return
    }
    done()
  })
  // A request in flight when shutdown began is answered, and its connection closed with it: a
  // keep-alive socket left open would hold `close()` until the keep-alive timeout.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    if (String(reply.getHeader('connection') ?? '').toLowerCase() === 'close')
      closingSockets.add(request.raw.socket)
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', apiHeaders['cache-control'])
    reply.header('x-content-type-options', apiHeaders['x-content-type-options'])
    done(null, payload)
  })

  app.setErrorHandler((error, request, reply) => {
    // Fastify's own words for a body of a type no parser takes are "Unsupported Media Type": which.
    const failure =
      (error as { code?: unknown }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? transportFailure(
            415,
            'unsupported-media-type',
            `the body is ${request.headers['content-type'] ?? 'of no stated type'}: send it as application/json`,
          )
        : fromFrameworkError(error)
    if (failure.status >= 500) request.log.error({ err: error }, 'request failed')
    if (refusedReadBody(error) && !closing) reply.removeHeader('connection')
    return sendFailure(reply, failure)
  })
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? ''
    // A path that has routes, asked with another method: 405 with the methods it has (RFC 9110
    // §15.5.6), so a client sees its method is wrong, not its path.
    const allowed = routedMethods.filter((method) => app.findRoute({ method, url: path }) !== null)
    if (allowed.length === 0)
      return sendFailure(reply, transportFailure(404, 'not-found', `no route ${request.method} ${path}`))
    reply.header('allow', allowed.join(', '))
    return sendFailure(
      reply,
      transportFailure(
        405,
        'method-not-allowed',
        `${request.method} is not a method of ${path}, which answers ${allowed.join(', ')}`,
      ),
    )
  })

  registerCommandRoutes(app, {
    tokens: options.tokens,
    handle,
    clock,
    clockTrustedRoles: options.clockTrustedRoles ?? defaultClockTrustedRoles,
  })
  registerLicenceRoutes(app, { tokens: options.tokens, store: options.store, decoder, clock })

  const readModels = options.readModels ?? inMemoryReadModelStore()
  // Read models the server made are the server's to close; given ones are the caller's.
  if (options.readModels === undefined) app.addHook('onClose', () => readModels.close())
  const runner = projectionRunner({ events: options.store, readModels, decoder })
  // The status lists' own catch-ups run one after another: concurrent ones would only race for the
  // same checkpoint (the review queue's runner may still commit first: then this one re-reads).
  let previous: Promise<unknown> = Promise.resolve()
  const catchUp = () => {
    const next = previous.then(() => runner.catchUp())
    previous = next.catch(() => undefined)
    return next
  }

  // A server answering only `inject` (an embedder's or a test's, no socket) has no origin of its
  // own, and Fastify's `listeningOrigin` throws there: it names localhost instead of failing 500.
  // Once listening, the origin is fixed (Fastify never listens again): it is read once, not on every
  // verification (each asks for its status list's URI).
  let listeningOrigin: string | undefined
  const issuer = () => {
    if (options.publicUrl !== undefined) return options.publicUrl
    if (listeningOrigin === undefined && app.server.listening) listeningOrigin = app.listeningOrigin
    return listeningOrigin ?? 'http://localhost'
  }
  // What a built status list must look at before it is served again: this service's own writes at
  // once, and those of writers in other processes (`elicence exec`, another instance) within a second.
  let writesSeen = -1
  let lookedAtMs = Number.NEGATIVE_INFINITY
  const mayHaveChanged = () => {
    const nowMs = performance.now()
    const written = writes.writes()
    if (written === writesSeen && nowMs - lookedAtMs < otherWritersMs) return false
    writesSeen = written
    lookedAtMs = nowMs
    return true
  }
  const lists = statusLists({
    readModels,
    catchUp,
    keys: options.issuerKeys,
    issuer,
    clock,
    follow: { events: options.store, mayHaveChanged },
    ...(options.statusListTtlSeconds === undefined ? {} : { ttlSeconds: options.statusListTtlSeconds }),
  })
  // The service's own lists, read as any verifier would read them, without an HTTP round trip.
  const ownStatusList = async (uri: string) => {
    const id = lists.listIdOf(uri)
    if (id === undefined) return E.left(`${uri} is not a status list of this service`)
    const list = await lists.listJwt(id)
    return E.isLeft(list) ? E.left(list.left.message) : list
  }
  // Made on first use: the issuer URL is known once the server listens. On worker threads when
  // configured, else on this thread.
  const workers = options.credentialWorkers
  let credentials: { readonly issue: CredentialIssuer; readonly verify: PresentationVerifier } | undefined
  let closeWorkers: (() => Promise<void>) | undefined
  app.addHook('onClose', async () => closeWorkers?.())
  const credentialsOnce = () => {
    if (credentials !== undefined) return credentials
    const lifetime =
      options.credentialLifetimeSeconds === undefined
        ? {}
        : { lifetimeSeconds: options.credentialLifetimeSeconds }
    const verifierOptions = {
      jwks: options.issuerKeys.jwks,
      issuer: issuer(),
      ...(options.presentationMaxAgeSeconds === undefined
        ? {}
        : { maxAgeSeconds: options.presentationMaxAgeSeconds }),
      ...(options.credentialCacheSize === undefined
        ? {}
        : { credentialCacheSize: options.credentialCacheSize }),
      statusList: ownStatusList,
    }
    if (workers === undefined) {
      credentials = {
        issue: credentialIssuer({
          keys: options.issuerKeys,
          issuer,
          sha256: nodeSha256,
          sign: nodeEd25519Signer(options.issuerKeys.signingKey),
          ...lifetime,
        }),
        verify: presentationVerifier({
          ...verifierOptions,
          sha256: nodeSha256,
          sha256Base64Url: nodeSha256Base64Url,
          // The signatures on this thread: a verification handed to libuv's pool cost this thread
          // about as much CPU as making it here (the job, its completion, the loop's wake-up) and
          // the process half as much again; a credential worker checks its own.
          signatures: nodeSignatureBackend,
        }),
      }
    } else {
      const threads = credentialThreads({
        ...verifierOptions,
        keys: options.issuerKeys,
        ...lifetime,
        threads: workers.threads,
        ...(workers.execArgv === undefined ? {} : { execArgv: workers.execArgv }),
      })
      closeWorkers = threads.close
      credentials = threads
    }
    return credentials
  }
  registerCredentialRoutes(app, {
    tokens: options.tokens,
    licences: licenceViews({ store: options.store, decoder }),
    clock,
    issue: (view, request) => credentialsOnce().issue(view, request),
    statusLists: lists,
    issuer,
    jwks: options.issuerKeys.jwks,
  })
  registerPresentationRoutes(app, {
    tokens: options.tokens,
    clock,
    verify: (text, check) => credentialsOnce().verify(text, check),
  })
  const queries = readModelQueries(readModels)
  const freshness = readModelFreshness({
    store: options.store,
    runner: projectionRunner({ events: options.store, readModels, decoder }),
    queries,
    ...(options.inlineCatchUpLimit === undefined ? {} : { inlineCatchUpLimit: options.inlineCatchUpLimit }),
    onError: (error) => app.log.error({ error }, 'the review queue could not catch up'),
  })
  // A restart starts catching up at once, before the first request; closing stops it between
  // batches, before the read models close.
  app.addHook('onReady', async () => freshness.start())
  app.addHook('preClose', () => freshness.stop())
  registerReviewQueueRoutes(app, { tokens: options.tokens, freshness, queries })
  if (options.log !== undefined) {
    registerLogRoutes(app, {
      // The server's clock dates each signed checkpoint as kept (`signedAt`).
      log: transparencyLog({ events: options.store, readModels, sha256: nodeSha256, clock }),
      signer: options.log.signer,
      ...(options.log.origin === undefined ? {} : { origin: options.log.origin }),
      ...(options.log.checkpointIntervalMs === undefined
        ? {}
        : { checkpointIntervalMs: options.log.checkpointIntervalMs }),
    })
  }
  registerOperationsRoutes(app, {
    store: options.store,
    storeName: options.storeName ?? 'event store',
    openApiDocument,
    closing: () => closing,
    writes,
    deadlineMs: options.healthDeadlineMs ?? defaultHealthDeadlineMs,
    writeFailureMemoryMs: options.writeFailureMemoryMs ?? defaultWriteFailureMemoryMs,
    clock,
  })
  registerPageRoutes(app)
  return app
}
