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
 *   presentationKeys: { signingKey, verificationKey, referenceKey }, // see PresentationKeys
 * })
 * await app.listen({ host: '127.0.0.1', port: 0 })
 */
import { STATUS_CODES } from 'node:http'
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
  defaultPresentationSeconds,
  inMemoryReadModelStore,
  type NoteSigner,
  projectionRunner,
  type ReadModelStore,
  readModelQueries,
  transparencyLog,
} from '@elicence/projections'
import { nodeSha256, nodeSha256Hex } from '@elicence/projections/node'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { defaultClockTrustedRoles, type TokenTable } from './auth.js'
import {
  fromClientError,
  fromFrameworkError,
  type HttpFailure,
  sendFailure,
  transportFailure,
} from './errors.js'
import { maxPathParameterLength, openApiDocument } from './openapi.js'
import { readModelFreshness } from './read-model-freshness.js'
import { registerCommandRoutes } from './routes/commands.js'
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

/**
 * The keys of presentations: the Ed25519 pair that signs and verifies them (`importSigningKey`,
 * `importVerificationKey`) and the AES-256-GCM key that seals the e-licence id into their opaque
 * reference and opens it for the online check (`importReferenceKey`). The last two stay secret.
 */
export interface PresentationKeys {
  readonly signingKey: CryptoKey
  readonly verificationKey: CryptoKey
  readonly referenceKey: CryptoKey
}

export interface ServerOptions {
  readonly store: EventStore
  readonly decider: LicenceDecider
  /** Bearer token → actor; see `parseTokenTable` for reading one from configuration. */
  readonly tokens: TokenTable
  readonly presentationKeys: PresentationKeys
  /** How long a presentation stays valid, in seconds (default 60). */
  readonly presentationSeconds?: number
  /**
   * Where the review queue's read model lives; by default in memory, rebuilt from the event store
   * on the first request. The server runs the projection runner over it.
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
 * Answers a connection whose request Node could not parse, in the `Error` shape. There is no request
 * to reply through, so the response is written on the socket, which then closes, as Node's own does.
 */
const answerOnSocket = (failure: HttpFailure, socket: Duplex): void => {
  if (socket.writable) {
    const body = JSON.stringify(failure.body)
    socket.write(
      `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status] ?? ''}\r\n` +
        'content-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}

/** Commands are a few hundred bytes; 64 KiB leaves room and keeps a flood of large bodies cheap. */
const defaultBodyLimit = 64 * 1024

export const createServer = (options: ServerOptions): FastifyInstance => {
  const clock = options.clock ?? (() => new Date())
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? defaultBodyLimit,
    // On close, idle keep-alive sockets are dropped at once; requests in flight still finish.
    forceCloseConnections: 'idle',
    // Requests that arrive while closing are answered below, in the Error shape.
    return503OnClosing: false,
    // A client that trickles its request in (slowloris) is cut off instead of holding a socket.
    requestTimeout: 30_000,
    routerOptions: { maxParamLength: maxPathParameterLength },
    // A URL that does not decode (400) or a path parameter over the limit (414), before any route.
    frameworkErrors: (error, _request, reply) => sendFailure(reply, fromFrameworkError(error)),
    // A connection reset has no one left to answer.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (error.code !== 'ECONNRESET' && !socket.destroyed) answerOnSocket(fromClientError(error), socket)
    },
  })

  const decoder = options.decoder ?? defaultStoredEventDecoder
  const writes = watchWrites(options.store, clock)
  const handle: CommandHandler = commandHandler({
    store: writes.store,
    decider: options.decider,
    decoder,
    clock,
    digest: nodeSha256Hex,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  })

  let closing = false
  app.addHook('preClose', async () => {
    closing = true
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
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })

  app.setErrorHandler((error, request, reply) => {
    const failure = fromFrameworkError(error)
    if (failure.status >= 500) request.log.error({ err: error }, 'request failed')
    return sendFailure(reply, failure)
  })
  app.setNotFoundHandler((request, reply) =>
    sendFailure(
      reply,
      transportFailure(404, 'not-found', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  )

  registerCommandRoutes(app, {
    tokens: options.tokens,
    handle,
    clock,
    clockTrustedRoles: options.clockTrustedRoles ?? defaultClockTrustedRoles,
  })
  registerLicenceRoutes(app, {
    tokens: options.tokens,
    store: options.store,
    decoder,
    clock,
    presentations: {
      signingKey: options.presentationKeys.signingKey,
      referenceKey: options.presentationKeys.referenceKey,
      validForSeconds: options.presentationSeconds ?? defaultPresentationSeconds,
    },
  })
  registerPresentationRoutes(app, {
    tokens: options.tokens,
    store: options.store,
    decoder,
    clock,
    verificationKey: options.presentationKeys.verificationKey,
    referenceKey: options.presentationKeys.referenceKey,
  })
  const readModels = options.readModels ?? inMemoryReadModelStore()
  // Read models the server made are the server's to close; given ones are the caller's.
  if (options.readModels === undefined) app.addHook('onClose', () => readModels.close())
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
