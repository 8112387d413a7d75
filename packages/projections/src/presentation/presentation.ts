/**
 * The anti-screenshot e-licence of DESIGN §6: a short-lived presentation of an issued e-licence,
 * signed with Ed25519, as a compact string for a QR code: `EP1.<payload>.<signature>` (base64url; the
 * signature covers `EP1.<payload>`). A verifier refuses a bad signature, a presentation past its
 * validity (the screenshot case) or before it, and — when online — an e-licence invalidated since.
 *
 * Whoever scans the code reads the payload, so it holds only what a verifier needs, masked (DESIGN
 * §5): the e-licence id, which the domain derives from the full licence number, travels as an opaque
 * `reference` sealed under the issuing service's reference key (see `reference.ts`). Offline
 * verification needs only the public key; the online check needs the reference key to find the
 * e-licence, so only the issuing service performs it.
 *
 * @example
 * const signed = await signPresentation(view, { privateKey, referenceKey, now: new Date().toISOString() })
 * const checked = await verifyPresentation(token, { publicKey, now: new Date().toISOString() })
 * // Left({ code: 'presentation-expired', … }) for a screenshot shown two minutes later
 * await verifyPresentation(token, { publicKey, now, online: { referenceKey, lookup } })
 */
import {
  Instant,
  type LicenceClass,
  LicenceClasses,
  type LicenceStatus,
  LicenceStatuses,
  ValidUntil,
} from '@elicence/domain'
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import type { ELicenceViewState } from '../views/e-licence.js'
import {
  maskLicenceNumber,
  maskName,
  type Verification,
  type VerificationReason,
  verifyAt,
} from '../views/verification.js'
import { base64UrlDecode, base64UrlEncode } from './keys.js'
import { openReference, sealReference } from './reference.js'

const tokenPrefix = 'EP1'
export const defaultPresentationSeconds = 60

// The codec stays private: its branded output type is the domain's, the exported interface is plain.
const PresentationPayloadCodec = t.exact(
  t.type({
    reference: t.string,
    holder: t.string,
    licenceNumber: t.string,
    classes: LicenceClasses,
    validUntil: ValidUntil,
    statuses: LicenceStatuses,
    signedAt: Instant,
    presentation: t.exact(t.type({ validFrom: Instant, validUntil: Instant })),
  }),
  'PresentationPayload',
)

/**
 * What the QR code tells anyone who scans it: nothing that identifies the holder in full.
 * `validUntil` is the licence's; `presentation.validUntil` is this presentation's.
 */
export interface PresentationPayload {
  /** The e-licence id sealed under the service's reference key (AES-256-GCM, base64url): opaque. */
  readonly reference: string
  /** Masked: 张** */
  readonly holder: string
  /** Masked: 110105********002X */
  readonly licenceNumber: string
  readonly classes: ReadonlyArray<LicenceClass>
  readonly validUntil: t.TypeOf<typeof ValidUntil>
  readonly statuses: ReadonlyArray<LicenceStatus>
  readonly signedAt: string
  readonly presentation: { readonly validFrom: string; readonly validUntil: string }
}

export const presentationErrorCodes = [
  'e-licence-not-valid',
  'invalid-instant',
  'signing-failed',
  'malformed-presentation',
  'bad-signature',
  'presentation-not-yet-valid',
  'presentation-expired',
  'unknown-reference',
  'e-licence-unknown',
  'e-licence-invalidated',
  'lookup-failed',
] as const
export type PresentationErrorCode = (typeof presentationErrorCodes)[number]

export interface PresentationError {
  readonly code: PresentationErrorCode
  readonly message: string
  /** Why the e-licence is not valid, when that is the reason. */
  readonly reasons?: ReadonlyArray<VerificationReason>
}

const failure = (
  code: PresentationErrorCode,
  message: string,
  reasons?: ReadonlyArray<VerificationReason>,
): PresentationError => (reasons === undefined ? { code, message } : { code, message, reasons })

export interface SignedPresentation {
  readonly token: string
  readonly payload: PresentationPayload
}

export interface SignOptions {
  readonly privateKey: CryptoKey
  /** Seals the e-licence id into the payload's `reference` (`importReferenceKey`). */
  readonly referenceKey: CryptoKey
  /** The signing instant (the server's clock): the presentation is valid from it. */
  readonly now: string
  readonly validForSeconds?: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

const toIso = (ms: number): string => new Date(ms).toISOString()

/** Signs a presentation of the view's e-licence; refused unless the e-licence is valid at `now`. */
export const signPresentation = async (
  view: ELicenceViewState,
  options: SignOptions,
): Promise<E.Either<PresentationError, SignedPresentation>> => {
  const nowMs = Date.parse(options.now)
  if (!Number.isFinite(nowMs)) return E.left(failure('invalid-instant', `${options.now} is not an instant`))
  const verification = verifyAt(view, nowMs)
  if (view === null || view.eLicenceId === null || verification.eLicence !== 'valid') {
    return E.left(
      failure('e-licence-not-valid', 'there is no valid e-licence to present', verification.reasons),
    )
  }
  const seconds = options.validForSeconds ?? defaultPresentationSeconds
  const reference = await sealReference(view.eLicenceId, options.referenceKey)
  if (E.isLeft(reference)) return E.left(failure('signing-failed', reference.left))
  const payload: PresentationPayload = {
    reference: reference.right,
    holder: maskName(view.holder.name),
    licenceNumber: maskLicenceNumber(view.licenceNumber),
    classes: view.classes,
    validUntil: view.validUntil,
    statuses: view.statuses,
    signedAt: toIso(nowMs),
    presentation: { validFrom: toIso(nowMs), validUntil: toIso(nowMs + seconds * 1000) },
  }
  const body = `${tokenPrefix}.${base64UrlEncode(encoder.encode(JSON.stringify(payload)))}`
  try {
    const signature = await crypto.subtle.sign('Ed25519', options.privateKey, encoder.encode(body))
    return E.right({ token: `${body}.${base64UrlEncode(new Uint8Array(signature))}`, payload })
  } catch (error) {
    return E.left(failure('signing-failed', error instanceof Error ? error.message : String(error)))
  }
}

/** Looks an e-licence up by id for online verification; null when no licence has it. */
export type ELicenceLookup = (eLicenceId: string) => Promise<E.Either<string, ELicenceViewState>>

/** The issuing service's online check: it opens the reference, then looks the e-licence up. */
export interface OnlineCheck {
  readonly referenceKey: CryptoKey
  readonly lookup: ELicenceLookup
}

export interface VerifyOptions {
  readonly publicKey: CryptoKey
  /** The verifier's clock. */
  readonly now: string
  /** When given, the e-licence's current state is checked too. */
  readonly online?: OnlineCheck
  /** Clock difference tolerated between signer and verifier, in seconds; default 0. */
  readonly toleranceSeconds?: number
}

export interface VerifiedPresentation {
  readonly payload: PresentationPayload
  /** The current verification, when checked online. */
  readonly online: Verification | null
}

const parseToken = (
  token: string,
): E.Either<PresentationError, { body: string; payload: unknown; signature: Uint8Array<ArrayBuffer> }> => {
  const malformed = (why: string) => E.left(failure('malformed-presentation', why))
  const parts = token.trim().split('.')
  if (parts.length !== 3 || parts[0] !== tokenPrefix)
    return malformed(`expected ${tokenPrefix}.<payload>.<signature>`)
  const payloadBytes = base64UrlDecode(parts[1] ?? '')
  const signature = base64UrlDecode(parts[2] ?? '')
  if (payloadBytes === undefined || signature === undefined) return malformed('not base64url')
  try {
    return E.right({
      body: `${parts[0]}.${parts[1]}`,
      payload: JSON.parse(decoder.decode(payloadBytes)),
      signature,
    })
  } catch {
    return malformed('the payload is not JSON')
  }
}

/**
 * Verifies a presentation token. Checks run in this order, and the first failing one is reported:
 * form, signature, not yet valid, expired, then (online) the e-licence's current state.
 */
export const verifyPresentation = async (
  token: string,
  options: VerifyOptions,
): Promise<E.Either<PresentationError, VerifiedPresentation>> => {
  const nowMs = Date.parse(options.now)
  if (!Number.isFinite(nowMs)) return E.left(failure('invalid-instant', `${options.now} is not an instant`))
  const parsed = parseToken(token)
  if (E.isLeft(parsed)) return parsed
  let genuine = false
  try {
    genuine = await crypto.subtle.verify(
      'Ed25519',
      options.publicKey,
      parsed.right.signature,
      encoder.encode(parsed.right.body),
    )
  } catch {
    genuine = false
  }
  if (!genuine) return E.left(failure('bad-signature', 'the signature does not match the payload and key'))
  const decoded = PresentationPayloadCodec.decode(parsed.right.payload)
  if (E.isLeft(decoded))
    return E.left(failure('malformed-presentation', 'the signed payload has the wrong shape'))
  const payload = decoded.right
  const toleranceMs = (options.toleranceSeconds ?? 0) * 1000
  if (nowMs + toleranceMs < Date.parse(payload.presentation.validFrom)) {
    return E.left(
      failure(
        'presentation-not-yet-valid',
        `the presentation is valid from ${payload.presentation.validFrom}`,
      ),
    )
  }
  if (nowMs - toleranceMs > Date.parse(payload.presentation.validUntil)) {
    return E.left(
      failure('presentation-expired', `the presentation expired at ${payload.presentation.validUntil}`),
    )
  }
  if (options.online === undefined) return E.right({ payload, online: null })
  // Genuinely signed yet not opening: sealed under another reference key (a rotated one, or the
  // same signing key shared with another deployment). The messages below never quote the id.
  const eLicenceId = await openReference(payload.reference, options.online.referenceKey)
  if (E.isLeft(eLicenceId)) return E.left(failure('unknown-reference', eLicenceId.left))
  let found: E.Either<string, ELicenceViewState>
  try {
    found = await options.online.lookup(eLicenceId.right)
  } catch (error) {
    found = E.left(error instanceof Error ? error.message : String(error))
  }
  if (E.isLeft(found)) return E.left(failure('lookup-failed', found.left))
  if (found.right === null)
    return E.left(failure('e-licence-unknown', 'no licence has the e-licence presented'))
  const current = verifyAt(found.right, nowMs)
  if (found.right.eLicenceId !== eLicenceId.right || current.eLicence !== 'valid') {
    return E.left(
      failure('e-licence-invalidated', 'the e-licence presented is no longer valid', current.reasons),
    )
  }
  return E.right({ payload, online: current })
}
