/**
 * Routes for operators and client generators, without authentication: `GET /healthz` (the process
 * and its store) and `GET /openapi.json` (the OpenAPI 3.1 document of every route).
 *
 * `/healthz` reports readiness by what the service can do, within a deadline of its own (default
 * 2 s), so a load balancer gets an answer even from a store that stopped answering:
 * - reads: one page of the global order, as projections read it;
 * - writes: the store's write probe where it has one (SQLite commits a row of its own), and the
 *   outcome of the last append: one that failed with a store failure less than `writeFailureMemoryMs`
 *   ago (default 30 s), with no success since, makes the service unready even when the probe passes
 *   (a probe is smaller than some appends: on a full disk it may still fit). After that time without
 *   a new failure the service offers itself again, so one that healed while no traffic came is not
 *   left out for good; the next failing append marks it unready again.
 *
 * @example
 * // GET /healthz → 200 { "status": "ok", "store": { "name": "sqlite", "status": "ok" }, "writes": { "status": "ok" } }
 * // disk full → 503 { "status": "unavailable", "store": { …, "status": "ok" },
 * //   "writes": { "status": "failing", "message": "sqlite: cannot write: database or disk is full" } }
 */
import type { EventStore } from '@elicence/domain'
import type { FastifyInstance } from 'fastify'
import * as E from 'fp-ts/lib/Either.js'
import type { WatchedWrites } from '../write-health.js'

export interface OperationsRouteContext {
  readonly store: EventStore
  readonly storeName: string
  readonly openApiDocument: unknown
  /** True once shutdown began: the load balancer should stop sending traffic. */
  readonly closing: () => boolean
  readonly writes: WatchedWrites
  /** How long each probe may take before it counts as failed, in ms. */
  readonly deadlineMs: number
  /** How long a failed append keeps the service unready, in ms. */
  readonly writeFailureMemoryMs: number
  readonly clock: () => Date
}

export const defaultWriteFailureMemoryMs = 30_000

export const defaultHealthDeadlineMs = 2_000

type Probe = { readonly ok: true } | { readonly ok: false; readonly message: string }

/** Runs a probe with a deadline; a probe that throws instead of returning Left counts as failed. */
const probe = async (
  deadlineMs: number,
  run: () => Promise<E.Either<{ readonly message: string }, unknown>>,
): Promise<Probe> => {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<Probe>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, message: `the store did not answer within ${deadlineMs} ms` }),
      deadlineMs,
    )
  })
  const answer = run().then(
    (result): Probe => (E.isRight(result) ? { ok: true } : { ok: false, message: result.left.message }),
    (error: unknown): Probe => ({
      ok: false,
      message: error instanceof Error ? error.message : String(error),
    }),
  )
  try {
    return await Promise.race([answer, deadline])
  } finally {
    clearTimeout(timer)
  }
}

export const registerOperationsRoutes = (app: FastifyInstance, context: OperationsRouteContext): void => {
  app.get('/healthz', async (request, reply) => {
    if (context.closing()) {
      return reply.code(503).send({
        status: 'unavailable',
        store: { name: context.storeName, status: 'unavailable', message: 'the server is shutting down' },
      })
    }
    const { store, deadlineMs } = context
    const [reads, probedWrites] = await Promise.all([
      probe(deadlineMs, () => store.readAll({ after: 0, limit: 1 })),
      store.probeWrite === undefined
        ? undefined
        : probe(deadlineMs, () => store.probeWrite?.() ?? Promise.resolve(E.right(undefined))),
    ])
    const last = context.writes.lastFailure()
    const lastFailure =
      last !== undefined && context.clock().getTime() - Date.parse(last.at) < context.writeFailureMemoryMs
        ? last
        : undefined
    const writes: Probe =
      probedWrites !== undefined && !probedWrites.ok
        ? probedWrites
        : lastFailure === undefined
          ? { ok: true }
          : { ok: false, message: lastFailure.message }
    const storeBody = reads.ok
      ? { name: context.storeName, status: 'ok' }
      : { name: context.storeName, status: 'unavailable', message: reads.message }
    const writesBody = writes.ok
      ? { status: 'ok' }
      : {
          status: 'failing',
          message: writes.message,
          ...(lastFailure !== undefined && writes.message === lastFailure.message
            ? { since: lastFailure.at }
            : {}),
        }
    if (!reads.ok || !writes.ok) {
      request.log.warn({ store: storeBody, writes: writesBody }, 'store health check failed')
      return reply.code(503).send({ status: 'unavailable', store: storeBody, writes: writesBody })
    }
    return reply.send({ status: 'ok', store: storeBody, writes: writesBody })
  })

  app.get('/openapi.json', async (_request, reply) => reply.send(context.openApiDocument))
}
