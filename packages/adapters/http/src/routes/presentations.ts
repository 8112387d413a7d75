/**
 * `POST /presentations/verify` `{ presentation, nonce?, audience? }`: a verifier (police terminal,
 * car-rental company, insurer) sends the text of an SD-JWT VC presentation — scanned from the
 * holder's QR code or pasted — and hears whether to accept it, with every reason when not
 * (`presentationVerifier`): the issuer signature by `kid`, each disclosure's digest, `exp`, the
 * Key Binding JWT's signature against `cnf.jwk`, its `sd_hash`, freshness and nonce, and the status
 * list. The service reads its own status lists directly (cached as their `ttl` allows, like any
 * verifier); a credential naming another list is `status-unavailable`. A presentation that fails is
 * still a successful verification: 200 with `valid: false`. Bad input is a 400.
 *
 * @example
 * // POST /presentations/verify  { "presentation": "eyJ…~WyJ…~eyJ…" }
 * // → 200 { "valid": false, "reasons": ["presentation-stale"], "status": "valid", "disclosed": { … }, "keyBinding": { … } }
 */
import { describeCodec } from '@elicence/domain'
import type { PresentationVerifier } from '@elicence/projections'
import type { FastifyInstance } from 'fastify'
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { authenticated, permitted, type TokenTable } from '../auth.js'
import { sendFailure } from '../errors.js'
import { decodeRequestBody } from './request-body.js'

/** Presentations are about 2 kB; anything far longer is not one. */
export const maxPresentationLength = 8192

interface BoundedStringBrand {
  readonly BoundedString: unique symbol
}

const BoundedString = (max: number) =>
  describeCodec(
    t.brand(
      t.string,
      // Characters (code points), as the schema's maxLength counts them: code units only where they
      // say no, since a pair of surrogates is two of them.
      (text): text is t.Branded<string, BoundedStringBrand> =>
        text.length > 0 && (text.length <= max || [...text].length <= max),
      'BoundedString',
    ),
    { minLength: 1, maxLength: max },
  )

/** The body of `POST /presentations/verify`. */
export const PresentationToVerify = t.intersection(
  [
    t.type({ presentation: BoundedString(maxPresentationLength) }),
    t.partial({ nonce: BoundedString(256), audience: BoundedString(512) }),
  ],
  'PresentationToVerify',
)

export interface PresentationRouteContext {
  readonly tokens: TokenTable
  readonly clock: () => Date
  readonly verify: PresentationVerifier
}

export const registerPresentationRoutes = (app: FastifyInstance, context: PresentationRouteContext): void => {
  app.post('/presentations/verify', async (request, reply) => {
    const authentication = authenticated(context.tokens, request.headers.authorization)
    if (E.isLeft(authentication)) return sendFailure(reply, authentication.left)
    const body = decodeRequestBody(
      PresentationToVerify,
      request.body,
      `expected { "presentation": "<the scanned or pasted text, at most ${maxPresentationLength} characters>", "nonce"?, "audience"? }`,
      // The codec is an intersection of the required and the optional members: its member index
      // ("0." or "1.", or the bare index for a body that is no object) is no part of the body's path.
      (path) => path.replace(/^[01](\.|$)/, '') || '(root)',
    )
    if (E.isLeft(body)) return sendFailure(reply, body.left)
    // Invalid input before `forbidden` (DESIGN §3's order).
    const authorised = permitted(authentication.right, 'verify-presentation')
    if (E.isLeft(authorised)) return sendFailure(reply, authorised.left)
    const checkedAt = context.clock()
    const { presentation, nonce, audience } = body.right
    const result = await context.verify(presentation, {
      now: checkedAt.getTime(),
      ...(nonce === undefined ? {} : { nonce }),
      ...(audience === undefined ? {} : { audience }),
    })
    return reply.send({ ...result, checkedAt: checkedAt.toISOString() })
  })
}
