/**
 * The credential routes of DESIGN §6/§7:
 * - `POST /licences/:licenceNumber/credentials` (the licence's holder only) with
 *   `{ "holderKey": <public JWK> }` → `201 { "credential": "<SD-JWT VC>", … }`, bound to that device
 *   key, with a fresh random status index; 422 `e-licence-not-valid` (with the reasons) unless the
 *   e-licence is issued and valid now. A re-issue after an invalidation is a new credential with a
 *   new index: the old one's index turns INVALID with its e-licence.
 * - `GET /.well-known/jwt-vc-issuer`: the issuer metadata `{ issuer, jwks }`, no token needed;
 *   also at `/.well-known/jwt-vc-issuer/<path>` when the issuer URL has that path.
 * - `GET /status-lists/:id`: the Token Status List JWT, `application/statuslist+jwt`, no token
 *   needed, cacheable for its `ttl`.
 *
 * @example
 * // POST /licences/11010519491231002X/credentials  Authorization: Bearer <holder token>
 * //   { "holderKey": { "kty": "EC", "crv": "P-256", "x": "…", "y": "…" } }
 * // → 201 { "credential": "eyJ…~WyJ…~", "status": { "idx": 40417, "uri": "…/status-lists/1" }, "defaultDisclosures": [ … ] }
 */
import {
  type CredentialIssuer,
  CredentialRequest,
  credentialRefusal,
  defaultDisclosures,
  type HolderKey,
  type IssuerJwks,
  isP256Point,
  type StatusLists,
} from '@elicence/projections'
import { isUsableEd25519Key } from '@elicence/projections/node/credentials'
import type { FastifyInstance, FastifyReply } from 'fastify'
import * as E from 'fp-ts/lib/Either.js'
import { authenticated, permitted, type TokenTable } from '../auth.js'
import { errorBody, fromHandlerError, sendFailure, transportFailure } from '../errors.js'
import { parseLicenceNumber } from '../licence-stream.js'
import type { LicenceViews } from '../licence-views.js'
import { decodeRequestBody } from './request-body.js'

export interface CredentialRouteContext {
  readonly tokens: TokenTable
  /** The licences' states and e-licence views, as the store holds them at each request. */
  readonly licences: LicenceViews
  readonly clock: () => Date
  readonly issue: CredentialIssuer
  readonly statusLists: StatusLists
  readonly issuer: () => string
  readonly jwks: IssuerJwks
}

interface LicenceParams {
  readonly licenceNumber: string
}

/**
 * A P-256 key is checked against the curve equation (a few µs; node's import adds a scalar
 * multiplication that P-256's cofactor of 1 makes redundant); an Ed25519 key must be a point of the
 * prime-order subgroup (node's import takes small-order points, with which anyone can sign).
 */
const isUsableHolderKey = (key: HolderKey): boolean =>
  key.kty === 'EC' ? isP256Point(key) : isUsableEd25519Key(key.x)

/**
 * The path of an issuer URL as it follows the well-known segment: '' for none (or an issuer an
 * embedder gave that is no URL: no path can name it), else `/…` without a trailing slash.
 */
const issuerPath = (issuer: string): string => {
  if (!URL.canParse(issuer)) return ''
  const { pathname } = new URL(issuer)
  return pathname === '/' ? '' : pathname.replace(/\/+$/, '')
}

/** The issuer metadata may be cached briefly; a new key is listed before it signs anything. */
const metadataMaxAgeSeconds = 300

export const registerCredentialRoutes = (app: FastifyInstance, context: CredentialRouteContext): void => {
  app.post<{ Params: LicenceParams }>('/licences/:licenceNumber/credentials', async (request, reply) => {
    // Invalid input before `forbidden`, as for commands (DESIGN §3's order).
    const authentication = authenticated(context.tokens, request.headers.authorization)
    if (E.isLeft(authentication)) return sendFailure(reply, authentication.left)
    const licenceNumber = parseLicenceNumber(request.params.licenceNumber, 'params.licenceNumber')
    if (E.isLeft(licenceNumber)) return sendFailure(reply, licenceNumber.left)
    const body = decodeRequestBody(CredentialRequest, request.body, 'expected { "holderKey": <public JWK> }')
    if (E.isLeft(body)) return sendFailure(reply, body.left)
    const { holderKey } = body.right
    // The coordinates must be a point of the curve, or no signature could ever verify.
    if (!isUsableHolderKey(holderKey)) {
      return sendFailure(
        reply,
        transportFailure(400, 'invalid-request', 'holderKey is not a usable public key', [
          {
            path: 'body.holderKey',
            message:
              holderKey.kty === 'EC'
                ? `not a point of ${holderKey.crv}`
                : `not a point of ${holderKey.crv}'s prime-order subgroup (a small-order or non-canonical point, with which anyone could sign)`,
          },
        ]),
      )
    }
    const authorised = permitted(authentication.right, 'obtain-credential')
    if (E.isLeft(authorised)) return sendFailure(reply, authorised.left)
    const licence = await context.licences.readAs(authorised.right, licenceNumber.right)
    if (E.isLeft(licence)) return sendFailure(reply, licence.left)
    const now = context.clock().getTime()
    const issuable = credentialRefusal(licence.right.view, now)
    if (issuable.view === null) {
      return reply.code(422).send(
        errorBody({
          code: 'e-licence-not-valid',
          message: 'there is no valid e-licence to issue a credential for',
          reasons: issuable.reasons,
        }),
      )
    }
    const status = await context.statusLists.allocate(issuable.view)
    if (E.isLeft(status)) {
      request.log.error({ error: status.left }, 'allocating a status index failed')
      return sendFailure(reply, fromHandlerError(status.left))
    }
    const credential = await context.issue(issuable.view, { holderKey, status: status.right, now })
    return reply.code(201).send({ credential, status: status.right, defaultDisclosures })
  })

  const sendMetadata = (reply: FastifyReply) =>
    reply
      .header('cache-control', `public, max-age=${metadataMaxAgeSeconds}`)
      .send({ issuer: context.issuer(), jwks: context.jwks })
  app.get('/.well-known/jwt-vc-issuer', async (_request, reply) => sendMetadata(reply))
  // An issuer whose URL has a path (`https://host/elicence`, behind a proxy that strips it) is
  // looked up with the well-known segment between host and path (draft-ietf-oauth-sd-jwt-vc,
  // "JWT VC Issuer Metadata"): `/.well-known/jwt-vc-issuer/elicence`. Any other path names no
  // issuer of this service.
  app.get('/.well-known/jwt-vc-issuer/*', async (request, reply) => {
    const path = issuerPath(context.issuer())
    // Compared as sent, not decoded: the issuer's path is in its URL's encoded form, so `/a%20b`
    // is asked for as `/a%20b`, and `/a%2Fb` is not `/a/b`.
    const asked = (request.raw.url ?? '').split(/[?#]/)[0] ?? ''
    return path !== '' && asked === `/.well-known/jwt-vc-issuer${path}`
      ? sendMetadata(reply)
      : sendFailure(
          reply,
          transportFailure(
            404,
            'not-found',
            path === ''
              ? "this service's issuer URL has no path: its metadata is at /.well-known/jwt-vc-issuer"
              : `no issuer at this path: this service's metadata is at /.well-known/jwt-vc-issuer${path}`,
          ),
        )
  })

  app.get<{ Params: { id: string } }>('/status-lists/:id', async (request, reply) => {
    const id = /^[1-9][0-9]*$/.test(request.params.id) ? request.params.id : undefined
    if (id === undefined) {
      return sendFailure(
        reply,
        transportFailure(400, 'invalid-request', 'invalid status list id', [
          { path: 'params.id', message: 'expected a positive integer' },
        ]),
      )
    }
    // Any positive integer is an id, as the document says; one of more digits than there can be
    // lists is no list (404), never a number read past its precision.
    if (id.length > 6) return sendFailure(reply, transportFailure(404, 'not-found', `no status list ${id}`))
    const list = await context.statusLists.listJwt(Number(id))
    if (E.isLeft(list)) {
      if (list.left.code === 'not-found')
        return sendFailure(reply, transportFailure(404, 'not-found', list.left.message))
      request.log.error({ error: list.left }, 'building a status list failed')
      return sendFailure(reply, fromHandlerError(list.left))
    }
    return reply
      .header('content-type', 'application/statuslist+jwt')
      .header('cache-control', `public, max-age=${context.statusLists.ttlSeconds}`)
      .send(list.right)
  })
}
