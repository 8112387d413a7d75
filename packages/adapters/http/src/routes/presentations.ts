/**
 * `POST /presentations/verify`: a verifier (police terminal, car-rental company, insurer) sends the
 * text of a presentation — scanned from the holder's QR code or pasted — and hears whether it is
 * valid now, and if not why: a bad signature, an expired presentation (a screenshot shown later), or
 * an e-licence invalidated since it was signed. The check is always online against the event store:
 * the service opens the presentation's sealed reference with its reference key (one it did not seal
 * is `unknown-reference`) to find the licence. The answer, like the payload, never names the holder
 * in full: no e-licence id, no licence number in clear. A presentation that fails is still a
 * successful verification: 200 with `valid: false`.
 *
 * @example
 * // POST /presentations/verify  { "presentation": "EP1.eyJ….MEUC…" }
 * // → 200 { "valid": false, "checkedAt": "…", "code": "presentation-expired", "message": "…", "reasons": [] }
 */
import {
  type EventStore,
  licenceNumberOfELicenceId,
  type StoredEventDecoder,
  storeFailure,
} from '@elicence/domain'
import { type ELicenceLookup, readLicenceView, verifyPresentation } from '@elicence/projections'
import type { FastifyInstance } from 'fastify'
import * as E from 'fp-ts/lib/Either.js'
import { authorise, type TokenTable } from '../auth.js'
import { fromHandlerError, sendFailure, transportFailure } from '../errors.js'

export interface PresentationRouteContext {
  readonly tokens: TokenTable
  readonly store: EventStore
  /** The server's one decoder of stored events. */
  readonly decoder: StoredEventDecoder
  readonly clock: () => Date
  readonly verificationKey: CryptoKey
  /** Opens the presentation's reference: only the issuing service holds it. */
  readonly referenceKey: CryptoKey
}

/** Presentations are about 600 characters; anything far longer is not one. */
const maxPresentationLength = 8192

export const registerPresentationRoutes = (app: FastifyInstance, context: PresentationRouteContext): void => {
  const lookup: ELicenceLookup = async (eLicenceId) => {
    const licenceNumber = licenceNumberOfELicenceId(eLicenceId)
    if (licenceNumber === undefined) return E.right(null)
    const view = await readLicenceView(context.store, licenceNumber, { decoder: context.decoder })
    return E.isLeft(view) ? E.left(view.left.message) : view
  }

  app.post('/presentations/verify', async (request, reply) => {
    const authorised = authorise(context.tokens, request.headers.authorization, 'verify-presentation')
    if (E.isLeft(authorised)) return sendFailure(reply, authorised.left)
    const body = request.body
    const presentation =
      typeof body === 'object' && body !== null && !Array.isArray(body) && 'presentation' in body
        ? body.presentation
        : undefined
    if (
      typeof presentation !== 'string' ||
      presentation.length === 0 ||
      presentation.length > maxPresentationLength
    ) {
      return sendFailure(
        reply,
        transportFailure(
          400,
          'invalid-request',
          'expected { "presentation": "<the scanned or pasted text>" }',
          [
            {
              path: 'presentation',
              message: `expected a non-empty string of at most ${maxPresentationLength} characters`,
            },
          ],
        ),
      )
    }
    const checkedAt = context.clock().toISOString()
    const verified = await verifyPresentation(presentation, {
      publicKey: context.verificationKey,
      now: checkedAt,
      online: { referenceKey: context.referenceKey, lookup },
    })
    if (E.isRight(verified)) {
      return reply.send({
        valid: true,
        checkedAt,
        payload: verified.right.payload,
        verification: verified.right.online,
      })
    }
    const { code, message, reasons } = verified.left
    if (code === 'lookup-failed') {
      request.log.error({ error: verified.left }, 'online check of a presentation failed')
      return sendFailure(reply, fromHandlerError(storeFailure('the e-licence could not be checked online')))
    }
    return reply.send({ valid: false, checkedAt, code, message, reasons: reasons ?? [] })
  })
}
