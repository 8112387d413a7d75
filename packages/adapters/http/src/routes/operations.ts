/**
 * Routes for operators and client generators, without authentication: `GET /healthz` (the process
 * and its store) and `GET /openapi.json` (the OpenAPI 3.1 document of every route).
 *
 * @example
 * // GET /healthz → 200 { "status": "ok", "store": { "name": "sqlite", "status": "ok" } }
 * // while the store fails → 503 { "status": "unavailable", "store": { …, "status": "unavailable", "message": "…" } }
 */
import type { EventStore } from '@elicence/domain'
import type { FastifyInstance } from 'fastify'
import * as E from 'fp-ts/lib/Either.js'

export interface OperationsRouteContext {
  readonly store: EventStore
  readonly storeName: string
  readonly openApiDocument: unknown
  /** True once shutdown began: the load balancer should stop sending traffic. */
  readonly closing: () => boolean
}

export const registerOperationsRoutes = (app: FastifyInstance, context: OperationsRouteContext): void => {
  app.get('/healthz', async (request, reply) => {
    if (context.closing()) {
      return reply.code(503).send({
        status: 'unavailable',
        store: { name: context.storeName, status: 'unavailable', message: 'the server is shutting down' },
      })
    }
    // Reading one page of the global order touches the store the way projections do, and is cheap.
    let message: string | undefined
    try {
      const read = await context.store.readAll({ after: 0, limit: 1 })
      if (E.isLeft(read)) message = read.left.message
    } catch (error) {
      // A store that throws instead of returning Left is broken; healthz reports it rather than crash.
      message = error instanceof Error ? error.message : String(error)
    }
    if (message !== undefined) {
      request.log.warn({ store: context.storeName, message }, 'store health check failed')
      return reply
        .code(503)
        .send({ status: 'unavailable', store: { name: context.storeName, status: 'unavailable', message } })
    }
    return reply.send({ status: 'ok', store: { name: context.storeName, status: 'ok' } })
  })

  app.get('/openapi.json', async (_request, reply) => reply.send(context.openApiDocument))
}
