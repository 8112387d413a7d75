/**
 * `GET /review-queue`: open applications, those awaiting review first by `reviewDueAt`, then those
 * awaiting a photo. `?dueBy=` an instant keeps only those a reviewer may decide by then; `?limit=`
 * caps the list (1–1000, default 100). The queue is a read model over every licence, kept by the
 * projection runner. A request lets the runner catch up first when it is a little behind, so a
 * reviewer never misses an application accepted before they asked; far behind (after a restart),
 * the runner catches up in the background and the answer comes at once from the last checkpoint,
 * saying how far behind it is (see `read-model-freshness.ts`): `checkpoint`, `head` and `behind`
 * in the body, and the headers `Elicence-Read-Model-Position`, `Elicence-Store-Head` and
 * `Elicence-Read-Model-Behind`.
 *
 * @example
 * // GET /review-queue?dueBy=2026-10-16T10:00:00%2B08:00  Authorization: Bearer <reviewer token>
 * // → 200 { "entries": [ { "licenceNumber": "…", "applicationId": "app-1", "reviewDueAt": "…", … } ],
 * //         "checkpoint": 41, "head": 41, "behind": 0 }
 */
import { Instant, type InvalidInputIssue } from '@elicence/domain'
import type { ReadModelQueries } from '@elicence/projections'
import type { FastifyInstance } from 'fastify'
import * as E from 'fp-ts/lib/Either.js'
import { authenticated, permitted, type TokenTable } from '../auth.js'
import { fromHandlerError, sendFailure, transportFailure } from '../errors.js'
import type { ReadModelFreshness } from '../read-model-freshness.js'

export interface ReviewQueueRouteContext {
  readonly tokens: TokenTable
  readonly freshness: ReadModelFreshness
  readonly queries: ReadModelQueries
}

const defaultLimit = 100
const maxLimit = 1000

export const registerReviewQueueRoutes = (app: FastifyInstance, context: ReviewQueueRouteContext): void => {
  app.get<{ Querystring: { dueBy?: unknown; limit?: unknown } }>('/review-queue', async (request, reply) => {
    const authentication = authenticated(context.tokens, request.headers.authorization)
    if (E.isLeft(authentication)) return sendFailure(reply, authentication.left)

    const { dueBy, limit } = request.query
    const issues: InvalidInputIssue[] = []
    if (dueBy !== undefined && !Instant.is(dueBy)) {
      issues.push({ path: 'query.dueBy', message: 'expected an ISO-8601 instant with an offset or Z' })
    }
    const limitNumber = limit === undefined ? defaultLimit : Number(limit)
    if (
      typeof limit !== 'undefined' &&
      !(typeof limit === 'string' && /^\d{1,4}$/.test(limit) && limitNumber >= 1 && limitNumber <= maxLimit)
    ) {
      issues.push({ path: 'query.limit', message: `expected an integer from 1 to ${maxLimit}` })
    }
    if (issues.length > 0)
      return sendFailure(reply, transportFailure(400, 'invalid-request', 'invalid query', issues))
    // Invalid input before `forbidden` (DESIGN §3's order).
    const authorised = permitted(authentication.right, 'read-review-queue')
    if (E.isLeft(authorised)) return sendFailure(reply, authorised.left)

    const caughtUp = await context.freshness.current()
    if (E.isLeft(caughtUp)) {
      request.log.error({ error: caughtUp.left }, 'the projection runner could not catch up')
      return sendFailure(reply, fromHandlerError(caughtUp.left))
    }
    const entries = await context.queries.reviewQueue({
      limit: limitNumber,
      ...(typeof dueBy === 'string' ? { dueBy } : {}),
    })
    if (E.isLeft(entries)) {
      return sendFailure(reply, fromHandlerError(entries.left))
    }
    const { position, head, behind } = caughtUp.right
    reply.header('elicence-read-model-position', String(position))
    if (head !== null) reply.header('elicence-store-head', String(head))
    if (behind !== null) reply.header('elicence-read-model-behind', String(behind))
    return reply.send({ entries: entries.right, checkpoint: position, head, behind })
  })
}
