/**
 * Reads of one licence, all straight from its event stream (so a holder sees their own command's
 * effect at once), folded through the projections' views:
 * - `GET /licences/:licenceNumber`: the e-licence view; `?asOf=` an instant gives the view then,
 *   `&axis=record` as the system showed it then rather than as it is known now (default `business`).
 * - `GET /licences/:licenceNumber/events`: the stored history with its hash chain.
 * - `GET /licences/:licenceNumber/verification`: what a verifier may see, `?at=` an instant
 *   (default now; a past instant is judged on what had happened by then), name and number masked.
 * A holder reaches only their own licence; a verifier only verifies.
 *
 * @example
 * // GET /licences/11010519491231002X/verification  Authorization: Bearer <verifier token>
 * // → 200 { "eLicence": "valid", "driving": "allowed", "holderName": "张*", "licenceNumber": "110105********002X", … }
 */
import { type EventStore, Instant, licenceError, type StoredEventDecoder } from '@elicence/domain'
import {
  eLicenceAsOf,
  eLicenceView,
  foldView,
  type TimeAxis,
  timeAxes,
  verifyAt,
} from '@elicence/projections'
import type { FastifyInstance } from 'fastify'
import * as E from 'fp-ts/lib/Either.js'
import { authenticated, type Capability, permitted, type TokenTable } from '../auth.js'
import { fromHandlerError, type HttpFailure, sendFailure, transportFailure } from '../errors.js'
import { type LicenceStream, parseLicenceNumber, readLicenceStreamAs } from '../licence-stream.js'

export interface LicenceRouteContext {
  readonly tokens: TokenTable
  readonly store: EventStore
  /** The server's one decoder of stored events. */
  readonly decoder: StoredEventDecoder
  readonly clock: () => Date
}

interface LicenceParams {
  readonly licenceNumber: string
}

/** What every route here reads of its request before its own query: the token and the path. */
interface LicenceRequest {
  readonly headers: { readonly authorization?: string | undefined }
  readonly params: LicenceParams
}

const parseInstantQuery = (value: unknown, path: string): E.Either<HttpFailure, string | undefined> =>
  value === undefined
    ? E.right(undefined)
    : Instant.is(value)
      ? E.right(value)
      : E.left(
          transportFailure(400, 'invalid-request', `${path} is not an instant`, [
            {
              path,
              message: 'expected an ISO-8601 instant with an offset or Z, e.g. 2026-10-09T10:00:00+08:00',
            },
          ]),
        )

const parseAxis = (value: unknown): E.Either<HttpFailure, TimeAxis> =>
  value === undefined
    ? E.right('business')
    : timeAxes.includes(value as TimeAxis)
      ? E.right(value as TimeAxis)
      : E.left(
          transportFailure(400, 'invalid-request', 'query.axis is not a time axis', [
            { path: 'query.axis', message: `expected one of ${timeAxes.join(', ')}` },
          ]),
        )

/** Both query values, or a 400 that lists the issues of both. */
const bothQueries = (
  asOf: E.Either<HttpFailure, string | undefined>,
  axis: E.Either<HttpFailure, TimeAxis>,
): E.Either<HttpFailure, { readonly asOf: string | undefined; readonly axis: TimeAxis }> => {
  if (E.isRight(asOf) && E.isRight(axis)) return E.right({ asOf: asOf.right, axis: axis.right })
  const issues = [asOf, axis].flatMap((parsed) =>
    E.isLeft(parsed) ? (parsed.left.body.error.issues ?? []) : [],
  )
  return E.left(transportFailure(400, 'invalid-request', 'invalid query', issues))
}

export const registerLicenceRoutes = (app: FastifyInstance, context: LicenceRouteContext): void => {
  /**
   * The token, then the input (the path's licence number and any query values), then the role
   * policy, then the stream: DESIGN §3's order (invalid input before `forbidden`), as for commands.
   */
  const readFor = async <Q>(
    request: LicenceRequest,
    capability: Capability,
    parseQuery: () => E.Either<HttpFailure, Q>,
  ): Promise<E.Either<HttpFailure, { readonly stream: LicenceStream; readonly query: Q }>> => {
    const authentication = authenticated(context.tokens, request.headers.authorization)
    if (E.isLeft(authentication)) return authentication
    const licenceNumber = parseLicenceNumber(request.params.licenceNumber, 'params.licenceNumber')
    if (E.isLeft(licenceNumber)) return licenceNumber
    const query = parseQuery()
    if (E.isLeft(query)) return query
    const authorised = permitted(authentication.right, capability)
    if (E.isLeft(authorised)) return authorised
    const stream = await readLicenceStreamAs(context, authorised.right, licenceNumber.right)
    return E.isLeft(stream) ? stream : E.right({ stream: stream.right, query: query.right })
  }
  const noQuery = () => E.right(undefined)

  app.get<{ Params: LicenceParams; Querystring: { asOf?: unknown; axis?: unknown } }>(
    '/licences/:licenceNumber',
    async (request, reply) => {
      const read = await readFor(request, 'read-licence', () =>
        bothQueries(parseInstantQuery(request.query.asOf, 'query.asOf'), parseAxis(request.query.axis)),
      )
      if (E.isLeft(read)) return sendFailure(reply, read.left)
      const { stream, query } = read.right
      if (query.asOf === undefined) return reply.send(foldView(eLicenceView, stream.events))
      const then = eLicenceAsOf(stream.events, query.asOf, query.axis)
      // The instant was checked above, so `Left` (an unparsable instant) cannot happen here.
      const view = E.isRight(then) ? then.right : null
      if (view === null) {
        return sendFailure(
          reply,
          fromHandlerError(
            licenceError(
              'licence-not-found',
              `licence ${stream.licenceNumber} was not recorded as of ${query.asOf}`,
            ),
          ),
        )
      }
      return reply.send(view)
    },
  )

  app.get<{ Params: LicenceParams }>('/licences/:licenceNumber/events', async (request, reply) => {
    const read = await readFor(request, 'read-events', noQuery)
    if (E.isLeft(read)) return sendFailure(reply, read.left)
    const { stream } = read.right
    return reply.send({ licenceNumber: stream.licenceNumber, version: stream.version, events: stream.stored })
  })

  app.get<{ Params: LicenceParams; Querystring: { at?: unknown } }>(
    '/licences/:licenceNumber/verification',
    async (request, reply) => {
      const read = await readFor(request, 'read-verification', () =>
        parseInstantQuery(request.query.at, 'query.at'),
      )
      if (E.isLeft(read)) return sendFailure(reply, read.left)
      const { stream, query: at } = read.right
      if (at === undefined) {
        return reply.send(verifyAt(foldView(eLicenceView, stream.events), context.clock().toISOString()))
      }
      // At a given instant, what was known to have happened by then: a licence issued later was not
      // valid then, and one not yet recorded verifies as not found.
      const then = eLicenceAsOf(stream.events, at, 'business')
      return reply.send(verifyAt(E.isRight(then) ? then.right : null, at))
    },
  )
}
