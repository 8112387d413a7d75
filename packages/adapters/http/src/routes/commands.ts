/**
 * `POST /commands`: the body is a command `{ type, data, metadata }` of DESIGN §2, handed to the
 * shared command handler once the transport has done its part of `metadata`:
 * - `actor` comes from the bearer token. A body may leave it out or repeat it; a body that claims
 *   another actor is refused (403), never silently rewritten, so a client bug cannot act under a
 *   name it did not mean.
 * - `at` is stamped by the server. Only roles trusted with their own clock (by default the registry
 *   and scheduled jobs) may state it; from anyone else, a holder above all, a stated `at` is invalid
 *   input (400), so no one backdates an application or post-dates a review. A stamped command is
 *   never refused for time running backwards: where a registry's clock ran ahead (within the skew),
 *   it happens at the licence's last instant (`HandleOptions.stampedAt`).
 * - `commandId` is the client's: re-sending a command returns its first outcome (200, `replayed`).
 *
 * @example
 * // POST /commands  Authorization: Bearer <holder token>
 * // { "type": "WithdrawApplication", "data": { "licenceNumber": "11010519491231002X", "applicationId": "app-1" },
 * //   "metadata": { "commandId": "5b0c3f8e-8a55-4c4b-9d7e-0f6b1c2d3e4f" } }
 * // → 201 { "events": [ … ], "version": 3, "replayed": false }
 */
import type { Actor, ActorRole, CommandHandler, InvalidInputIssue } from '@elicence/domain'
import { aRole, parseCommand } from '@elicence/domain'
import type { FastifyInstance } from 'fastify'
import * as E from 'fp-ts/lib/Either.js'
import { authenticated, permitted, type TokenTable } from '../auth.js'
import { errorBody, fromHandlerError, sendFailure, transportFailure } from '../errors.js'

export interface CommandRouteContext {
  readonly tokens: TokenTable
  readonly handle: CommandHandler
  readonly clock: () => Date
  readonly clockTrustedRoles: ReadonlyArray<ActorRole>
}

const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const sameActor = (a: Actor, b: Actor): boolean => a.role === b.role && a.id === b.id

/**
 * The body with the transport's metadata filled in, plus the issues the transport adds itself. Only
 * an object body with an object (or absent) `metadata` is completed; anything else goes to the
 * decoder as sent, which lists what is wrong with it.
 */
const completeCommand = (
  body: unknown,
  actor: Actor,
  now: Date,
  clockTrusted: boolean,
): {
  readonly json: unknown
  readonly issues: ReadonlyArray<InvalidInputIssue>
  /** Whether `at` is the server's clock, not the sender's (`HandleOptions.stampedAt`). */
  readonly stamped: boolean
} => {
  if (!isPlainObject(body)) return { json: body, issues: [], stamped: false }
  const metadata = body.metadata === undefined ? {} : body.metadata
  if (!isPlainObject(metadata)) return { json: body, issues: [], stamped: false }
  const stated = Object.hasOwn(metadata, 'at')
  const issues: InvalidInputIssue[] =
    stated && !clockTrusted
      ? [{ path: 'metadata.at', message: `set by the server for ${aRole(actor.role)}: leave it out` }]
      : []
  const at = stated && clockTrusted ? metadata.at : now.toISOString()
  const claimed = Object.hasOwn(metadata, 'actor') ? metadata.actor : actor
  return {
    json: { ...body, metadata: { ...metadata, at, actor: claimed } },
    issues,
    stamped: !(stated && clockTrusted),
  }
}

export const registerCommandRoutes = (app: FastifyInstance, context: CommandRouteContext): void => {
  app.post('/commands', async (request, reply) => {
    const authentication = authenticated(context.tokens, request.headers.authorization)
    if (E.isLeft(authentication)) return sendFailure(reply, authentication.left)
    const actor = authentication.right

    const completed = completeCommand(
      request.body,
      actor,
      context.clock(),
      context.clockTrustedRoles.includes(actor.role),
    )
    // Invalid input first, with every failing path (DESIGN §3's order), then who is asking: a role
    // that may send no command at all is `forbidden` after that too.
    const parsed = parseCommand(completed.json)
    const issues = [...(E.isLeft(parsed) ? (parsed.left.issues ?? []) : []), ...completed.issues]
    if (issues.length > 0) {
      return reply.code(400).send(
        errorBody({
          code: 'invalid-command',
          message: `invalid command: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
          issues,
        }),
      )
    }
    if (E.isLeft(parsed)) return sendFailure(reply, fromHandlerError(parsed.left))
    const authorised = permitted(actor, 'send-commands')
    if (E.isLeft(authorised)) return sendFailure(reply, authorised.left)
    if (!sameActor(parsed.right.metadata.actor, actor)) {
      return sendFailure(
        reply,
        transportFailure(403, 'forbidden', 'metadata.actor is not the actor of the bearer token'),
      )
    }

    const outcome = await context.handle(completed.json, { stampedAt: completed.stamped })
    if (E.isLeft(outcome)) {
      if (outcome.left.code === 'store-failure') request.log.error({ error: outcome.left }, 'store failure')
      return sendFailure(reply, fromHandlerError(outcome.left))
    }
    const { events, version, replayed } = outcome.right
    return reply.code(replayed ? 200 : 201).send({ events, version, replayed })
  })
}
